"""launchdarkly-eventsource 1.7 (`ld_eventsource`), used the way its README shows:
`SSEClient(url)` with its defaults (reconnects after the end or a network error, with
backoff; stops on a non-2xx, a 204 or a wrong content type) and `client.all`. Run as
`python launchdarkly_client.py URL`."""

import sys

from ld_eventsource import SSEClient
from ld_eventsource.actions import Event, Fault, Start

from report import report

try:
    client = SSEClient(sys.argv[1])
    for action in client.all:
        if isinstance(action, Start):
            report(kind="open")
        elif isinstance(action, Event):
            report(kind="event", type=action.event, data=action.data, id=action.last_event_id or "")
        elif isinstance(action, Fault):
            report(kind="error", message=str(action.error))
except Exception as error:  # a non-retryable error on the first connection
    report(kind="error", message=f"{type(error).__name__}: {error}")
report(kind="closed")
