"""Starlette with sse-starlette 3.7, as its README shows: `EventSourceResponse` over an
async generator of dicts (`{"id", "event", "data", "retry", "comment"}`). Pings: the
default (15 s). The README shows no resume: ids count from 1 on every connection."""

import asyncio

import uvicorn
from sse_starlette import EventSourceResponse
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from contract import PORT, TICK_S, invalid


async def events(request):
    async def ticks():
        n = 0
        while True:
            n += 1
            yield {"id": str(n), "data": f"tick {n}"}
            await asyncio.sleep(TICK_S)

    return EventSourceResponse(ticks())


async def idle(request):
    async def ready():
        yield {"data": "ready"}
        while True:
            await asyncio.sleep(3600)

    return EventSourceResponse(ready())


async def echo(request):
    events = (await request.json())["events"]
    if invalid(events):
        return PlainTextResponse("invalid event", status_code=400)

    async def stream():
        for e in events:
            yield {key: value for key, value in e.items() if value is not None}

    return EventSourceResponse(stream(), ping=0)


app = Starlette(routes=[
    Route("/events", events),
    Route("/idle", idle),
    Route("/echo", echo, methods=["POST"]),
])
uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning")
