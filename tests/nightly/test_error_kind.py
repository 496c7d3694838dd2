"""The bench error's kind in hil-run.json decides ci/nightly's one retry: only transient kinds."""

from __future__ import annotations

import pytest

from fixtures.artifacts import error_kind
from hil.errors import (
    BoardResetError,
    BoardStateError,
    BoardTimeoutError,
    ImageError,
    LineSpeedError,
    PortGoneError,
    PortNotFoundError,
)
from hil.nightly.contract import TRANSIENT


def _latched(first: Exception) -> BoardStateError:
    try:
        raise BoardStateError("not tried: the board is in an unknown state") from first
    except BoardStateError as e:
        return e


@pytest.mark.parametrize(("error", "kind"), [
    (BoardResetError("the board restarted"), "reset"),
    (BoardTimeoutError("exec", 5.0, b"\r\n ets Jan  8 2013,rst cause:2, boot mode:(3,6)"), "reset"),
    (BoardTimeoutError("exec", 5.0, bytes(range(0x80, 0xC0))), "garbled"),
    (LineSpeedError("the board answers at another baud"), "garbled"),
    (_latched(PortGoneError("the port stopped working")), "port-gone"),
    (BoardTimeoutError("exec", 5.0, b">>> "), "no-answer"),
    # the end of a raw paste never acknowledged: the ^D was lost on the line
    (BoardTimeoutError("exec", 5.0, b"\x04\x04>R\x01\x80\x00\x01\x01\x01"), "garbled"),
    # acknowledged, then the code ran too long: no answer
    (BoardTimeoutError("exec", 5.0, b">R\x01\x80\x00\x01\x04"), "no-answer"),
    (PortNotFoundError("no such port"), "port-missing"),
    (ImageError("not an ESP8266 image"), "image-refused"),
])
def test_kind(error: Exception, kind: str) -> None:
    assert error_kind(error) == kind


def test_only_a_reset_a_garbled_line_or_a_vanished_port_is_retried() -> None:
    assert set(TRANSIENT) == {"reset", "garbled", "port-gone"}
