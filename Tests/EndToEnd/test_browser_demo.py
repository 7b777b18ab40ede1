"""The demo page (Public/) in a real browser: headless Chromium driven by selenium, loading the page
THROUGH nginx (the project's nginx/ config) in front of a relay on the built-in simulator.

    Chromium ──► nginx ──► CutProxy ──► spark-relay ──► simulator

CutProxy is a tiny TCP proxy that forwards bytes unchanged, except that when armed it cuts the
next `GET /chat/stream/...` connection in the middle of an event: that is the relay dropping the
downstream connection mid-stream, as the browser sees it through nginx. EventSource then
reconnects on its own with Last-Event-ID and the relay must replay exactly what was missed.

Everything stays on 127.0.0.1 (Chromium also resolves no host name at all). Every wait polls a
condition with a timeout.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from pathlib import Path
from typing import Callable, Optional

import pytest

from browser_harness import headless_chromium
from nginx_harness import free_port, start_nginx
from relay_harness import RelayProcess, write_config
from tcp_proxy import TCPProxy

try:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select
except ImportError:  # the browser fixture skips (not root) or fails (root), see browser_harness
    pass

SCREENSHOT = Path("/tmp/spark-relay-demo.png")
CHUNK_DELAY = 0.2

# The simulator's deterministic answer (Sources/SparkSimulator/SimulatorScript.swift).
FIXED_SENTENCE = "这是讯飞星火模拟器的固定回答：流式分片、多字节字符与表情😀都会完整到达。"
REASONING_TEXT = "先理解问题，再组织回答。思考完毕。"


def expected_answer(prompt_without_directives: str) -> str:
    return f"You said: {prompt_without_directives}. {FIXED_SENTENCE}"


# ---------------------------------------------------------------------------------------------
# CutProxy


class CutProxy(TCPProxy):
    """Forwards TCP connections from 127.0.0.1:<port> to `target`. `arm(n)` makes the next
    connection that carries `GET /chat/stream/` close (both sides) right after the (n+1)-th
    `data: ` of the response has started, i.e. mid-event, once; `stream_cut` is set then. Records
    every stream request's Last-Event-ID header."""

    STREAM_REQUEST = re.compile(rb"^GET (/chat/stream/[^ ]+) HTTP/1\.[01]\r\n", re.M)
    LAST_EVENT_ID = re.compile(rb"^Last-Event-ID:[ \t]*([^\r\n]*)\r\n", re.M | re.I)

    def __init__(self, target: tuple):
        self.armed: Optional[int] = None
        self.stream_cut = threading.Event()
        self.stream_requests: list = []   # [(path, Last-Event-ID or None)]
        super().__init__(target)

    def arm(self, complete_events: int) -> None:
        with self.lock:
            self.armed = complete_events
            self.stream_cut.clear()

    def inspect_request(self, data: bytes, connection: dict) -> None:
        match = self.STREAM_REQUEST.search(data)
        if match:
            last = self.LAST_EVENT_ID.search(data)
            with self.lock:
                self.stream_requests.append(
                    (match.group(1).decode(), last.group(1).decode() if last else None))
                if self.armed is not None:
                    connection["cut_after"], connection["seen"] = self.armed, b""
                    self.armed = None

    def inspect_response(self, data: bytes, connection: dict) -> Optional[int]:
        cut_after = connection.get("cut_after")
        if cut_after is None:
            return None
        before = len(connection["seen"])
        connection["seen"] += data
        position, count = -1, 0
        while count <= cut_after:
            position = connection["seen"].find(b"data: ", position + 1)
            if position < 0:
                break
            count += 1
        if position < 0:
            return None
        # Forward up to a few bytes into the (cut_after+1)-th event's data, then drop.
        return position + len(b"data: ") + 4 - before

    def connection_cut(self, connection: dict) -> None:
        self.stream_cut.set()


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """relay (simulator, 0.2 s between chunks) ◄─ CutProxy ◄─ nginx; yields (relay, proxy, nginx)."""
    directory = tmp_path_factory.mktemp("browser-stack")
    relay = RelayProcess(write_config(directory, {"upstream": {"simulator_chunk_delay": CHUNK_DELAY}}))
    proxy = nginx = None
    try:
        relay.wait_listening()
        proxy = CutProxy(relay.address)
        nginx = start_nginx(directory / "nginx", proxy.address)
        yield relay, proxy, nginx
        assert nginx.alive(), f"nginx died during the tests:\n{nginx.error_log()}"
        nginx.stop()
        proxy.close()
        relay.stop_and_check()
    finally:
        if nginx is not None:
            nginx.kill()
        if proxy is not None:
            proxy.close()
        relay.kill()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One Chromium for the module (its profile lives as long), at a desktop size, in English."""
    with headless_chromium(tmp_path_factory.mktemp("chromium-profile"),
                           ("--window-size=1100,900", "--lang=en-US")) as driver:
        yield driver


@pytest.fixture
def page(stack, browser):
    """The demo page, freshly loaded through nginx, with the health banner settled."""
    relay, _proxy, nginx = stack
    browser.get(nginx.base_url + "/")
    wait_for(lambda: browser.find_element(By.ID, "banner").is_displayed(), 10, "the simulator banner")
    yield browser
    assert relay.alive(), f"relay died:\n{relay.log_tail()}"


# ---------------------------------------------------------------------------------------------
# Helpers


def wait_for(condition: Callable, timeout: float, what: str, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as exc:  # a stale element while the page changes, say
            last_error = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}" +
                         (f" (last error: {last_error!r})" if last_error else ""))


STATE_JS = """
const answer = document.getElementById('answer');
const message = answer ? answer.closest('.message') : null;
return {
  text: answer ? answer.textContent : null,
  state: message ? (message.dataset.state || '') : null,
  send: !document.getElementById('send').disabled,
  stop: !document.getElementById('stop').disabled,
};
"""


def answer_state(driver) -> dict:
    return driver.execute_script(STATE_JS)


def send_prompt(driver, text: str) -> None:
    prompt = driver.find_element(By.ID, "prompt")
    prompt.clear()
    prompt.send_keys(text)
    prompt.send_keys(Keys.ENTER)


def watch_answer(driver, timeout: float, until=("done", "error", "stopped")) -> tuple:
    """Polls the answer until its message reaches a final state; returns (final state, the
    distinct answer lengths seen in order, the set of states seen)."""
    lengths, states = [], set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = answer_state(driver)
        if current["state"] is not None:
            states.add(current["state"])
        if current["text"] is not None and (not lengths or lengths[-1] != len(current["text"])):
            lengths.append(len(current["text"]))
        if current["state"] in until:
            return current, lengths, states
        time.sleep(0.02)
    raise AssertionError(f"the answer did not finish within {timeout}s: {answer_state(driver)}")


def send_text(driver, text: str) -> None:
    """Puts `text` (newlines included: Enter would send) into the message box and presses Send."""
    driver.execute_script("document.getElementById('prompt').value = arguments[0];", text)
    driver.find_element(By.ID, "send").click()


# The answer's text outside code blocks (where Markdown syntax must never show) and its elements.
RENDERED_JS = """
const answer = document.getElementById('answer');
const copy = answer.cloneNode(true);
copy.querySelectorAll('pre, .code-head').forEach((node) => node.remove());
return {state: answer.closest('.message').dataset.state || '', prose: copy.textContent,
        blocks: answer.children.length};
