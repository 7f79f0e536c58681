"""FastAPI's own SSE support (`fastapi.sse`), as its tutorial shows:
`response_class=EventSourceResponse`, a path operation that yields `ServerSentEvent`s,
and resume from a `last_event_id: Annotated[int | None, Header()]` parameter."""

import asyncio
from typing import Annotated

import uvicorn
from fastapi import Body, Depends, FastAPI, Header, HTTPException
from fastapi.sse import EventSourceResponse, ServerSentEvent

from contract import PORT, TICK_S, invalid

app = FastAPI()


@app.get("/events", response_class=EventSourceResponse)
async def events(last_event_id: Annotated[int | None, Header()] = None):
    n = last_event_id or 0
    while True:
        n += 1
        yield ServerSentEvent(raw_data=f"tick {n}", id=str(n))
        await asyncio.sleep(TICK_S)


@app.get("/idle", response_class=EventSourceResponse)
async def idle():
    yield ServerSentEvent(raw_data="ready")
    while True:
        await asyncio.sleep(3600)


def valid_events(events: Annotated[list[dict], Body(embed=True)]) -> list[dict]:
    # A dependency runs before the stream starts, so it can still answer 400.
    if invalid(events):
        raise HTTPException(status_code=400, detail="invalid event")
    return events


@app.post("/echo", response_class=EventSourceResponse)
async def echo(events: Annotated[list[dict], Depends(valid_events)]):
    for e in events:
        yield ServerSentEvent(
            raw_data=e.get("data"), id=e.get("id"), event=e.get("event"),
            retry=e.get("retry"), comment=e.get("comment"),
        )


uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning")
