"""The official `openai` and `anthropic` Python SDKs against the demo's vendor endpoints
(`/v1/chat/completions`, `/v1/responses`, `/v1/messages`), pointed at it by base URL
only: each reads the text, the finish reason and the usage, and an in-band failure
(`X-Demo-Fail-After`) surfaces the way the SDK reports one.

Env: DEMO (http://127.0.0.1:P). Prints one JSON line per case: {client, case, ok, saw}.
"""

import json
import os
from importlib.metadata import version

import anthropic
import openai

DEMO = os.environ["DEMO"]
PROMPT = "stream me a reply"
EXPECTED = f"You said: {PROMPT}\nThis reply streams one token at a time, the way a language model answers."
# The demo's tokens are words: its answer's pieces, and the prompt's words.
PROMPT_TOKENS = len(PROMPT.split())
ANSWER_TOKENS = len(EXPECTED.split(" "))
FAIL = {"X-Demo-Fail-After": "3"}
OPENAI = f"openai {version('openai')} (Python)"
ANTHROPIC = f"anthropic {version('anthropic')} (Python)"


def report(client, case, ok, saw):
    print(json.dumps({"client": client, "case": case, "ok": ok, "saw": saw}, ensure_ascii=False), flush=True)


def run(client, case, check):
    try:
        ok, saw = check()
        report(client, case, ok, saw)
    except Exception as error:  # any failure is a failed case, with its reason
        report(client, case, False, f"error: {type(error).__name__}: {error}")


def openai_client():
    return openai.OpenAI(base_url=f"{DEMO}/v1", api_key="demo", max_retries=0, timeout=10)


def chat_completions():
    stream = openai_client().chat.completions.create(
        model="demo-model",
        messages=[{"role": "user", "content": PROMPT}],
        stream=True,
        stream_options={"include_usage": True},
    )
    text, finish, usage = "", None, None
    for chunk in stream:
        for choice in chunk.choices:
            text += choice.delta.content or ""
            finish = choice.finish_reason or finish
        usage = chunk.usage or usage
    ok = (
        text == EXPECTED
        and finish == "stop"
        and usage is not None
        and (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens)
        == (PROMPT_TOKENS, ANSWER_TOKENS, PROMPT_TOKENS + ANSWER_TOKENS)
    )
    return ok, f"{len(text)} chars, finish_reason {finish}, usage {usage and usage.model_dump()}"


def chat_completions_failure():
    stream = openai_client().chat.completions.create(
        model="demo-model",
        messages=[{"role": "user", "content": PROMPT}],
        stream=True,
        extra_headers=FAIL,
    )
    text = ""
    try:
        for chunk in stream:
            for choice in chunk.choices:
                text += choice.delta.content or ""
    except openai.APIError as error:
        return "went away" in str(error) and len(text) > 0, f"{type(error).__name__} after {len(text)} chars: {error}"
    return False, f"no error raised; {len(text)} chars"


def responses():
    stream = openai_client().responses.create(model="demo-model", input=PROMPT, stream=True)
    text, completed = "", None
    for event in stream:
        if event.type == "response.output_text.delta":
            text += event.delta
        elif event.type == "response.completed":
            completed = event.response
    usage = completed and completed.usage
    ok = (
        text == EXPECTED
        and completed is not None
        and completed.status == "completed"
        and completed.output_text == EXPECTED
        and usage is not None
        and (usage.input_tokens, usage.output_tokens, usage.total_tokens)
        == (PROMPT_TOKENS, ANSWER_TOKENS, PROMPT_TOKENS + ANSWER_TOKENS)
    )
    return ok, f"{len(text)} chars, status {completed and completed.status}, usage {usage and usage.model_dump(include={'input_tokens', 'output_tokens', 'total_tokens'})}"


def responses_failure():
    stream = openai_client().responses.create(
        model="demo-model", input=PROMPT, stream=True, extra_headers=FAIL
    )
    seen = []
    try:
        for event in stream:
            seen.append(event.type)
            if event.type == "response.failed":
                error = event.response.error
                ok = error is not None and "went away" in error.message and "error" in seen
                return ok, f"events …{seen[-2:]}, response.failed with {error and error.message!r}"
    except openai.APIError as error:
        return "went away" in str(error), f"{type(error).__name__} after {seen[-1:]}: {error}"
    return False, f"no failure reported: {seen[-3:]}"


def anthropic_client():
    return anthropic.Anthropic(base_url=DEMO, api_key="demo", max_retries=0, timeout=10)


def messages():
    with anthropic_client().messages.stream(
        model="demo-model", max_tokens=256, messages=[{"role": "user", "content": PROMPT}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    usage = final.usage
    ok = (
        text == EXPECTED
        and final.content[0].text == EXPECTED
        and final.stop_reason == "end_turn"
        and (usage.input_tokens, usage.output_tokens) == (PROMPT_TOKENS, ANSWER_TOKENS)
    )
    return ok, f"{len(text)} chars, stop_reason {final.stop_reason}, usage in {usage.input_tokens} out {usage.output_tokens}"


def messages_failure():
    text = ""
    try:
        with anthropic_client().messages.stream(
            model="demo-model",
            max_tokens=256,
            messages=[{"role": "user", "content": PROMPT}],
            extra_headers=FAIL,
        ) as stream:
            for piece in stream.text_stream:
                text += piece
    except anthropic.APIError as error:
        return "went away" in str(error) and len(text) > 0, f"{type(error).__name__} after {len(text)} chars: {error}"
    return False, f"no error raised; {len(text)} chars"


run(OPENAI, "chat.completions stream: text, finish_reason, include_usage", chat_completions)
run(OPENAI, "chat.completions: an in-band error raises", chat_completions_failure)
run(OPENAI, "responses stream: text, response.completed, usage", responses)
run(OPENAI, "responses: an in-band error is error + response.failed", responses_failure)
run(ANTHROPIC, "messages.stream: text, stop_reason, usage", messages)
run(ANTHROPIC, "messages: an in-band error raises", messages_failure)
