"""A correct third-party SSE server, for the checker to find no failure in: sse-starlette
(pinned in requirements.txt) serving a ticker with ids that resumes after Last-Event-ID.

Usage: python3 starlette_server.py PORT  (serves http://127.0.0.1:PORT/events)
"""

import asyncio
import sys

import uvicorn
from sse_starlette.sse import EventSourceResponse, ServerSentEvent
from starlette.applications import Starlette
from starlette.routing import Route


async def events(request):
    last = request.headers.get("last-event-id", "")
    # An id it never sent starts the ticker again from 1; a known one resumes after it.
    first = int(last) + 1 if last.isdigit() else 1

    async def ticks():
        n = first
        while True:
            yield ServerSentEvent(data=f'{{"n": {n}}}', id=str(n), event="tick")
            n += 1
            await asyncio.sleep(0.1)

    return EventSourceResponse(ticks(), ping=1)


app = Starlette(routes=[Route("/events", events)])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
