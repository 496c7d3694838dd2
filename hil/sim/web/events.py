"""`GET /events`: the twin's state pushed to the bench page as server-sent events.

Each event is `event: state` with one JSON object: `GET /state` without
`led_history`, plus

- `t`: the twin's monotonic clock (s) when the state was taken, the time base
  of `led_history` (so the page draws LED changes where they happened);
- `led_changes`: the LED level changes since the previous event (the first
  event carries those of the last `HISTORY_S` seconds), each as in
  `led_history`: `{"t", "gpio", "label", "level"}`.

An event is sent as soon as the breadboard changes (pins, LEDs, button,
wires, faults: `Breadboard.wait_change`), so a 1 s blink arrives as it
happens; the chip's boot state and the UART client are looked at every
`POLL_S` too. A comment line every `HEARTBEAT_S` finds a closed page.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, BinaryIO, Protocol

from hil.sim.errors import SimStateError

log = logging.getLogger(__name__)

POLL_S = 0.25
MIN_GAP_S = 0.02  # a pin toggled in a tight loop must not flood the page
HISTORY_S = 30.0
HEARTBEAT_S = 10.0


class LiveBench(Protocol):
    def state(self, history: bool = True) -> dict[str, Any]: ...
    def led_history(self, since: float | None = None) -> list[dict[str, object]]: ...
    def wait_change(self, version: int, timeout: float) -> int: ...


def event(name: str, doc: dict[str, Any]) -> bytes:
    """One server-sent event (the JSON has no newlines, so one `data:` line)."""
    return f"event: {name}\ndata: {json.dumps(doc)}\n\n".encode()


def stream(out: BinaryIO, bench: LiveBench, closing: threading.Event) -> None:
    """Write state events to `out` until the client goes away, the bench stops or `closing` is set."""
    version = -1
    since = time.monotonic() - HISTORY_S
    last: dict[str, Any] | None = None
    last_sent = 0.0
    try:
        while not closing.is_set():
            version = bench.wait_change(version, POLL_S)
            if closing.is_set():
                break
            now = time.monotonic()
            doc = bench.state(history=False)
            doc.pop("led_history", None)
            changes = bench.led_history(since)
            if changes:
                since = float(changes[-1]["t"])  # type: ignore[arg-type]
            if doc != last or changes:
                last = doc
                out.write(event("state", {**doc, "t": now, "led_changes": changes}))
                out.flush()
                last_sent = now
            elif now - last_sent > HEARTBEAT_S:
                out.write(b": still here\n\n")
                out.flush()
                last_sent = now
            closing.wait(MIN_GAP_S)
    except OSError:
        return  # the page was closed, or stalled past the endpoint's write deadline
    except SimStateError:
        return  # the twin was stopped under us
    except Exception as e:  # the twin broke: say so on the page, end the stream
        log.exception("bench page event stream")
        if not closing.is_set():
            try:
                out.write(event("gone", {"error": f"{type(e).__name__}: {e}"}))
            except OSError:
                pass
