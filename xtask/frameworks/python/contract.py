"""What every stack here serves, whatever the framework (see ../README.md): the ticker's
pace, the port, and the echo contract's rule for invalid events (glue around the
framework's own encoder, which is what the echo route tests)."""

import os
import re

TICK_S = 0.25
PORT = int(os.environ.get("PORT", "8000"))


def invalid(events):
    """True when the echo contract wants a 400: an id with CR, LF or NUL, a type with CR or LF."""
    return any(
        re.search(r"[\r\n\0]", e.get("id") or "") or re.search(r"[\r\n]", e.get("event") or "")
        for e in events
    )
