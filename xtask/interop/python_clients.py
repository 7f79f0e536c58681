"""httpx-sse against the demo: GET /events, POST /chat, POST /echo.

Env: DEMO (http://127.0.0.1:P). Prints one JSON line per case: {client, case, ok, saw}.
"""

import json
import os
from importlib.metadata import version

import httpx
from httpx_sse import connect_sse

DEMO = os.environ["DEMO"]
CLIENT = f"httpx-sse {version('httpx-sse')} (httpx {httpx.__version__})"
ECHO = [
    {"id": "1", "event": "x", "data": "a\r\nb\rc"},
    {"data": ""},
    {"data": " leading space", "comment": "c\r\ndata: injected"},
    {"data": "é日本😀: colon"},
]
ECHO_EXPECTED = [("x", "a\nb\nc"), ("message", ""), ("message", " leading space"), ("message", "é日本😀: colon")]


def report(case, ok, saw):
    print(json.dumps({"client": CLIENT, "case": case, "ok": ok, "saw": saw}, ensure_ascii=False), flush=True)


def run(case, check):
    try:
        ok, saw = check()
        report(case, ok, saw)
    except Exception as error:  # any failure is a failed case, with its reason
        report(case, False, f"error: {error}")


def events_case():
    with httpx.Client(timeout=10) as client:
        with connect_sse(client, "GET", f"{DEMO}/events?interval_ms=20") as source:
            seen = []
            for event in source.iter_sse():
                seen.append((event.event, event.id, event.data))
                if len(seen) == 5:
                    break
    ids = ",".join(event_id for _, event_id, _ in seen)
    # The ticker is shared (a hub): ids (`<epoch>-<n>`) start wherever it is, then must be
    # consecutive.
    numbers = [int(event_id.rsplit("-", 1)[1]) for _, event_id, _ in seen]
    consecutive = numbers == list(range(numbers[0], numbers[0] + 5))
    return consecutive and all(kind == "tick" for kind, _, _ in seen), f"ids {ids}, last {seen[-1][2]}"


def chat_case():
    with httpx.Client(timeout=10) as client:
        with connect_sse(client, "POST", f"{DEMO}/chat", json={"prompt": "python"}) as source:
            data = [event.data for event in source.iter_sse()]
    text = "".join(json.loads(d)["token"] for d in data[:-1])
    return data[-1] == "[DONE]" and text.startswith("You said: python"), f"{text[:30]!r}…, {len(data)} events"


def echo_case():
    with httpx.Client(timeout=10) as client:
        with connect_sse(client, "POST", f"{DEMO}/echo", json={"events": ECHO}) as source:
            seen = [(event.event, event.data) for event in source.iter_sse()]
    return seen == ECHO_EXPECTED, json.dumps(seen, ensure_ascii=False)


run("GET /events: ids and data", events_case)
run("POST /chat: JSON tokens then [DONE]", chat_case)
run("POST /echo: hostile data round-trips", echo_case)
