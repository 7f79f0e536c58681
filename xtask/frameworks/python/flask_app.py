"""Flask 3, as its "Streaming Contents" pattern shows: a generator of hand-formatted
events in a `Response(..., mimetype="text/event-stream")`, on the threaded development
server. Ids count from 1 on every connection; nothing is sent while idle."""

import time

from flask import Flask, Response, request

from contract import PORT, TICK_S, invalid

app = Flask(__name__)


@app.get("/events")
def events():
    def ticks():
        n = 0
        while True:
            n += 1
            yield f"id: {n}\ndata: tick {n}\n\n"
            time.sleep(TICK_S)

    return Response(ticks(), mimetype="text/event-stream")


@app.get("/idle")
def idle():
    def ready():
        yield "data: ready\n\n"
        while True:
            time.sleep(3600)
            yield ""

    return Response(ready(), mimetype="text/event-stream")


@app.post("/echo")
def echo():
    events = request.get_json()["events"]
    if invalid(events):
        return Response("invalid event", status=400)

    def stream():
        for e in events:
            text = ""
            if e.get("comment") is not None:
                text += f": {e['comment']}\n"
            if e.get("id") is not None:
                text += f"id: {e['id']}\n"
            if e.get("event") is not None:
                text += f"event: {e['event']}\n"
            if e.get("retry") is not None:
                text += f"retry: {e['retry']}\n"
            if e.get("data") is not None:
                text += "".join(f"data: {line}\n" for line in e["data"].split("\n"))
            yield text + "\n"

    return Response(stream(), mimetype="text/event-stream")


app.run(host="127.0.0.1", port=PORT, threaded=True)
