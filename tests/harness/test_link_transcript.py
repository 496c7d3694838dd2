"""Every byte to and from the board is logged on `hil.serial`, readable, control bytes shown."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import serial

from hil.repl.link import Link


@pytest.fixture
def link() -> Iterator[Link]:
    """A Link on pyserial's loop:// (what is written comes back), closed after the test."""
    port = serial.serial_for_url("loop://", timeout=0.02)
    try:
        yield Link(port, "loop://")
    finally:
        port.close()


def test_link_logs_both_directions_a_line_at_a_time(link: Link,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="hil.serial"):
        link.write(b"\x01print(1)\x04")
        link.write(b"MicroPython v1.24.1\r\n>>> ")
        with link.waiting(2.0, "prompt"):
            link.read_until(b">>> ")
            with pytest.raises(Exception):
                link.read(1)  # nothing more: the quiet line logs the partial prompt
    messages = [r.getMessage() for r in caplog.records if r.name == "hil.serial"]
    assert messages[0] == "loop:// -> <^A>print(1)<^D>"
    assert "loop:// <- <^A>print(1)<^D>MicroPython v1.24.1\\r\\n" in messages
    assert messages[-1] == "loop:// <- >>> "


def test_nothing_is_rendered_when_nobody_listens(link: Link,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="hil.serial"):
        link.write(b"abc\r\n")
        link.drain()
    assert not [r for r in caplog.records if r.name == "hil.serial"]
    assert not link._unlogged  # noqa: SLF001 - no buffering when the log is off
