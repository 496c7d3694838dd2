"""The deadline reader under mpremote, over pyserial's loop:// and a silent pty."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
import serial

from hil.errors import BoardTimeoutError
from hil.repl import Repl
from hil.repl.link import Link
from hil.transport import open_port


@pytest.fixture
def loop() -> Iterator[Link]:
    port = serial.serial_for_url("loop://", timeout=0.02)
    try:
        yield Link(port, "loop://")
    finally:
        port.close()


def test_read_until_leaves_the_rest_pending(loop: Link) -> None:
    loop.write(b"OK\x04stderr\x04>")
    with loop.waiting(2.0, "first EOF"):
        assert loop.read_until(b"\x04") == b"OK\x04"
        assert loop.read_until(b"\x04") == b"stderr\x04"
        assert loop.read(1) == b">"


def test_timeout_names_the_wait_and_the_last_bytes(loop: Link) -> None:
    loop.write(b"MicroPython v1.24.1\r\n>>> ")
    with pytest.raises(BoardTimeoutError) as e, loop.waiting(0.3, "entering raw REPL on loop://",
                                                             "is another program using it?"):
        loop.read_until(b"raw REPL; CTRL-B to exit\r\n")
    msg = str(e.value)
    assert "entering raw REPL on loop://" in msg and "awaiting b'raw REPL" in msg
    assert ">>> " in msg and "is another program using it?" in msg
    # a caller may catch it as what it is, a timeout (and it stays the bench's error)
    assert isinstance(e.value, TimeoutError)


def test_bytes_read_before_a_timeout_are_not_lost(loop: Link) -> None:
    loop.write(b"partial")
    with pytest.raises(BoardTimeoutError), loop.waiting(0.2, "x"):
        loop.read_until(b"\x04")
    loop.write(b" rest\x04")
    with loop.waiting(2.0, "y"):
        assert loop.read_until(b"\x04") == b"partial rest\x04"


def test_read_n_raises_instead_of_returning_short(loop: Link) -> None:
    loop.write(b"R")
    with pytest.raises(BoardTimeoutError, match="awaiting b'2 bytes'"), loop.waiting(0.2, "x"):
        loop.read(2)


def test_nested_deadline_never_outlives_the_outer(loop: Link) -> None:
    start = time.monotonic()
    with pytest.raises(BoardTimeoutError), loop.waiting(0.3, "outer"), loop.waiting(30, "inner"):
        loop.read_until(b"never")
    assert time.monotonic() - start < 5  # bound, not a timing goal: the 30 s inner was capped


def test_consumer_gets_data_as_it_comes(loop: Link) -> None:
    got: list[bytes] = []
    loop.write(b"hello world\x04tail")
    with loop.waiting(2.0, "x"):
        assert loop.read_until(b"\x04", consumer=got.append) == b"\x04"
    assert b"".join(got) == b"hello world"
    assert loop.drain() == b"tail"


def test_collect_stops_on_silence(loop: Link) -> None:
    loop.write(b"boot text, main.py runs silently")
    with loop.waiting(5.0, "boot"):
        text, found = loop.collect(b">>> ", quiet=0.2)
    assert (text, found) == (b"boot text, main.py runs silently", False)
    loop.write(b"banner\r\n>>> more")
    with loop.waiting(5.0, "boot"):
        assert loop.collect(b">>> ", quiet=0.2) == (b"banner\r\n>>> ", True)


def test_silent_board_times_out_and_releases_the_port() -> None:
    """A pty nobody answers on: a bounded BoardTimeoutError, and the port is free after."""
    master, slave = os.openpty()
    path = os.ttyname(slave)
    os.close(slave)
    try:
        with pytest.raises(BoardTimeoutError) as e, Repl(path) as repl:
            repl.ensure_friendly_idle(timeout=1.0)
        assert "friendly prompt" in str(e.value) and "kbd_intr" in str(e.value)
        assert b"print(" not in e.value.tail  # what the board sent, not what we sent
        open_port(path).close()  # released
    finally:
        os.close(master)
