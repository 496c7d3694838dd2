"""A garbled line while the harness loads its own board code is the bench's error, never the app's.

hil/device/*.py compile (tests/suite/test_device_code.py); when the board
raises SyntaxError, NameError, ... while defining them, it got other bytes
than were sent. Over the twin's real RFC2217 line with the link fault
``garble`` (bits flipped on the wire), every failure must be a BenchError.
"""

from __future__ import annotations

import pytest

from hil.device import load
from hil.errors import BenchError, DeviceError
from hil.repl import Repl


def test_garbled_harness_code_is_a_bench_error(twin) -> None:
    seen: list[str] = []
    with Repl(twin.url) as repl:
        repl.ensure_friendly_idle()
        twin.set_link_faults(["garble:0.003"])  # ~10 flipped bits in bench_io's 3 kB
        for _ in range(8):
            try:
                repl.soft_reset(run_main=False)
                load(repl, "bench_io")
                seen.append("loaded")
            except DeviceError as e:  # the app's kind of failure: must not happen here
                pytest.fail(f"a garbled load was reported as the board's code failing: {e}")
            except BenchError as e:
                seen.append(type(e).__name__)
    # the board's SyntaxError & co. became the line's: a LinkError where Repl.exec's seal
    # caught it (hil/repl/repl.py _sealed), a ProtocolError where hil.device.load did
    assert {"ProtocolError", "LinkError"} & set(seen), seen
