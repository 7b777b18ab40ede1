"""The official `openai` Python SDK against the relay's OpenAI-compatible API, backed by the
built-in simulator: models, non-streaming and streaming completions, usage, tool calls in both
modes (including the follow-up round trip), X1 reasoning, and each error class."""

from __future__ import annotations

import json

import openai
import pytest

ANSWER_TAIL = "这是讯飞星火模拟器的固定回答：流式分片、多字节字符与表情😀都会完整到达。"


def answer(prompt: str) -> str:
    return f"You said: {prompt}. {ANSWER_TAIL}"


@pytest.fixture(scope="module")
def client(request):
    # One relay for the module (the conftest's start_relay is per test).
    from relay_harness import RelayProcess, write_config
    import tempfile
    from pathlib import Path
    directory = Path(tempfile.mkdtemp())
    relay = RelayProcess(write_config(directory, {"upstream": {"simulator_chunk_delay": 0.002,
                                                               "first_frame_timeout": 0.5}}, "openai.json"))
    relay.wait_listening()
    yield openai.OpenAI(base_url=f"{relay.base_url}/v1", api_key="not-needed", max_retries=0, timeout=20)
    relay.stop_and_check()


def test_models_list_and_retrieve(client):
    ids = [model.id for model in client.models.list()]
    for name in ["lite", "generalv3", "pro-128k", "generalv3.5", "max-32k", "4.0Ultra", "x1", "Spark-Max"]:
        assert name in ids
    assert client.models.retrieve("generalv3.5").id == "generalv3.5"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_non_streaming_completion_with_usage(client):
    completion = client.chat.completions.create(
        model="generalv3.5", messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "你好"}])
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-cht")
    assert completion.model == "generalv3.5"
    choice = completion.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == answer("你好")
    assert choice.finish_reason == "stop"
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens > 0


def test_streaming_completion_is_exact_and_consistent(client):
    stream = client.chat.completions.create(model="Spark-Max", stream=True, stream_options={"include_usage": True},
                                            messages=[{"role": "user", "content": "stream me"}])
    chunks = list(stream)
    assert len({chunk.id for chunk in chunks}) == 1
    assert len({chunk.created for chunk in chunks}) == 1
    assert all(chunk.model == "Spark-Max" for chunk in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text == answer("stream me")
    finishes = [chunk.choices[0].finish_reason for chunk in chunks if chunk.choices and chunk.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens > 0


def test_streaming_without_include_usage_has_no_usage_chunk(client):
    chunks = list(client.chat.completions.create(model="lite", stream=True, messages=[{"role": "user", "content": "u"}]))
    assert all(chunk.usage is None for chunk in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"


TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "weather for a city",
                                            "parameters": {"type": "object", "properties": {"location": {"type": "string"}},
                                                           "required": ["location"]}}}]


def test_tool_call_round_trip_non_streaming(client):
    first = client.chat.completions.create(model="generalv3.5", tools=TOOLS,
                                           messages=[{"role": "user", "content": "合肥 [[function:get_weather]]"}])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"location": "合肥"}
    assert call.id.startswith("call_")
    follow_up = client.chat.completions.create(model="generalv3.5", tools=TOOLS, messages=[
        {"role": "user", "content": "合肥天气如何"},
        {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": call.id, "content": '{"weather":"晴","temperature":20}'},
    ])
    # The simulator echoes the last user turn: the tool result reached Spark as a user message.
    content = follow_up.choices[0].message.content
    assert content.startswith('You said: [function_result] get_weather: {"weather":"晴","temperature":20}')
    assert follow_up.choices[0].finish_reason == "stop"


def test_tool_call_streaming(client):
    chunks = list(client.chat.completions.create(model="4.0Ultra", tools=TOOLS, stream=True,
                                                 messages=[{"role": "user", "content": "上海 [[function:get_weather]]"}]))
    calls = [tc for chunk in chunks if chunk.choices for tc in (chunk.choices[0].delta.tool_calls or [])]
    assert len(calls) == 1 and calls[0].index == 0
    assert calls[0].function.name == "get_weather"
    assert json.loads(calls[0].function.arguments) == {"location": "上海"}
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["tool_calls"]


def test_x1_reasoning_both_modes(client):
    completion = client.chat.completions.create(model="x1", messages=[{"role": "user", "content": "think [[reasoning]]"}])
    message = completion.choices[0].message
    assert message.content == answer("think")
    assert message.model_extra["reasoning_content"] == "先理解问题，再组织回答。思考完毕。"
    chunks = list(client.chat.completions.create(model="x1", stream=True, messages=[{"role": "user", "content": "think [[reasoning]]"}]))
    reasoning = "".join((chunk.choices[0].delta.model_extra or {}).get("reasoning_content") or "" for chunk in chunks if chunk.choices)
    assert reasoning == "先理解问题，再组织回答。思考完毕。"


@pytest.mark.parametrize("messages,exception", [
    ([], openai.BadRequestError),
    ([{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}], openai.BadRequestError),
    ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:"}}]}], openai.BadRequestError),
])
def test_invalid_requests_raise_bad_request(client, messages, exception):
    with pytest.raises(exception):
        client.chat.completions.create(model="lite", messages=messages)


def test_n_greater_than_one_and_unknown_model(client):
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="lite", n=2, messages=[{"role": "user", "content": "x"}])
    assert "'n'" in info.value.message
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])


@pytest.mark.parametrize("code,exception", [
    (11202, openai.RateLimitError), (11203, openai.RateLimitError), (11201, openai.RateLimitError),
    (11200, openai.PermissionDeniedError), (10907, openai.BadRequestError), (10012, openai.InternalServerError),
])
def test_spark_errors_raise_the_matching_exception(client, code, exception):
    for stream in (False, True):
        with pytest.raises(exception) as info:
            response = client.chat.completions.create(model="lite", stream=stream,
                                                      messages=[{"role": "user", "content": f"x [[error:{code}]]"}])
            if stream:
                list(response)
        assert str(code) in info.value.message
        if exception is openai.RateLimitError and code != 11201:
            assert info.value.response.headers["retry-after"] == "1"


def test_moderation_is_finish_reason_content_filter(client):
    completion = client.chat.completions.create(model="lite", messages=[{"role": "user", "content": "x [[error:10013]]"}])
    assert completion.choices[0].finish_reason == "content_filter"
    chunks = list(client.chat.completions.create(model="lite", stream=True,
                                                 messages=[{"role": "user", "content": "x [[error:10014@2]]"}]))
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["content_filter"]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) != ""


def test_upstream_timeout_is_504_and_mid_stream_failure_is_an_error_chunk(client):
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="lite", messages=[{"role": "user", "content": "x [[slow-first:3000]]"}])
    assert info.value.status_code == 504
    with pytest.raises(openai.APIError) as info:
        for _ in client.chat.completions.create(model="lite", stream=True,
                                                messages=[{"role": "user", "content": "x [[drop@2]]"}]):
            pass
    assert "upstream" in str(info.value).lower() or "closed" in str(info.value).lower()


def test_temperature_and_parameters(client):
    completion = client.chat.completions.create(model="lite", temperature=0, top_p=0.5, max_tokens=100, user="u" * 64,
                                                messages=[{"role": "user", "content": "params"}])
    assert completion.choices[0].message.content == answer("params")
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="lite", temperature=3, messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="lite", max_tokens=100000, messages=[{"role": "user", "content": "x"}])