"""


def demo_debug(driver) -> dict:
    return driver.execute_script("return JSON.parse(JSON.stringify(window.sparkDemo));")


def assert_event_ids_consecutive(events: list, expected_count: int) -> None:
    """The page saw events {id}:1 … {id}:N (the last one `done`) exactly once each, in order."""
    ids = [event["id"] for event in events]
    assert ids, "no events recorded"
    stream_id = ids[0].rsplit(":", 1)[0]
    assert ids == [f"{stream_id}:{n}" for n in range(1, expected_count + 1)], ids
    assert [event["type"] for event in events][-1] == "done", events


# ---------------------------------------------------------------------------------------------
# Tests


def test_demo_page_streams_answers_and_keeps_history(page):
    driver = page
    banner = driver.find_element(By.ID, "banner")
    assert "built-in Spark simulator" in banner.text, banner.text
    model = Select(driver.find_element(By.ID, "model"))
    assert model.first_selected_option.get_attribute("value") == "generalv3.5"
    labels = {option.get_attribute("value"): option.text for option in model.options}
    assert set(labels) == {"lite", "generalv3", "pro-128k", "generalv3.5", "max-32k", "4.0Ultra", "x1"}
    assert "reasoning" in labels["x1"].lower(), labels
    assert driver.find_element(By.ID, "conversation").get_attribute("aria-live") == "polite"

    # Shift+Enter is a new line, not a send.
    prompt = driver.find_element(By.ID, "prompt")
    prompt.send_keys("line one", Keys.SHIFT, Keys.ENTER, Keys.NULL, "line two")
    assert prompt.get_attribute("value") == "line one\nline two"
    assert driver.find_elements(By.CSS_SELECTOR, ".message") == []

    # First turn: the answer grows chunk by chunk (8 chunks, 0.2 s apart).
    send_prompt(driver, "Hello from the browser [[chunks:8]]")
    final, lengths, _states = watch_answer(driver, 15)
    assert final["state"] == "done", final
    first = expected_answer("Hello from the browser")
    assert final["text"] == first, final["text"]
    assert final["text"].startswith("You said: Hello from the browser") and "讯飞星火模拟器" in final["text"]
    assert len(lengths) >= 4 and lengths == sorted(lengths) and lengths[-1] == len(first), \
        f"the answer did not grow chunk by chunk: lengths {lengths}"
    assert len([n for n in lengths if 0 < n < len(first)]) >= 3, lengths
    assert final["send"] and not final["stop"], final
    user = driver.find_elements(By.CSS_SELECTOR, ".message.user .content")
    assert [u.text for u in user] == ["Hello from the browser [[chunks:8]]"]
    debug = demo_debug(driver)
    assert_event_ids_consecutive(debug["debug"]["events"], 9)
    assert "tokens" in driver.find_element(By.CSS_SELECTOR, ".message.assistant .meta").text

    # Second turn: the conversation so far is sent as `messages`.
    send_prompt(driver, "And a follow-up [[chunks:3]]")
    final, _lengths, _states = watch_answer(driver, 15)
    assert final["state"] == "done" and final["text"] == expected_answer("And a follow-up"), final
    debug = demo_debug(driver)["debug"]
    assert debug["requests"][1]["model"] == "generalv3.5"
    assert debug["requests"][1]["messages"] == [
        {"role": "user", "content": "Hello from the browser [[chunks:8]]"},
        {"role": "assistant", "content": first},
        {"role": "user", "content": "And a follow-up [[chunks:3]]"},
    ]
    assert len(driver.find_elements(By.CSS_SELECTOR, ".message.assistant")) == 2
    assert len(driver.find_elements(By.ID, "answer")) == 1

    # One X1 turn too, so the screenshot shows the reasoning block.
    model.select_by_value("x1")
    send_prompt(driver, "[[reasoning]] Why is the sky blue? [[chunks:3]]")
    final, _lengths, _states = watch_answer(driver, 15)
    assert final["state"] == "done", final
    driver.execute_script("window.scrollTo(0, document.body.scrollHeight);")
    driver.save_screenshot(str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 10_000


def test_x1_reasoning_is_shown_apart(page):
    driver = page
    Select(driver.find_element(By.ID, "model")).select_by_value("x1")
    send_prompt(driver, "[[reasoning]] Why is the sky blue? [[chunks:3]]")
    final, _lengths, _states = watch_answer(driver, 15)
    assert final["state"] == "done", final
    assert final["text"] == expected_answer("Why is the sky blue?"), final
    assert REASONING_TEXT not in final["text"]
    reasoning = driver.find_element(By.CSS_SELECTOR, ".message.assistant .reasoning")
    assert reasoning.is_displayed()
    assert reasoning.tag_name == "details"
    assert reasoning.find_element(By.CSS_SELECTOR, "summary").text.strip() == "Reasoning"
    assert reasoning.find_element(By.CSS_SELECTOR, ".reasoning-text").get_attribute("textContent") == REASONING_TEXT
    assert demo_debug(driver)["debug"]["requests"][0]["model"] == "x1"
    # Collapsible: a click on the summary hides the reasoning text.
    reasoning.find_element(By.CSS_SELECTOR, "summary").click()
    assert reasoning.get_attribute("open") is None
    assert not reasoning.find_element(By.CSS_SELECTOR, ".reasoning-text").is_displayed()


def test_stream_error_is_shown_as_alert(page):
    driver = page
    send_prompt(driver, "[[error:10013]] something unacceptable")
    final, _lengths, _states = watch_answer(driver, 15)
    assert final["state"] == "error", final
    error = driver.find_element(By.CSS_SELECTOR, ".message.assistant .error")
    assert error.is_displayed()
    assert error.get_attribute("role") == "alert"
    assert "10013" in error.text and "Error" in error.text, error.text
    assert final["send"] and not final["stop"]
    # A failed exchange is not sent as context next time.
    assert demo_debug(driver)["history"] == []
    events = demo_debug(driver)["debug"]["events"]
    assert [event["type"] for event in events] == ["stream-error"], events


def test_stop_closes_the_stream(page):
    driver = page
    send_prompt(driver, "A long answer [[chunks:60]]")
    wait_for(lambda: len(answer_state(driver)["text"] or "") > 0, 10, "the first chunk")
    driver.find_element(By.ID, "stop").click()
    stopped = answer_state(driver)
    assert stopped["state"] == "stopped" and stopped["send"] and not stopped["stop"], stopped
    assert "stopped" in driver.find_element(By.CSS_SELECTOR, ".message.assistant .state").text
    count = len(demo_debug(driver)["debug"]["events"])
    # Nothing more arrives once stopped: 4 chunk periods later the text is unchanged.
    time.sleep(4 * CHUNK_DELAY)
    later = answer_state(driver)
    assert later["text"] == stopped["text"], (stopped, later)
    assert len(demo_debug(driver)["debug"]["events"]) == count
    assert expected_answer("A long answer").startswith(stopped["text"])


def test_reconnect_after_a_dropped_connection_loses_and_duplicates_nothing(page, stack):
    driver = page
    _relay, proxy, _nginx = stack
    proxy.arm(2)  # the stream connection dies in the middle of its 3rd event
    send_prompt(driver, "Survive a dropped connection [[chunks:20]]")
    final, lengths, states = watch_answer(driver, 30)
    assert proxy.stream_cut.is_set(), "the proxy never cut the stream connection"
    assert final["state"] == "done", final
    assert final["text"] == expected_answer("Survive a dropped connection"), final["text"]
    assert lengths == sorted(lengths), lengths
    assert "reconnecting" in states, states
    debug = demo_debug(driver)["debug"]
    assert debug["reconnects"] >= 1
    # 20 content events and `done`, each exactly once, in order.
    assert_event_ids_consecutive(debug["events"], 21)
    stream_id = debug["events"][0]["id"].rsplit(":", 1)[0]
    requests = [r for r in proxy.stream_requests if r[0].endswith(stream_id)]
    assert requests[0][1] is None and requests[1][1] == f"{stream_id}:2", requests


def test_function_call_is_shown_and_left_out_of_the_context(page):
    """A function-call answer has no text: it is shown, and not sent back as an empty assistant
    message (Spark and the relay reject empty contents)."""
    driver = page
    send_prompt(driver, "[[function:get_weather]] Hefei")
    final, _lengths, _states = watch_answer(driver, 15)
    assert final["state"] == "done" and final["text"] == "", final
    tool = driver.find_element(By.CSS_SELECTOR, ".message.assistant .tool")
    assert tool.is_displayed() and "get_weather" in tool.text and "Hefei" in tool.text, tool.text
    assert demo_debug(driver)["history"] == []
    send_prompt(driver, "Next question [[chunks:2]]")
    final, _lengths, _states = watch_answer(driver, 15)
    assert final["state"] == "done" and final["text"] == expected_answer("Next question"), final


# ---------------------------------------------------------------------------------------------
# Markdown rendering. The simulator answers "You said: PROMPT. <fixed sentence>", so a Markdown
# prompt comes back as a Markdown answer, cut by [[chunks:N]] at arbitrary characters (mid-token).

MARKDOWN_PROMPT = (
    "md check\n\n"
    "# Release notes\n\n"
    "Some **bold text** and *italic words* with `inline code` here.\n\n"
    "- first item\n"
    "- second item\n\n"
    "1. one\n"
    "2. two\n\n"
    "```python\n"
    "print(\"**not bold**\")\n"
    "```\n\n"
    "See [the docs](https://example.com/docs) and [bad](javascript:alert(1))"
)


def test_markdown_answer_renders_as_elements_while_streaming(page):
    driver = page
    send_text(driver, MARKDOWN_PROMPT + " [[chunks:45]] [[delay:40]]")
    # Every state seen while the answer streams: no Markdown syntax shows outside code blocks.
    samples = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        sample = driver.execute_script(RENDERED_JS)
        samples.append(sample)
        if sample["state"] in ("done", "error", "stopped"):
            break
        time.sleep(0.01)
    assert samples[-1]["state"] == "done", samples[-1]
    streaming = [s for s in samples if s["state"] == "streaming" and s["prose"]]
    assert len({s["prose"] for s in streaming}) >= 5, f"too few intermediate renders seen: {len(streaming)}"
    for sample in samples:
        assert "**" not in sample["prose"] and "`" not in sample["prose"], sample
        assert "](" not in sample["prose"] and "# " not in sample["prose"], sample

    answer = driver.find_element(By.ID, "answer")
    heading = answer.find_element(By.CSS_SELECTOR, ".md-h1")
    assert heading.tag_name in ("h3", "h1") and heading.text == "Release notes"
    assert [e.text for e in answer.find_elements(By.CSS_SELECTOR, "p strong")] == ["bold text"]
    assert [e.text for e in answer.find_elements(By.CSS_SELECTOR, "p em")] == ["italic words"]
    assert [e.text for e in answer.find_elements(By.CSS_SELECTOR, "p code")] == ["inline code"]
    assert [e.text for e in answer.find_elements(By.CSS_SELECTOR, "ul > li")] == ["first item", "second item"]
    assert [e.text for e in answer.find_elements(By.CSS_SELECTOR, "ol > li")] == ["one", "two"]
    code = answer.find_element(By.CSS_SELECTOR, ".code-block pre > code")
    assert code.get_attribute("textContent") == 'print("**not bold**")'
    assert code.get_attribute("class") == "language-python"
    links = answer.find_elements(By.TAG_NAME, "a")
    assert len(links) == 1, [link.get_attribute("outerHTML") for link in links]
    assert links[0].text == "the docs" and links[0].get_attribute("href") == "https://example.com/docs"
    assert links[0].get_attribute("rel") == "noopener noreferrer"
    assert "javascript" not in answer.get_attribute("innerHTML")
    assert "bad" in answer.text
    # The conversation keeps the Markdown source, not the rendering.
    history = demo_debug(driver)["history"]
    assert "**bold text**" in history[1]["content"] and "```python" in history[1]["content"]

    # The copy button puts the code (and only the code) on the clipboard.
    driver.execute_cdp_cmd("Browser.grantPermissions", {
        "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"],
        "origin": driver.execute_script("return location.origin;")})
    button = answer.find_element(By.CSS_SELECTOR, ".code-block .copy-code")
    assert button.text == "Copy"
    button.click()
    wait_for(lambda: button.text == "Copied", 5, "the copy button to confirm")
    copied = driver.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, (e) => done('error: ' + e));")
    assert copied == 'print("**not bold**")', copied


def test_html_in_an_answer_is_shown_as_text_and_runs_nothing(page):
    driver = page
    driver.execute_script("window.__xss = undefined;")
    payload = '<img src=x onerror="window.__xss=1"> and <script>window.__xss=2</script> <b>not bold</b>'
    send_text(driver, payload + " [[chunks:7]] [[delay:30]]")
    final, _lengths, _states = watch_answer(driver, 15)
    assert final["state"] == "done", final
    assert payload in final["text"], final["text"]
    answer = driver.find_element(By.ID, "answer")
    assert answer.find_elements(By.CSS_SELECTOR, "img, script, b") == []
    assert driver.find_elements(By.TAG_NAME, "img") == []
    time.sleep(0.2)  # an onerror handler would have run by now
    assert driver.execute_script("return window.__xss;") is None


# ---------------------------------------------------------------------------------------------
# Client API keys on: the page asks for a key and sends it only as Authorization on POST /chat.

PAGE_KEY = "sk-demo-page-key-7f3a91c2"


@pytest.fixture(scope="module")
def keyed_relay(tmp_path_factory):
    directory = tmp_path_factory.mktemp("keyed-relay")
    relay = RelayProcess(write_config(directory, {
        "auth": {"enabled": True, "api_key_hashes": [hashlib.sha256(PAGE_KEY.encode()).hexdigest()]},
        "upstream": {"simulator_chunk_delay": 0.02},
    }))
    try:
        relay.wait_listening()
        yield relay
        relay.stop_and_check()
    finally:
        relay.kill()


def test_with_keys_on_the_page_asks_for_a_key_and_uses_it(keyed_relay, browser):
    driver = browser
    driver.get(keyed_relay.base_url + "/")
    key_field = driver.find_element(By.ID, "api-key")
    wait_for(key_field.is_displayed, 10, "the key field (healthz says auth on)")
    assert key_field.get_attribute("type") == "password"

    # No key: nothing is sent, the page says why.
    send_prompt(driver, "no key yet")
    assert "API key" in driver.find_element(By.ID, "status").text
    assert demo_debug(driver)["debug"]["requests"] == []
    assert key_field.get_attribute("aria-invalid") == "true"

    # A wrong key: the relay's 401 is shown.
    key_field.send_keys("sk-wrong")
    send_prompt(driver, "wrong key [[chunks:2]]")
    final, _lengths, _states = watch_answer(driver, 15)
    assert final["state"] == "error", final
    error = driver.find_element(By.CSS_SELECTOR, ".message.assistant .error").text
    assert "invalid_api_key" in error, error
    assert key_field.get_attribute("aria-invalid") == "true"

    # The right key: the chat completes.
    key_field.clear()
    key_field.send_keys(PAGE_KEY)
    send_prompt(driver, "with the key [[chunks:3]]")
    final, _lengths, _states = watch_answer(driver, 15)
    assert final["state"] == "done" and final["text"] == expected_answer("with the key"), final
    assert driver.execute_script("return sessionStorage.getItem('spark-relay.api-key');") == PAGE_KEY
    # The key was never part of a URL the page loaded (the EventSource used the ticket URL).
    urls = driver.execute_script("return performance.getEntriesByType('resource').map((e) => e.name);")
    assert any("/chat/stream/" in url for url in urls), urls
    assert not any(PAGE_KEY in url for url in urls), urls
    assert PAGE_KEY not in keyed_relay.log_text()

    # A reload in the same tab keeps the key (sessionStorage); "Forget key" removes it.
    driver.refresh()
    key_field = driver.find_element(By.ID, "api-key")
    wait_for(key_field.is_displayed, 10, "the key field after a reload")
    assert key_field.get_attribute("value") == PAGE_KEY
    driver.find_element(By.ID, "forget-key").click()
    assert key_field.get_attribute("value") == ""
    assert driver.execute_script("return sessionStorage.getItem('spark-relay.api-key');") is None


BUDGET_KEY = "sk-demo-budget-key-31c9"


def test_the_remaining_budget_shows_under_the_key_field(tmp_path, browser):
    """A named key with a daily request budget: after an answer, the page shows what is left (from
    GET /v1/usage) under the key field; a key without a budget shows nothing."""
    relay = RelayProcess(write_config(tmp_path, {
        "auth": {"enabled": True, "budget_utc_offset": "+08:00", "keys": [{
            "name": "demo", "sha256": hashlib.sha256(BUDGET_KEY.encode()).hexdigest(),
            "budget": {"requests": 5, "period": "day"}}]},
        "upstream": {"simulator_chunk_delay": 0.01},
    }))
    try:
        relay.wait_listening()
        driver = browser
        driver.get(relay.base_url + "/")
        key_field = driver.find_element(By.ID, "api-key")
        wait_for(key_field.is_displayed, 10, "the key field (healthz says auth on)")
        key_field.send_keys(BUDGET_KEY)
        send_prompt(driver, "spend one [[chunks:2]]")
        final, _lengths, _states = watch_answer(driver, 15)
        assert final["state"] == "done", final
        budget = driver.find_element(By.ID, "key-budget")
        wait_for(budget.is_displayed, 10, "the budget line")
        assert budget.text.startswith("Budget left today: 4 requests (resets "), budget.text
        assert budget.text.endswith("+08:00)"), budget.text
        relay.stop_and_check()
    finally:
        relay.kill()


# ---------------------------------------------------------------------------------------------
# The renderer itself (Public/markdown.js), on a detached element of the loaded page.

RENDER_JS = """
const box = document.createElement('div');
SparkMarkdown.render(box, arguments[0], {streaming: arguments[1]});
return box.innerHTML;
"""

LINK = ' rel="noopener noreferrer" target="_blank"'
RENDER_CASES = [
    ("# T\n\nSome **b** and *i* and `c`.\nnext", False,
     '<h3 class="md-h1">T</h3><p>Some <strong>b</strong> and <em>i</em> and <code>c</code>.<br>next</p>'),
    ("- a\n- b\n  - nested\n- c\n\n3. x\n4. y", False,
     "<ul><li>a</li><li>b<ul><li>nested</li></ul></li><li>c</li></ul><ol start=\"3\"><li>x</li><li>y</li></ol>"),
    ("这是**粗体**文字，**「引号」**后面", False, "<p>这是<strong>粗体</strong>文字，<strong>「引号」</strong>后面</p>"),
    ("snake_case and 5 * 3 * 2 and a\\*b\\*", False, "<p>snake_case and 5 * 3 * 2 and a*b*</p>"),
    ("***both*** __u__", False, "<p><em><strong>both</strong></em> <strong>u</strong></p>"),
    ("[a](https://x.org/p_(1)) [b](javascript:alert(1)) [c](/relative) <https://y.org>", False,
     f'<p><a href="https://x.org/p_(1)"{LINK}>a</a> b c <a href="https://y.org/"{LINK}>https://y.org</a></p>'),
    ("> quoted **b**", False, "<blockquote><p>quoted <strong>b</strong></p></blockquote>"),
    ("a\n\n---\n\nb", False, "<p>a</p><hr><p>b</p>"),
    ("<b>x</b> & <img src=x>", False, "<p>&lt;b&gt;x&lt;/b&gt; &amp; &lt;img src=x&gt;</p>"),
    # Final renders are strict: unmatched markers stay text.
    ("**unclosed and `tick", False, "<p>**unclosed and `tick</p>"),
    # While streaming, markup cut mid-token shows as it will settle.
    ("**bol", True, "<p><strong>bol</strong></p>"),
    ("**bold*", True, "<p><strong>bold</strong></p>"),
    ("text `co", True, "<p>text <code>co</code></p>"),
    ("see [docs](https://exa", True, "<p>see docs</p>"),
    ("see [do", True, "<p>see do</p>"),
    ("```py\nprint(1)\n``", True,
     '<div class="code-block"><div class="code-head"><span class="code-language">py</span>'
     '<button type="button" class="copy-code" aria-label="Copy code (py)">Copy</button></div>'
     '<pre><code class="language-py">print(1)</code></pre></div>'),
]


def test_markdown_renderer_cases(page):
    driver = page
    for source, streaming, expected in RENDER_CASES:
        assert driver.execute_script(RENDER_JS, source, streaming) == expected, (source, streaming)


def test_markdown_renderer_every_prefix_and_node_reuse(page):
    """Rendering each prefix of a document into the same element (as chunks arrive, one character
    at a time) never shows Markdown syntax outside code, keeps finished blocks' nodes, and ends
    exactly where one render of the whole text does."""
    driver = page
    document = MARKDOWN_PROMPT + "\n\n> done, 中文**粗体**。\n"
    result = driver.execute_script("""
const text = arguments[0];
const box = document.createElement('div');
const prose = [];
let firstBlock = null, kept = true;
for (let n = 1; n <= text.length; n++) {
  SparkMarkdown.render(box, text.slice(0, n), {streaming: true});
  const copy = box.cloneNode(true);
  copy.querySelectorAll('pre, .code-head').forEach((node) => node.remove());
  prose.push(copy.textContent);
  if (box.children.length > 2 && firstBlock === null) firstBlock = box.children[0];
  if (firstBlock !== null && box.children[0] !== firstBlock) kept = false;
}
SparkMarkdown.render(box, text, {streaming: false});
const whole = document.createElement('div');
SparkMarkdown.render(whole, text, {streaming: false});
return {prose, kept, same: box.innerHTML === whole.innerHTML};
""", document)
    bad = [p for p in result["prose"] if "**" in p or "`" in p or "](" in p]
    assert bad == [], bad[:3]
    assert result["kept"], "a finished block was rebuilt"
    assert result["same"], "the streamed rendering did not settle to the full rendering"
