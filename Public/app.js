// spark-relay demo page: POST /chat for a ticket, then EventSource on its stream_url.
// Model output is only ever written with textContent (never innerHTML); answers are rendered as
// Markdown by markdown.js, which builds DOM nodes and text nodes only.
// With client API keys on (/healthz says "auth":"on", or a request gets 401), a key field appears.
// The key is kept in sessionStorage (this tab only) and sent only as `Authorization: Bearer` on
// POST /chat; the EventSource opens the ticket's stream_url alone, which needs no key.
"use strict";

(function () {
  const $ = (selector) => document.querySelector(selector);

  const ui = {
    banner: $("#banner"),
    conversation: $("#conversation"),
    emptyHint: $("#empty-hint"),
    form: $("#composer"),
    model: $("#model"),
    prompt: $("#prompt"),
    send: $("#send"),
    stop: $("#stop"),
    newChat: $("#new-chat"),
    status: $("#status"),
    template: $("#message-template"),
    keyRow: $("#key-row"),
    key: $("#api-key"),
    forgetKey: $("#forget-key"),
    keyHelp: $("#key-help"),
    keyBudget: $("#key-budget"),
  };

  const KEY_STORAGE = "spark-relay.api-key";

  // Completed exchanges only, as Spark expects them: user, assistant, user, assistant, …
  const history = [];
  // What the page saw, for tests and debugging: every SSE event id in arrival order, reconnects.
  const debug = { events: [], reconnects: 0, requests: [] };
  window.sparkDemo = { history, debug };

  let current = null; // the turn being streamed: { source, view, user, text, ... }

  // ------------------------------------------------------------------ health banner

  async function checkHealth() {
    try {
      const response = await fetch("healthz", { cache: "no-store" });
      const health = await response.json();
      if (health.auth === "on") showKeyField(false);
      if (health.upstream === "simulator") {
        showBanner(
          "Answers come from the built-in Spark simulator, not from iFlytek Spark. " +
          "Set SPARK_APP_ID, SPARK_API_KEY and SPARK_API_SECRET on the relay to use the real service. " +
          "Simulator directives such as [[reasoning]], [[chunks:N]] or [[error:10013]] work in prompts.",
          "info");
      } else if (health.status !== "ok") {
        showBanner("The relay reports status “" + String(health.status) + "”.", "warning");
      }
    } catch (err) {
      showBanner("Cannot reach the relay's /healthz: " + err.message, "warning");
    }
  }

  // ------------------------------------------------------------------ API key (keys on)

  function storedKey() {
    try { return sessionStorage.getItem(KEY_STORAGE) || ""; } catch (err) { return ""; }
  }

  function storeKey(value) {
    try {
      if (value) sessionStorage.setItem(KEY_STORAGE, value);
      else sessionStorage.removeItem(KEY_STORAGE);
    } catch (err) { /* storage disabled: the key lives in the field only */ }
  }

  function currentKey() {
    return ui.key.value.trim();
  }

  // `rejected`: the relay answered 401 to the key (or to no key).
  function showKeyField(rejected) {
    ui.keyRow.hidden = false;
    ui.key.setAttribute("aria-invalid", rejected ? "true" : "false");
    ui.keyRow.dataset.state = rejected ? "rejected" : "";
    if (rejected) ui.key.focus();
  }

  // The key's remaining budget (GET /v1/usage), under the key field; hidden for keys without one.
  async function showBudget() {
    const key = currentKey();
    if (ui.keyRow.hidden || !key) {
      ui.keyBudget.hidden = true;
      return;
    }
    try {
      const response = await fetch("v1/usage", {
        headers: { "Authorization": "Bearer " + key, "Accept": "application/json" },
        credentials: "same-origin",
        referrerPolicy: "no-referrer",
      });
      if (!response.ok) {
        ui.keyBudget.hidden = true;
        return;
      }
      const usage = await response.json();
      const parts = [];
      for (const kind of ["tokens", "requests"]) {
        const bound = usage[kind];
        if (bound && typeof bound.remaining === "number") parts.push(bound.remaining.toLocaleString() + " " + kind);
      }
      if (parts.length === 0) {
        ui.keyBudget.hidden = true;
        return;
      }
      const period = usage.period === "total" ? "" : usage.period === "day" ? " today" : " this month";
      const reset = usage.resets_at ? " (resets " + usage.resets_at.replace("T", " ") + ")" : "";
      ui.keyBudget.textContent = "Budget left" + period + ": " + parts.join(", ") + reset;
      ui.keyBudget.hidden = false;
    } catch (err) {
      ui.keyBudget.hidden = true;
    }
  }

  function showBanner(text, kind) {
    ui.banner.textContent = text;
    ui.banner.dataset.kind = kind;
    ui.banner.hidden = false;
  }

  // ------------------------------------------------------------------ message views

  function addMessage(role) {
    const node = ui.template.content.firstElementChild.cloneNode(true);
    node.classList.add(role);
    node.querySelector(".role").textContent = role === "user" ? "You" : "Spark";
    if (ui.emptyHint) ui.emptyHint.hidden = true;
    ui.conversation.appendChild(node);
    return {
      root: node,
      state: node.querySelector(".state"),
      reasoning: node.querySelector(".reasoning"),
      reasoningText: node.querySelector(".reasoning-text"),
      content: node.querySelector(".content"),
      tool: node.querySelector(".tool"),
      sources: node.querySelector(".sources"),
      error: node.querySelector(".error"),
      meta: node.querySelector(".meta"),
    };
  }

  function setState(view, state, label) {
    view.root.dataset.state = state;
    view.state.textContent = label || "";
    view.root.setAttribute("aria-busy", state === "streaming" || state === "reconnecting" ? "true" : "false");
  }

  function nearBottom() {
    const doc = document.scrollingElement || document.documentElement;
    return doc.scrollHeight - doc.scrollTop - doc.clientHeight < 120;
  }

  function scrollToEnd() {
    const doc = document.scrollingElement || document.documentElement;
    window.scrollTo(0, doc.scrollHeight);
  }

  function showError(view, code, message) {
    const follow = nearBottom();
    view.error.textContent = "";
    const title = document.createElement("strong");
    title.textContent = code !== undefined && code !== null && code !== "" ? "Error " + code : "Error";
    view.error.appendChild(title);
    view.error.appendChild(document.createTextNode(": " + (message || "unknown error")));
    view.error.hidden = false;
    if (follow) scrollToEnd();
  }

  // ------------------------------------------------------------------ sending

  function setBusy(busy) {
    ui.send.disabled = busy;
    ui.stop.disabled = !busy;
    ui.form.setAttribute("aria-busy", busy ? "true" : "false");
  }

  async function send() {
    if (current) return;
    const text = ui.prompt.value.trim();
    if (!text) {
      ui.prompt.focus();
      return;
    }
    const model = ui.model.value;
    const messages = history.concat([{ role: "user", content: text }]);
    const key = ui.keyRow.hidden ? "" : currentKey();
    if (!ui.keyRow.hidden && !key) {
      showKeyField(true);
      setStatus("This relay needs an API key: enter it above.");
      return;
    }

    const userView = addMessage("user");
    userView.content.textContent = text;
    const view = addMessage("assistant");
    // #answer always names the answer being streamed (or the last one).
    const previous = document.getElementById("answer");
    if (previous) previous.removeAttribute("id");
    view.content.id = "answer";
    view.content.classList.add("markdown");
    setState(view, "connecting", "connecting…");
    ui.prompt.value = "";
    scrollToEnd();

    const turn = { view, user: text, text: "", source: null, finished: false, model };
    current = turn;
    setBusy(true);
    setStatus("");

    let ticket;
    try {
      debug.requests.push({ model, messages });
      const headers = { "Content-Type": "application/json", "Accept": "application/json" };
      // The key goes in this header of this request only: never into a URL.
      if (key) headers["Authorization"] = "Bearer " + key;
      const response = await fetch("chat", {
        method: "POST",
        headers,
        body: JSON.stringify({ model, messages }),
        credentials: "same-origin",
        referrerPolicy: "no-referrer",
      });
      const body = await response.json().catch(() => null);
      if (response.status === 401) showKeyField(true);
      else if (key) ui.key.setAttribute("aria-invalid", "false");
      if (!response.ok || !body || !body.stream_url) {
        const error = (body && body.error) || {};
        throw Object.assign(new Error(error.message || "HTTP " + response.status), { code: error.code || response.status });
      }
      ticket = body;
    } catch (err) {
      if (turn.finished) return; // stopped while waiting
      finish(turn, "error", "failed");
      showError(view, err.code, err.message);
      return;
    }
    if (turn.finished) return;
    listen(turn, ticket.stream_url);
  }

  function listen(turn, url) {
    const source = new EventSource(url);
    turn.source = source;
    const view = turn.view;

    source.onopen = () => {
      if (turn.finished) return;
      setState(view, "streaming", "streaming…");
      setStatus("");
    };

    source.onmessage = (event) => {
      if (turn.finished) return;
      record(event, "message");
      let payload;
      try {
        payload = JSON.parse(event.data);
      } catch (err) {
        return; // not a Spark payload; nothing to show
      }
      render(turn, payload);
    };

    source.addEventListener("done", (event) => {
      if (turn.finished) return;
      record(event, "done");
      let info = {};
      try { info = JSON.parse(event.data); } catch (err) { /* keep {} */ }
      finish(turn, "done", "");
      showBudget();
      const usage = info.usage;
      if (usage && typeof usage.total_tokens === "number") {
        view.meta.textContent = usage.total_tokens + " tokens (" + (usage.prompt_tokens || 0) + " prompt, " +
          (usage.completion_tokens || 0) + " completion) · " + turn.model;
      } else {
        view.meta.textContent = turn.model;
      }
      // Context for the next turn. An answer without text (a function call) is left out:
      // Spark rejects empty message contents.
      if (turn.text !== "") {
        history.push({ role: "user", content: turn.user }, { role: "assistant", content: turn.text });
      }
    });

    source.addEventListener("stream-error", (event) => {
      if (turn.finished) return;
      record(event, "stream-error");
      let error = {};
      try { error = JSON.parse(event.data).error || {}; } catch (err) { /* keep {} */ }
      finish(turn, "error", "failed");
      showError(view, error.code, error.message);
      // A failed exchange is not sent again as context.
    });

    // Connection trouble (not a Spark error): EventSource reconnects by itself with Last-Event-ID,
    // and the relay replays what was missed. Only a CLOSED source is final.
    source.onerror = () => {
      if (turn.finished) return;
      if (source.readyState === EventSource.CONNECTING) {
        debug.reconnects += 1;
        setState(view, "reconnecting", "reconnecting…");
        setStatus("Connection interrupted, reconnecting…");
      } else {
        finish(turn, "error", "failed");
        showError(view, "connection", "the connection to the relay was lost and the stream cannot be resumed.");
      }
    };
  }

  function record(event, type) {
    debug.events.push({ type, id: event.lastEventId });
  }

  function render(turn, payload) {
    const view = turn.view;
    // Follow the answer as it grows, unless the reader scrolled up to read something else.
    const follow = nearBottom();
    const choices = payload && payload.choices;
    const item = choices && Array.isArray(choices.text) ? choices.text[0] : null;
    if (item) {
      if (typeof item.reasoning_content === "string" && item.reasoning_content !== "") {
        view.reasoning.hidden = false;
        view.reasoningText.appendChild(document.createTextNode(item.reasoning_content));
      }
      if (typeof item.content === "string" && item.content !== "") {
        turn.text += item.content;
        SparkMarkdown.render(view.content, turn.text, { streaming: true });
      }
      if (item.function_call && item.function_call.name) {
        view.tool.hidden = false;
        view.tool.textContent = "Function call: " + item.function_call.name + "(" +
          (item.function_call.arguments || "") + ")";
      }
    }
    const plugins = payload && payload.plugins;
    if (plugins && Array.isArray(plugins.text)) {
      for (const plugin of plugins.text) renderSources(view, plugin);
    }
    if (follow) scrollToEnd();
  }

  function renderSources(view, plugin) {
    let sources;
    try { sources = JSON.parse(plugin.content); } catch (err) { return; }
    if (!Array.isArray(sources)) return;
    for (const source of sources) {
      if (!source || typeof source.url !== "string") continue;
      let url;
      try { url = new URL(source.url); } catch (err) { continue; }
      if (url.protocol !== "https:" && url.protocol !== "http:") continue;
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = url.href;
      a.rel = "noopener noreferrer";
      a.target = "_blank";
      a.textContent = source.title || url.href;
      li.appendChild(a);
      view.sources.appendChild(li);
      view.sources.hidden = false;
    }
  }

  function finish(turn, state, label) {
    if (turn.finished) return;
    turn.finished = true;
    if (turn.source) turn.source.close();
    // The final render follows Markdown strictly: what was held back while streaming settles.
    if (turn.text !== "") SparkMarkdown.render(turn.view.content, turn.text, { streaming: false });
    setState(turn.view, state, label);
    if (current === turn) current = null;
    setBusy(false);
    setStatus("");
  }

  function stop() {
    const turn = current;
    if (!turn) return;
    finish(turn, "stopped", "stopped");
    turn.view.meta.textContent = "Stopped by you.";
    // Keep what was shown as context: the reader saw it.
    if (turn.text !== "") {
      history.push({ role: "user", content: turn.user }, { role: "assistant", content: turn.text });
    }
    ui.prompt.focus();
  }

  function newConversation() {
    stop();
    history.length = 0;
    for (const node of Array.from(ui.conversation.querySelectorAll(".message"))) node.remove();
    if (ui.emptyHint) ui.emptyHint.hidden = false;
    ui.prompt.focus();
  }

  function setStatus(text) {
    ui.status.textContent = text;
  }

  // ------------------------------------------------------------------ wiring

  ui.form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  ui.prompt.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  ui.stop.addEventListener("click", stop);
  ui.key.value = storedKey();
  if (ui.key.value) {
    showKeyField(false);
    showBudget();
  }
  ui.key.addEventListener("input", () => {
    storeKey(currentKey());
    ui.key.setAttribute("aria-invalid", "false");
    ui.keyRow.dataset.state = "";
  });
  ui.key.addEventListener("change", showBudget);
  ui.forgetKey.addEventListener("click", () => {
    ui.key.value = "";
    storeKey("");
    ui.keyBudget.hidden = true;
    ui.key.focus();
  });
  ui.newChat.addEventListener("click", newConversation);
  window.addEventListener("pagehide", () => { if (current && current.source) current.source.close(); });

  checkHealth();
  ui.prompt.focus();
})();
