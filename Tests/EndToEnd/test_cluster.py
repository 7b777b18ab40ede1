"""Scale-out end to end (README "Scaling out"): three release relays with
`cluster.engine: "redis"` behind real nginx (nginx/upstream-cluster.conf), one real
`redis-server`, the release `spark-sim` as the shared Spark.

- a ticket made on one relay is streamed from another;
- headless Chromium's EventSource, cut mid-stream, resumes through nginx on another relay with
  nothing lost or duplicated;
- SIGKILL of the owner mid-stream: the replayed events, then `relay_instance_lost`;
- Redis stopped mid-run, then restarted: tickets 503 then back, direct streams keep working;
- per-app concurrency 2 across 3 relays never lets a third conversation reach Spark;
- a rolling restart (SIGTERM one by one) under 50 open streams loses no event, and the streams a
  stopping relay owns for readers on other relays run to their end;
- crafted `Last-Event-ID` values (-1, Int.max, past Int.max, another stream's id) on every relay,
  before and after the owner dies, never take a relay down.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from browser_harness import headless_chromium
from cluster_harness import Cluster, follow, health, iter_events, make_ticket, read_events, sequence, wait_until

CLIENT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


@pytest.fixture
def cluster(tmp_path):
    stack = Cluster(tmp_path)
    try:
        wait_until(lambda: all(health(stack.relay_url(i)).get("engine_status") == "ok" for i in range(3)),
                   15, "every relay's engine to be ok")
        yield stack
    finally:
        stack.close()


def assert_consecutive(events: list, start: int = 1) -> None:
    numbers = [sequence(event) for event in events]
    assert numbers == list(range(start, start + len(numbers))), numbers


def test_ticket_made_on_one_relay_streams_from_another(cluster):
    with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
        ticket = make_ticket(client, cluster.relay_url(0), "across relays [[chunks:12]]")
        status, events = follow(client, cluster.relay_url(1), ticket["stream_url"])
        assert status == 200
        assert_consecutive(events)
        assert [e["event"] for e in events] == ["message"] * 12 + ["done"]
        # The ticket was claimed: a second first-GET on the third relay reads the same log.
        status, again = follow(client, cluster.relay_url(2), ticket["stream_url"], last_event_id=events[3]["id"])
        assert status == 200 and again == events[4:]
        # And through nginx, whichever relays it picks.
        ticket = make_ticket(client, cluster.base_url, "through nginx [[chunks:5]]")
        status, events = follow(client, cluster.base_url, ticket["stream_url"])
        assert status == 200 and [e["event"] for e in events][-1] == "done"
        assert_consecutive(events)


def test_sigkill_of_the_owner_gives_the_replayed_events_then_relay_instance_lost(cluster):
    with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
        ticket = make_ticket(client, cluster.relay_url(0), "doomed [[chunks:400]] [[delay:20]]")
        status, before = follow(client, cluster.relay_url(0), ticket["stream_url"], stop_after=5)
        assert status == 200 and len(before) == 5
        cluster.relays[0].kill()  # SIGKILL: no drain, no goodbye
        started = time.monotonic()
        status, after = follow(client, cluster.relay_url(1), ticket["stream_url"], last_event_id=before[-1]["id"])
        elapsed = time.monotonic() - started
    assert status == 200
    assert_consecutive(before + after)
    assert after[-1]["event"] == "stream-error", after[-3:]
    error = json.loads(after[-1]["data"])["error"]
    assert error["code"] == "relay_instance_lost" and error["type"] == "relay_error", error
    assert all(e["event"] == "message" for e in after[:-1])
    assert elapsed < 25, elapsed  # no hang: the owner is declared lost after three missed heartbeats (1.5 s here)
    cluster.relays[0] = None  # already dead: nothing to stop


INT_MAX = 9223372036854775807


def test_crafted_last_event_ids_never_take_a_relay_down(cluster):
    """A `Last-Event-ID` is the client's word: -1, Int.max, a number past Int.max and another
    stream's id, sent to every relay while the owner runs, after it was SIGKILLed (readers then
    write `relay_instance_lost`) and after the stream ended. Every relay keeps serving."""
    with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
        other = make_ticket(client, cluster.relay_url(2), "another stream")
        ticket = make_ticket(client, cluster.relay_url(0), "crafted ids [[chunks:300]] [[delay:20]]")
        stream_id = ticket["id"]
        status, before = follow(client, cluster.relay_url(0), ticket["stream_url"], stop_after=3)
        assert status == 200 and len(before) == 3

        def refused(url: str, value: str) -> None:
            response = client.get(url + ticket["stream_url"], headers={"Accept": "text/event-stream", "Last-Event-ID": value})
            assert response.status_code == 400, (value, response.status_code, response.text)
            assert response.json()["error"]["code"] == "invalid_last_event_id"

        bad = [f"{stream_id}:-1", f"{stream_id}:{INT_MAX + 1}", f"{stream_id}:{'9' * 40}", f"{other['id']}:1"]
        for index in (1, 2):
            for value in bad:
                refused(cluster.relay_url(index), value)
        # Int.max while the owner runs: followed (it may be ahead of the log), cut short by the client.
        with client.stream("GET", cluster.relay_url(1) + ticket["stream_url"],
                           headers={"Accept": "text/event-stream", "Last-Event-ID": f"{stream_id}:{INT_MAX}"}) as response:
            assert response.status_code == 200
        cluster.relays[0].kill()  # the owner is gone: readers elsewhere end the log themselves
        for index in (1, 2):
            status, events = follow(client, cluster.relay_url(index), ticket["stream_url"],
                                    last_event_id=f"{stream_id}:{INT_MAX}")
            if status == 200:  # the first reader to notice writes the end, at the log's next id
                assert [e["event"] for e in events] == ["stream-error"], events
                assert json.loads(events[0]["data"])["error"]["code"] == "relay_instance_lost"
                assert sequence(events[0]) > sequence(before[-1])
            else:  # the log is complete and the client claims all of it
                assert status == 204, status
            for value in bad:
                refused(cluster.relay_url(index), value)
        for index in (1, 2):
            status, _ = follow(client, cluster.relay_url(index), ticket["stream_url"], last_event_id=f"{stream_id}:{INT_MAX}")
            assert status == 204
            state = health(cluster.relay_url(index))
            assert state["status"] == "ok" and state["engine_status"] == "ok", state
            assert cluster.relays[index].alive(), cluster.relays[index].log_tail()
        # A stream that finished normally, on the surviving relays.
        done_ticket = make_ticket(client, cluster.relay_url(1), "finished [[chunks:4]]")
        status, events = follow(client, cluster.relay_url(1), done_ticket["stream_url"])
        assert status == 200 and events[-1]["event"] == "done"
        for value in (str(INT_MAX), events[-1]["id"].split(":")[-1]):
            status, _ = follow(client, cluster.relay_url(2), done_ticket["stream_url"],
                               last_event_id=f"{done_ticket['id']}:{value}")
            assert status == 204
    cluster.relays[0] = None  # already dead: nothing to stop


def test_sigterm_of_the_owner_lets_readers_on_other_relays_finish(cluster):
    """SIGTERM drains the whole application: the streams a relay owns for readers on other relays
    run to their end before it leaves Redis (before, the reader got `relay_instance_lost`)."""
    with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
        ticket = make_ticket(client, cluster.relay_url(0), "owned here, read there [[chunks:40]] [[delay:50]]")
        status, before = follow(client, cluster.relay_url(0), ticket["stream_url"], stop_after=2)
        assert status == 200 and len(before) == 2  # relay 0 claimed the ticket: it owns the upstream
        with client.stream("GET", cluster.relay_url(1) + ticket["stream_url"],
                           headers={"Accept": "text/event-stream", "Last-Event-ID": before[-1]["id"]}) as response:
            assert response.status_code == 200
            events = iter_events(response)
            after = [next(events)]
            cluster.relays[0].send_signal(signal.SIGTERM)
            after.extend(events)
        assert cluster.relays[0].wait(40) == 0, cluster.relays[0].log_tail()
    assert_consecutive(before + after)
    assert [e["event"] for e in before + after] == ["message"] * 40 + ["done"], after[-2:]
    cluster.relays[0] = None  # stopped


def test_redis_stopped_then_restarted(cluster):
    with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
        cluster.redis.kill()
        for index in range(3):
            wait_until(lambda: health(cluster.relay_url(index)).get("engine_status") == "degraded", 15,
                       f"relay {index} to report the engine degraded")
        state = health(cluster.relay_url(0))
        assert state["engine"] == "redis" and state["status"] == "ok"
        refused = client.post(cluster.relay_url(1) + "/chat", json={"prompt": "x"})
        assert refused.status_code == 503 and refused.headers.get("Retry-After")
        assert refused.json()["error"]["code"] == "engine_unavailable"
        with client.stream("POST", cluster.base_url + "/chat/stream", json={"prompt": "still streaming [[chunks:6]]"},
                           headers={"Accept": "text/event-stream"}) as response:
            assert response.status_code == 200
            events = read_events(response)
        assert [e["event"] for e in events][-1] == "done" and len(events) == 7
        openai = client.post(cluster.base_url + "/v1/chat/completions",
                             json={"model": "generalv3.5", "messages": [{"role": "user", "content": "hi"}]})
        assert openai.status_code == 200, openai.text
        cluster.redis.start()
        for index in range(3):
            wait_until(lambda: health(cluster.relay_url(index)).get("engine_status") == "ok", 20,
                       f"relay {index} to recover")
        ticket = make_ticket(client, cluster.relay_url(2), "after the outage [[chunks:4]]")
        status, events = follow(client, cluster.relay_url(0), ticket["stream_url"])
        assert status == 200 and events[-1]["event"] == "done"
    for relay in cluster.relays:
        assert relay.log_text().count("REDIS ENGINE DEGRADED") == 1, relay.log_tail()


def test_per_app_concurrency_2_across_3_relays(tmp_path):
    stack = Cluster(tmp_path, relay_config={"upstream": {"app_max_concurrency": 2, "queue_timeout": 0.5}})
    try:
        wait_until(lambda: all(health(stack.relay_url(i)).get("engine_status") == "ok" for i in range(3)),
                   15, "every relay's engine to be ok")
        results: dict = {}

        def converse(index: int) -> None:
            with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
                with client.stream("POST", stack.relay_url(index) + "/chat/stream",
                                   json={"prompt": f"hold {index} [[chunks:150]] [[delay:20]]"},
                                   headers={"Accept": "text/event-stream"}) as response:
                    results[index] = read_events(response)

        threads = []
        for index in range(3):
            thread = threading.Thread(target=converse, args=(index,))
            thread.start()
            threads.append(thread)
            time.sleep(0.3)  # the first two are running on Spark before the third asks
        for thread in threads:
            thread.join(60)
        outcomes = sorted(events[-1]["event"] + ":" + (json.loads(events[-1]["data"]).get("error", {}).get("code", ""))
                          for events in results.values())
        assert outcomes == ["done:", "done:", "stream-error:upstream_busy"], outcomes
        busy = [events for events in results.values() if events[-1]["event"] == "stream-error"][0]
        assert len(busy) == 1  # nothing reached Spark: no content event at all
    finally:
        stack.close()


def test_rolling_restart_under_50_open_streams_loses_no_event(cluster):
    stop = threading.Event()
    failures: list = []
    finished: list = []
    lock = threading.Lock()

    def reader(worker: int) -> None:
        with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
            conversation = 0
            while not stop.is_set():
                conversation += 1
                try:
                    ticket = make_ticket(client, cluster.base_url, f"roll {worker}-{conversation} [[chunks:30]] [[delay:40]]")
                except Exception as error:  # noqa: BLE001 - recorded, then asserted empty
                    with lock:
                        failures.append(f"{worker}: POST /chat failed: {error!r}")
                    return
                events, last, attempts = [], None, 0
                while not events or events[-1]["event"] == "message":
                    attempts += 1
                    if attempts > 20:
                        with lock:
                            failures.append(f"{worker}: gave up after {attempts} attempts, {len(events)} events")
                        return
                    try:
                        with client.stream("GET", cluster.base_url + ticket["stream_url"],
                                           headers={"Accept": "text/event-stream", **({"Last-Event-ID": last} if last else {})}) as response:
                            if response.status_code != 200:
                                with lock:
                                    failures.append(f"{worker}: GET answered {response.status_code}")
                                return
                            for event in iter_events(response):
                                events.append(event)
                                last = event["id"]
                    except httpx.HTTPError:
                        time.sleep(0.2)  # EventSource's retry
                numbers = [sequence(e) for e in events]
                if numbers != list(range(1, len(numbers) + 1)) or events[-1]["event"] != "done" or len(events) != 31:
                    with lock:
                        failures.append(f"{worker}: {numbers} ending {events[-1]['event']}")
                    return
                with lock:
                    finished.append(worker)

    attached = threading.Semaphore(0)

    def read_elsewhere(owner: int, worker: int) -> None:
        """A stream the relay about to be restarted owns, read on the next relay: it must end with
        every event and `done` (the owner's drain waits for it)."""
        reader_url = cluster.relay_url((owner + 1) % 3)
        try:
            with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
                ticket = make_ticket(client, cluster.relay_url(owner), f"elsewhere {owner}-{worker} [[chunks:40]] [[delay:50]]")
                status, first = follow(client, cluster.relay_url(owner), ticket["stream_url"], stop_after=1)
                assert status == 200 and len(first) == 1, status
                with client.stream("GET", reader_url + ticket["stream_url"],
                                   headers={"Accept": "text/event-stream", "Last-Event-ID": first[0]["id"]}) as response:
                    assert response.status_code == 200, response.status_code
                    events = list(first)
                    for event in iter_events(response):
                        events.append(event)
                        if len(events) == 2:
                            attached.release()
        except Exception as error:  # noqa: BLE001 - recorded, then asserted empty
            with lock:
                failures.append(f"elsewhere {owner}-{worker}: {error!r}")
            return
        numbers = [sequence(e) for e in events]
        if numbers != list(range(1, 42)) or events[-1]["event"] != "done":
            with lock:
                failures.append(f"elsewhere {owner}-{worker}: {numbers} ending {events[-1]['event']}")

    workers = [threading.Thread(target=reader, args=(worker,), daemon=True) for worker in range(50)]
    for worker in workers:
        worker.start()
    try:
        wait_until(lambda: len(finished) >= 50 or failures, 60, "the first 50 conversations")
        assert failures == [], failures[:10]
        for index in range(3):
            relay = cluster.relays[index]
            # Streams this relay owns whose readers sit on another relay, well under way at SIGTERM.
            elsewhere = [threading.Thread(target=read_elsewhere, args=(index, worker), daemon=True) for worker in range(5)]
            for thread in elsewhere:
                thread.start()
            for _ in elsewhere:  # every reader is attached on the next relay and has an event from it
                assert attached.acquire(timeout=20) or failures, f"a reader of relay {index}'s streams elsewhere"
            assert failures == [], failures[:10]
            relay.send_signal(signal.SIGTERM)
            try:
                assert relay.wait(40) == 0, relay.log_tail()
            except subprocess.TimeoutExpired:
                relay.kill()
                pytest.fail(f"relay {index} did not stop within 40 s of SIGTERM:\n{relay.log_tail(60)}")
            for thread in elsewhere:
                thread.join(30)
            assert failures == [], failures[:10]
            restarted = cluster.start_relay(index)
            wait_until(lambda: health(cluster.relay_url(index)).get("engine_status") == "ok", 15, "the restarted relay")
            # nginx left the relay out for fail_timeout after its restart refused connections: the
            # next relay may only stop once this one is back in rotation (it serves traffic again).
            wait_until(lambda: "method=POST" in restarted.log_text() or "\"method\":\"POST\"" in restarted.log_text(),
                       20, f"nginx to send traffic to the restarted relay {index} again")
            assert failures == [], failures[:10]
        count = len(finished)
        wait_until(lambda: len(finished) >= count + 50 or failures, 60, "50 more conversations after the restarts")
    finally:
        stop.set()
        for worker in workers:
            worker.join(60)
    assert failures == [], failures[:10]


# ---------------------------------------------------------------------------------------------
# Headless Chromium: a real EventSource through nginx.

OPEN_STREAM_JS = """
window.__events = []; window.__opens = 0;
fetch('/chat', {method: 'POST', headers: {'Content-Type': 'application/json'},
                body: JSON.stringify({prompt: arguments[0]})})
  .then(r => r.json())
  .then(ticket => {
    const source = new EventSource(ticket.stream_url);
    source.onopen = () => { window.__opens += 1; };
    source.onmessage = e => window.__events.push({id: e.lastEventId, type: 'message'});
    for (const type of ['done', 'stream-error']) {
      source.addEventListener(type, e => { window.__events.push({id: e.lastEventId, type: type, data: e.data}); source.close(); });
    }
  });
"""


@pytest.fixture
def chromium(tmp_path):
    """A Chromium per test, its profile in the test's own directory."""
    with headless_chromium(tmp_path / "profile") as driver:
        yield driver


def test_browser_eventsource_cut_mid_stream_resumes_on_another_relay(tmp_path, chromium):
    # A grace shorter than the rest of the answer: the owner must keep the upstream because
    # another relay holds the reader, not because the grace is long.
    stack = Cluster(tmp_path / "cluster", relay_config={"stream": {"reconnect_grace": 1, "retry_ms": 200}})
    try:
        wait_until(lambda: all(health(stack.relay_url(i)).get("engine_status") == "ok" for i in range(3)),
                   15, "every relay's engine to be ok")
        chromium.get(stack.base_url + "/")
        chromium.execute_script(OPEN_STREAM_JS, "Resume elsewhere [[chunks:80]] [[delay:50]]")
        wait_until(lambda: len(chromium.execute_script("return window.__events || []")) >= 5, 20, "the first events")
        carriers = [gate for gate in stack.gates if gate.stream_paths]
        assert len(carriers) == 1, [gate.stream_paths for gate in stack.gates]
        owner_gate = carriers[0]
        path = owner_gate.stream_paths[0]
        owner_gate.cut()  # the browser's connection dies mid-stream; that relay is unreachable for a while
        final = wait_until(lambda: (lambda events: events if events and events[-1]["type"] != "message" else None)(
            chromium.execute_script("return window.__events")), 30, "the end of the answer")
        opens = chromium.execute_script("return window.__opens")
        owner_gate.reopen()
    finally:
        stack.close()
    assert final[-1]["type"] == "done", final[-1]
    numbers = [int(event["id"].rsplit(":", 1)[1]) for event in final]
    assert numbers == list(range(1, 82)), numbers  # 80 content events and done, each exactly once, in order
    assert opens >= 2, opens
    resumed_on = [gate for gate in stack.gates if gate is not owner_gate and path in gate.stream_paths]
    assert resumed_on, "the reconnect did not land on another relay"


def test_client_stream_limit_is_fleet_wide_and_a_dead_relays_lease_lapses(tmp_path):
    stack = Cluster(tmp_path, relay_config={"limits": {"max_streams_per_client": 1}, "cluster": {"lease_ttl": 2}})
    try:
        wait_until(lambda: all(health(stack.relay_url(i)).get("engine_status") == "ok" for i in range(3)),
                   15, "every relay's engine to be ok")
        with httpx.Client(timeout=CLIENT_TIMEOUT) as holder, httpx.Client(timeout=CLIENT_TIMEOUT) as other:
            with holder.stream("POST", stack.relay_url(0) + "/chat/stream", json={"prompt": "hold [[chunks:500]] [[delay:20]]"},
                               headers={"Accept": "text/event-stream"}) as response:
                assert response.status_code == 200
                lines = response.iter_lines()  # kept referenced: closing it would close the stream
                data = 0
                for line in lines:
                    data += line.startswith("data:")
                    if data >= 2:
                        break
                # The same client (127.0.0.1) on another relay: its one stream is open on relay 0.
                refused = other.post(stack.relay_url(1) + "/chat/stream", json={"prompt": "second"})
                assert refused.status_code == 429, refused.text
                assert refused.json()["error"]["code"] == "too_many_streams_for_client"
                stack.relays[0].kill()  # dies holding the lease: nobody gives it back
        started = time.monotonic()
        with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
            def served() -> bool:
                answer = client.post(stack.relay_url(1) + "/chat/stream", json={"prompt": "after [[chunks:2]]"})
                return answer.status_code == 200
            wait_until(served, 15, "the dead relay's stream lease to lapse", interval=0.2)
        assert time.monotonic() - started >= 0.5
        stack.relays[0] = None
    finally:
        stack.close()


def test_three_relays_on_one_redis_enforce_one_token_budget(tmp_path):
    """A key with a daily token budget, its `max_streams` 4 (fleet-wide): filled to just under the
    budget, then 20 requests at once spread over the three relays. The fleet spends at most the
    README's overshoot bound (max_streams × one stream's tokens) past the budget, the next request
    is refused with `insufficient_quota` on every relay, `/admin/usage` on any relay reports the
    fleet's total, and that total is what the three relays' usage files add up to."""
    import hashlib

    key = "e2e-fleet-budget-key-9"
    admin = "e2e-fleet-admin-key-10"
    budget, max_streams = 1000, 4
    auth = {"enabled": True, "budget_utc_offset": "+08:00",
            "admin_keys": [hashlib.sha256(admin.encode()).hexdigest()],
            "keys": [{"name": "fleet", "sha256": hashlib.sha256(key.encode()).hexdigest(), "max_streams": max_streams,
                      "budget": {"tokens": budget, "period": "day"}}]}
    usage_files = [tmp_path / f"usage-{index}.jsonl" for index in range(3)]
    stack = Cluster(tmp_path, relay_config={"auth": auth},
                    per_relay_config=lambda index: {"log": {"usage_file": str(usage_files[index])}})
    headers = {"Authorization": f"Bearer {key}"}

    def done_usage(url: str, prompt: str) -> tuple:
        """(status, total tokens of the done event or None, error code or None)."""
        with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
            with client.stream("POST", url + "/chat/stream", json={"prompt": prompt}, headers=headers) as response:
                if response.status_code != 200:
                    response.read()
                    return response.status_code, None, response.json()["error"]["code"]
                events = read_events(response)
        assert events[-1]["event"] == "done", events[-1]
        return 200, json.loads(events[-1]["data"])["usage"]["total_tokens"], None

    def used() -> int:
        report = httpx.get(stack.relay_url(0) + "/v1/usage", headers=headers, timeout=CLIENT_TIMEOUT).json()
        return report["tokens"]["used"]

    try:
        wait_until(lambda: all(health(stack.relay_url(i)).get("engine_status") == "ok" for i in range(3)),
                   15, "every relay's engine to be ok")
        # Fill to just under the budget with short answers, on every relay in turn.
        spent, fill = 0, 0
        while True:
            status, tokens, _ = done_usage(stack.relay_url(fill % 3), "fill [[chunks:8]]")
            assert status == 200
            spent += tokens
            fill += 1
            wait_until(lambda: used() == spent, 10, "the fleet's count to include the fill")
            if spent + tokens >= budget:
                break
        assert spent < budget
        # 20 at once across the three relays, each a longer answer (so those admitted overlap).
        results: list = [None] * 20

        def one(index: int) -> None:
            results[index] = done_usage(stack.relay_url(index % 3), "burst [[chunks:30]] [[delay:20]]")

        threads = [threading.Thread(target=one, args=(index,)) for index in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        served = [tokens for status, tokens, _ in results if status == 200]
        refusals = {code for status, _, code in results if status != 200}
        assert served, results
        assert refusals <= {"too_many_streams_for_client", "budget_exceeded"}, results
        expected = spent + sum(served)
        wait_until(lambda: used() == expected, 10, "the fleet's count to include the burst")
        overshoot_bound = max_streams * max(served)
        assert expected - budget <= overshoot_bound, (expected, budget, overshoot_bound)
        assert expected >= budget
        for index in range(3):
            refused = httpx.post(stack.relay_url(index) + "/chat", json={"prompt": "over"}, headers=headers, timeout=CLIENT_TIMEOUT)
            assert refused.status_code == 429, refused.text
            body = refused.json()["error"]
            assert body["code"] == "budget_exceeded", body
            assert body["message"].startswith(f"key 'fleet' used {expected:,} of {budget:,} tokens today; resets at "), body
        reports = [httpx.get(stack.relay_url(index) + "/admin/usage", headers={"Authorization": f"Bearer {admin}"},
                             timeout=CLIENT_TIMEOUT).json()["data"] for index in range(3)]
        assert all(report[0]["tokens"]["used"] == expected for report in reports), reports
        # Each relay's usage file holds the conversations it ran; together they are the fleet's count.
        def file_total() -> int:
            total = 0
            for path in usage_files:
                if path.exists():
                    total += sum(json.loads(line)["total_tokens"] for line in path.read_text().splitlines() if line)
            return total
        wait_until(lambda: file_total() == expected, 10, "the usage files to hold every conversation")
    finally:
        stack.close()
