// A small Markdown renderer for the demo page: no dependency, no build step.
//
// Supported: ATX headings, paragraphs (single line breaks kept), **bold**/__bold__, *italic*/_italic_,
// `inline code`, fenced code blocks (``` or ~~~, with a language label and a copy button), ordered and
// unordered lists (nested by indentation), block quotes, thematic breaks, backslash escapes, and links
// [text](url) / <url> to http: and https: only (rel="noopener noreferrer", new tab). Anything else is
// shown as the text it is: there is no raw HTML, ever.
//
// Safety: the output is built from DOM nodes of a fixed set of tags; model text only ever goes into
// text nodes (createTextNode / textContent) and a link's href after URL parsing allowed its scheme.
// Nothing here assigns innerHTML.
//
// Streaming: render(container, text, { streaming: true }) may be called after every chunk. Top-level
// blocks whose source did not change keep their DOM nodes (a code block's copy button keeps working,
// a selection survives), and only the blocks from the first changed one are rebuilt. In the block
// being received, markup cut mid-token is shown as it will most likely settle: a trailing `*`, `_`
// or backtick run is held back, an unclosed **bold**, *italic* or `code` runs to the end of the
// text, `[text](partial-url` shows its text, and a half-received closing fence line is hidden. The
// final render (streaming: false) follows the rules strictly, so what settles is the real thing.
"use strict";

