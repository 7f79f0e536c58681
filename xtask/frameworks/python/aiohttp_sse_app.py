"""aiohttp with aiohttp-sse 3.0, as its README shows: `async with sse_response(request)`
and `await resp.send(data, id=...)`. Pings: the library's default (15 s). The README shows
no resume: ids count from 1 on every connection."""

import asyncio

from aiohttp import web
from aiohttp_sse import sse_response

from contract import PORT, TICK_S, invalid


async def events(request):
    async with sse_response(request) as resp:
        n = 0
        while resp.is_connected():
            n += 1
            await resp.send(f"tick {n}", id=str(n))
            await asyncio.sleep(TICK_S)
    return resp


async def idle(request):
    async with sse_response(request) as resp:
        await resp.send("ready")
        await resp.wait()
    return resp


async def echo(request):
    events = (await request.json())["events"]
    if invalid(events):
        return web.Response(status=400, text="invalid event")
    # `send` writes an event with data, and has no comment: an id or retry without data
    # cannot be expressed (501); a type or comment alone changes nothing a client sees.
    if any(e.get("data") is None and (e.get("id") is not None or e.get("retry") is not None) for e in events):
        return web.Response(status=501, text="cannot express an id or retry without data")
    async with sse_response(request, allow_all_methods=True) as resp:
        for e in events:
            if e.get("data") is not None:
                await resp.send(e["data"], id=e.get("id"), event=e.get("event"), retry=e.get("retry"))
    return resp


app = web.Application()
app.router.add_get("/events", events)
app.router.add_get("/idle", idle)
app.router.add_post("/echo", echo)
web.run_app(app, host="127.0.0.1", port=PORT, print=None)
