"""httpx-sse 0.4, used the way its README shows: `connect_sse(client, "GET", url)` and
`iter_sse()`. It does not reconnect by itself. Run as `python httpx_sse_client.py URL`."""

import sys

import httpx
from httpx_sse import connect_sse

from report import report

try:
    with httpx.Client(timeout=None) as client:
        with connect_sse(client, "GET", sys.argv[1]) as event_source:
            event_source.response.raise_for_status()
            report(kind="open")
            for sse in event_source.iter_sse():
                report(kind="event", type=sse.event, data=sse.data, id=sse.id)
    report(kind="error", message="the stream ended")
except Exception as error:  # what the README's pattern surfaces to the app
    report(kind="error", message=f"{type(error).__name__}: {error}")
report(kind="closed")