(function (global) {
  const FENCE = /^( {0,3})(`{3,}|~{3,})(.*)$/;
  const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
  const RULE = /^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$/;
  const QUOTE = /^ {0,3}> ?(.*)$/;
  const ITEM = /^( {0,3})([-+*]|\d{1,9}[.)])([ \t]+|$)(.*)$/;
  const BLANK = /^[ \t]*$/;
  const PUNCT = /[\p{P}\p{S}]/u;
  const SPACE = /\s/u;
  const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303f\uff00-\uffef]/u;
  const ESCAPABLE = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

  // ---------------------------------------------------------------- blocks

  // Parses lines into blocks: {type, source, ...}. `source` (the block's lines) keys the DOM cache.
  function parseBlocks(lines) {
    const blocks = [];
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      if (BLANK.test(line)) { i += 1; continue; }
      const start = i;
      let match;
      if ((match = FENCE.exec(line)) && !(match[2][0] === "`" && match[3].includes("`"))) {
        const indent = match[1].length;
        const marker = match[2];
        const body = [];
        let closed = false;
        i += 1;
        while (i < lines.length) {
          const close = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(lines[i]);
          if (close && close[1][0] === marker[0] && close[1].length >= marker.length) { closed = true; i += 1; break; }
          body.push(stripIndent(lines[i], indent));
          i += 1;
        }
        const info = match[3].trim().split(/\s+/)[0] || "";
        blocks.push({ type: "code", info, lines: body, closed, marker, source: lines.slice(start, i) });
      } else if ((match = HEADING.exec(line))) {
        blocks.push({ type: "heading", level: match[1].length, text: match[2] || "", source: [line] });
        i += 1;
      } else if (RULE.test(line)) {
        blocks.push({ type: "rule", source: [line] });
        i += 1;
      } else if (QUOTE.test(line)) {
        const inner = [];
        while (i < lines.length && !BLANK.test(lines[i])) {
          const quoted = QUOTE.exec(lines[i]);
          if (!quoted && startsBlock(lines[i])) break;
          inner.push(quoted ? quoted[1] : lines[i]); // lazy continuation
          i += 1;
        }
        blocks.push({ type: "quote", children: parseBlocks(inner), source: lines.slice(start, i) });
      } else if (ITEM.test(line)) {
        i = parseList(lines, i, blocks);
      } else {
        const text = [line];
        i += 1;
        while (i < lines.length && !BLANK.test(lines[i]) && !startsBlock(lines[i])) {
          text.push(lines[i]);
          i += 1;
        }
        blocks.push({ type: "paragraph", text: text.map((l) => l.replace(/^[ \t]+/, "")).join("\n"), source: text });
      }
    }
    return blocks;
  }

  function startsBlock(line) {
    return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || ITEM.test(line);
  }

  function stripIndent(line, count) {
    let n = 0;
    while (n < count && line[n] === " ") n += 1;
    return line.slice(n);
  }

  function leadingSpaces(line) {
    return line.length - line.replace(/^ +/, "").length;
  }

  // Collects one list (items of the same kind) starting at lines[i]; returns the next index.
  function parseList(lines, i, blocks) {
    const start = i;
    const first = ITEM.exec(lines[i]);
    const ordered = /\d/.test(first[2]);
    const delimiter = first[2].slice(-1);
    const list = { type: "list", ordered, start: ordered ? parseInt(first[2], 10) : 1, items: [], loose: false };
    const continues = (index) => {
      const match = index < lines.length ? ITEM.exec(lines[index]) : null;
      return Boolean(match) && /\d/.test(match[2]) === ordered && match[2].slice(-1) === delimiter;
    };
    while (continues(i)) {
      const match = ITEM.exec(lines[i]);
      const spacing = match[3].length >= 1 && match[3].length <= 4 ? match[3].length : 1;
      const width = match[1].length + match[2].length + (match[4] === "" ? 1 : spacing);
      const body = [match[4]];
      i += 1;
      let sawBlank = false;
      while (i < lines.length) {
        const line = lines[i];
        if (BLANK.test(line)) { body.push(""); sawBlank = true; i += 1; continue; }
        if (leadingSpaces(line) >= width) { body.push(line.slice(width)); sawBlank = false; i += 1; continue; }
        if (!sawBlank && !startsBlock(line)) { body.push(line); i += 1; continue; } // lazy continuation
        break;
      }
      // Blank lines at the end of an item belong between items, not to the item.
      while (body.length > 1 && body[body.length - 1] === "") { body.pop(); }
      if (sawBlank && continues(i)) list.loose = true;
      if (body.slice(1).some((l) => l === "")) list.loose = true;
      list.items.push(parseBlocks(body));
    }
    list.source = lines.slice(start, i);
    blocks.push(list);
    return i;
  }

  // ---------------------------------------------------------------- inlines

  // Inline Markdown to a DocumentFragment. `tail`: this text is the end of what has arrived so far.
  function renderInline(text, tail) {
    if (tail) {
      // Hold back a trailing delimiter run: it may be the first half of ** or ``.
      text = text.replace(/(?:\*+|_+|`+|\\)$/, "");
    }
    const tokens = tokenize(text, tail);
    processEmphasis(tokens, tail);
    const fragment = document.createDocumentFragment();
    for (const token of tokens) appendToken(fragment, token);
    return fragment;
  }

  // Tokens: {kind:"text", value} | {kind:"node", node} | {kind:"delim", char, count, open, close}.
  function tokenize(text, tail) {
    const tokens = [];
    let buffer = "";
    const flush = () => { if (buffer) { tokens.push({ kind: "text", value: buffer }); buffer = ""; } };
    let i = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === "\\" && i + 1 < text.length && ESCAPABLE.includes(text[i + 1])) {
        buffer += text[i + 1];
        i += 2;
      } else if (c === "\\" && text[i + 1] === "\n") {
        flush();
        tokens.push({ kind: "node", node: document.createElement("br") });
        i += 2;
      } else if (c === "\n") {
        flush();
        tokens.push({ kind: "node", node: document.createElement("br") });
        i += 1;
      } else if (c === "`") {
        let run = 1;
        while (text[i + run] === "`") run += 1;
        const end = findBacktickRun(text, i + run, run);
        if (end >= 0 || tail) {
          flush();
          let content = text.slice(i + run, end >= 0 ? end : text.length).replace(/\n/g, " ");
          if (content.length > 2 && content[0] === " " && content[content.length - 1] === " " && content.trim() !== "") {
            content = content.slice(1, -1);
          }
          const code = document.createElement("code");
          code.textContent = content;
          tokens.push({ kind: "node", node: code });
          i = end >= 0 ? end + run : text.length;
        } else {
          buffer += "`".repeat(run);
          i += run;
        }
      } else if (c === "*" || c === "_") {
        let run = 1;
        while (text[i + run] === c) run += 1;
        const before = i > 0 ? text[i - 1] : " ";
        const after = i + run < text.length ? text[i + run] : " ";
        const left = !SPACE.test(after) && (!PUNCT.test(after) || SPACE.test(before) || PUNCT.test(before) || CJK.test(before));
        const right = !SPACE.test(before) && (!PUNCT.test(before) || SPACE.test(after) || PUNCT.test(after) || CJK.test(after));
        const open = c === "*" ? left : left && (!right || PUNCT.test(before));
        const close = c === "*" ? right : right && (!left || PUNCT.test(after));
        flush();
        tokens.push({ kind: "delim", char: c, count: run, open, close });
        i += run;
      } else if (c === "[") {
        const link = parseLink(text, i, tail);
        if (link) {
          flush();
          tokens.push({ kind: "node", node: link.node });
          i = link.end;
        } else if (tail && text.indexOf("]", i) < 0) {
          i += 1; // the start of a link still arriving: hold the bracket back
        } else {
          buffer += c;
          i += 1;
        }
      } else if (c === "<") {
        const close = text.indexOf(">", i);
        const candidate = close > 0 ? text.slice(i + 1, close) : "";
        const href = close > 0 && !/[\s<]/.test(candidate) ? safeURL(candidate) : null;
        if (href) {
          flush();
          tokens.push({ kind: "node", node: makeLink(href, document.createTextNode(candidate)) });
          i = close + 1;
        } else {
          buffer += c;
          i += 1;
        }
      } else {
        buffer += c;
        i += 1;
      }
    }
    flush();
    return tokens;
  }

  function findBacktickRun(text, from, length) {
    let i = from;
    while (i < text.length) {
      if (text[i] !== "`") { i += 1; continue; }
      let run = 1;
      while (text[i + run] === "`") run += 1;
      if (run === length) return i;
      i += run;
    }
    return -1;
  }

  // [text](url) at text[i] === "[": {node, end} or null. Nested brackets in the text and balanced
  // parentheses in the URL are allowed; an optional "title" after the URL is ignored.
  function parseLink(text, i, tail) {
    let depth = 0;
    let j = i;
    for (; j < text.length; j += 1) {
      if (text[j] === "\\") { j += 1; continue; }
      if (text[j] === "`") { const end = findBacktickRun(text, j + 1, 1); if (end > 0) j = end; continue; }
      if (text[j] === "[") depth += 1;
      if (text[j] === "]") { depth -= 1; if (depth === 0) break; }
    }
    if (j >= text.length || text[j + 1] !== "(") return null;
    const label = text.slice(i + 1, j);
    let k = j + 2;
    let parens = 0;
    let url = "";
    while (k < text.length) {
      const c = text[k];
      if (c === "(") parens += 1;
      if (c === ")") { if (parens === 0) break; parens -= 1; }
      if (SPACE.test(c)) break;
      url += c;
      k += 1;
    }
    let close = k;
    if (close < text.length && SPACE.test(text[close])) {
      const title = /^\s+(?:"[^"]*"|'[^']*')?\s*\)/.exec(text.slice(close));
      if (title) close += title[0].length - 1;
      else return null;
    }
    const inner = renderInline(label, false);
    if (close >= text.length) {
      // "[text](https://exa" while it streams: show the text; the link appears with its ")".
      return tail ? { node: inner, end: text.length } : null;
    }
    const href = safeURL(url.replace(/^<(.*)>$/, "$1"));
    return { node: href ? makeLink(href, inner) : inner, end: close + 1 };
  }

  // Only absolute http: and https: URLs become links.
  function safeURL(raw) {
    let url;
    try { url = new URL(raw); } catch (err) { return null; }
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  }

  function makeLink(href, content) {
    const a = document.createElement("a");
    a.href = href;
    a.rel = "noopener noreferrer";
    a.target = "_blank";
    a.appendChild(content);
    return a;
  }

  // CommonMark's delimiter matching (simplified: no "multiple of 3" rule). Matched runs become
  // <strong>/<em> nodes in place; unmatched ones stay text, or in the tail run to the end.
  function processEmphasis(tokens, tail) {
    for (let closer = 0; closer < tokens.length; closer += 1) {
      const c = tokens[closer];
      if (c.kind !== "delim" || !c.close || c.count === 0) continue;
      let opener = closer - 1;
      while (opener >= 0 && !(tokens[opener].kind === "delim" && tokens[opener].open &&
             tokens[opener].char === c.char && tokens[opener].count > 0)) {
        opener -= 1;
      }
      if (opener < 0) continue;
      const o = tokens[opener];
      const use = o.count >= 2 && c.count >= 2 ? 2 : 1;
      const element = document.createElement(use === 2 ? "strong" : "em");
      for (const inner of tokens.slice(opener + 1, closer)) appendToken(element, inner);
      o.count -= use;
      c.count -= use;
      tokens.splice(opener + 1, closer - opener - 1, { kind: "node", node: element });
      // The closer is now at opener + 2; look at it again when it has delimiters left (it may
      // close an outer opener too), else go on after it.
      closer = c.count > 0 ? opener + 1 : opener + 2;
    }
    if (!tail) return;
    // Still arriving: an opener left unmatched wraps everything after it.
    for (let opener = tokens.length - 1; opener >= 0; opener -= 1) {
      const o = tokens[opener];
      if (o.kind !== "delim" || !o.open || o.count === 0) continue;
      const rest = tokens.slice(opener + 1);
      if (rest.length === 0) { o.count = 0; continue; }
      const element = document.createElement(o.count >= 2 ? "strong" : "em");
      for (const inner of rest) appendToken(element, inner);
      o.count = 0;
      tokens.splice(opener + 1, rest.length, { kind: "node", node: element });
    }
  }

  function appendToken(parent, token) {
    if (token.kind === "text") parent.appendChild(document.createTextNode(token.value));
    else if (token.kind === "node") parent.appendChild(token.node);
    else if (token.count > 0) parent.appendChild(document.createTextNode(token.char.repeat(token.count)));
  }

  // ---------------------------------------------------------------- DOM

  function renderBlock(block, tail) {
    switch (block.type) {
      case "heading": {
        const h = document.createElement("h" + Math.min(6, block.level + 2)); // h1/h2 belong to the page
        h.className = "md-h" + block.level;
        h.appendChild(renderInline(block.text, tail));
        return h;
      }
      case "paragraph": {
        const p = document.createElement("p");
        p.appendChild(renderInline(block.text, tail));
        return p;
      }
      case "rule":
        return document.createElement("hr");
      case "quote": {
        const q = document.createElement("blockquote");
        block.children.forEach((child, index) => q.appendChild(renderBlock(child, tail && index === block.children.length - 1)));
        return q;
      }
      case "list": {
        const list = document.createElement(block.ordered ? "ol" : "ul");
        if (block.ordered && block.start !== 1) list.start = block.start;
        block.items.forEach((item, index) => {
          const li = document.createElement("li");
          const lastItem = tail && index === block.items.length - 1;
          item.forEach((child, childIndex) => {
            const childTail = lastItem && childIndex === item.length - 1;
            if (child.type === "paragraph" && !block.loose) li.appendChild(renderInline(child.text, childTail));
            else li.appendChild(renderBlock(child, childTail));
          });
          list.appendChild(li);
        });
        return list;
      }
      case "code":
        return renderCode(block, tail);
      default:
        return document.createTextNode("");
    }
  }

  function renderCode(block, tail) {
    let lines = block.lines;
    if (tail && !block.closed && lines.length > 0) {
      // A closing fence still arriving ("`" or "``" alone on the last line) is not code.
      const last = lines[lines.length - 1];
      if (/^ {0,3}[`~]+$/.test(last) && block.marker[0] === last.trim()[0]) lines = lines.slice(0, -1);
    }
    const wrapper = document.createElement("div");
    wrapper.className = "code-block";
    const head = document.createElement("div");
    head.className = "code-head";
    const language = document.createElement("span");
    language.className = "code-language";
    language.textContent = block.info;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy-code";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy code" + (block.info ? " (" + block.info + ")" : ""));
    head.append(language, button);
    const pre = document.createElement("pre");
    const code = document.createElement("code");
    const safeInfo = block.info.replace(/[^A-Za-z0-9_+-]/g, "");
    if (safeInfo) code.className = "language-" + safeInfo;
    code.textContent = lines.join("\n");
    pre.appendChild(code);
    wrapper.append(head, pre);
    button.addEventListener("click", () => copyText(code.textContent, button));
    return wrapper;
  }

  function copyText(text, button) {
    const done = (ok) => {
      button.textContent = ok ? "Copied" : "Copy failed";
      setTimeout(() => { button.textContent = "Copy"; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(() => done(true), () => done(fallbackCopy(text)));
    } else {
      done(fallbackCopy(text));
    }
  }

  // Pages served over plain http (not localhost) have no Clipboard API.
  function fallbackCopy(text) {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (err) { ok = false; }
    area.remove();
    return ok;
  }

  // ---------------------------------------------------------------- entry point

  const cache = new WeakMap(); // container -> [{ key, node }]

  // Renders `markdown` into `container`, reusing the nodes of unchanged leading blocks.
  function render(container, markdown, options) {
    const streaming = Boolean(options && options.streaming);
    const blocks = parseBlocks(String(markdown).replace(/\r\n?/g, "\n").split("\n"));
    const previous = cache.get(container) || [];
    const next = [];
    let reuse = container.childNodes.length === previous.length;
    blocks.forEach((block, index) => {
      const tail = streaming && index === blocks.length - 1;
      const key = block.type + (tail ? "~" : "") + "\u0000" + block.source.join("\n");
      if (reuse && previous[index] && previous[index].key === key) {
        next.push(previous[index]);
        return;
      }
      reuse = false;
      next.push({ key, node: renderBlock(block, tail) });
    });
    // Replace from the first block that differs.
    let same = 0;
    while (same < next.length && same < previous.length && next[same] === previous[same]) same += 1;
    while (container.childNodes.length > same) container.removeChild(container.lastChild);
    for (let index = same; index < next.length; index += 1) container.appendChild(next[index].node);
    cache.set(container, next);
  }

  global.SparkMarkdown = { render };
})(window);
