#!/usr/bin/env python3
"""Drives one of the third-party Spark SDKs once, in its own process (both run websocket-client in
non-daemon threads, so a hung SDK must not hang pytest: test_release_interop.py runs this script
with a timeout that kills it).

  spark_sdk_driver.py SDK MODE URL DOMAIN PROMPT_FILE
    SDK     sparkai (iFlytek's spark-ai-python) | langchain (langchain-community)
    MODE    invoke | stream
    URL     the model URL, e.g. ws://127.0.0.1:PORT/v3.5/chat
    PROMPT_FILE  UTF-8 file holding the prompt (may be 70 KB: too long for comfort on a command line)
Credentials from SPARK_APP_ID, SPARK_API_KEY, SPARK_API_SECRET.

Prints one JSON line: {"chunks": [...], "text": "...", "usage": {...}} or
{"error_type": "...", "error": "..."} (exit status 0 in both cases; anything else is a crash).
"""

import json
import os
import sys
import warnings

warnings.simplefilter("ignore")  # langchain-community's sunset notice and pydantic notes are not results
TIMEOUT = 20  # seconds each SDK waits for one frame


def run_sparkai(mode: str, url: str, domain: str, prompt: str) -> dict:
    from sparkai.core.messages import ChatMessage
    from sparkai.llm.llm import ChatSparkLLM

    llm = ChatSparkLLM(spark_api_url=url, spark_app_id=os.environ["SPARK_APP_ID"],
                       spark_api_key=os.environ["SPARK_API_KEY"], spark_api_secret=os.environ["SPARK_API_SECRET"],
                       spark_llm_domain=domain, streaming=(mode == "stream"), request_timeout=TIMEOUT)
    messages = [ChatMessage(role="user", content=prompt)]
    if mode == "invoke":
        result = llm.generate([messages])
        generation = result.generations[0][0]
        return {"chunks": [generation.text], "text": generation.text,
                "usage": (result.llm_output or {}).get("token_usage")}
    chunks = [chunk.content for chunk in llm.stream(messages)]
    return {"chunks": chunks, "text": "".join(chunks), "usage": None}


def run_langchain(mode: str, url: str, domain: str, prompt: str) -> dict:
    from langchain_community.chat_models import ChatSparkLLM
    from langchain_core.messages import HumanMessage

    llm = ChatSparkLLM(spark_api_url=url, spark_app_id=os.environ["SPARK_APP_ID"],
                       spark_api_key=os.environ["SPARK_API_KEY"], spark_api_secret=os.environ["SPARK_API_SECRET"],
                       spark_llm_domain=domain, request_timeout=TIMEOUT)
    messages = [HumanMessage(content=prompt)]
    if mode == "invoke":
        message = llm.invoke(messages)
        return {"chunks": [message.content], "text": message.content,
                "usage": message.response_metadata.get("token_usage")}
    chunks = [chunk.content for chunk in llm.stream(messages)]
    return {"chunks": chunks, "text": "".join(chunks), "usage": None}


def main() -> None:
    sdk, mode, url, domain, prompt_file = sys.argv[1:6]
    with open(prompt_file, encoding="utf-8") as handle:
        prompt = handle.read()
    runner = {"sparkai": run_sparkai, "langchain": run_langchain}[sdk]
    try:
        result = runner(mode, url, domain, prompt)
    except Exception as error:  # the test asserts on the type and the message
        result = {"error_type": type(error).__name__, "error": str(error)}
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    # Both SDKs may leave their websocket-client thread behind after an error: do not wait for it.
    os._exit(0)


if __name__ == "__main__":
    main()
