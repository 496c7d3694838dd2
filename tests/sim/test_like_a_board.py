"""The twin behaves like the board where programs can tell (issue 11).

Each test talks to a Twin (the real `micropython` unix port inside) through its real pty,
as a terminal program would. Board facts cited where they are used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from test_firmware_repl import Term

from hil.sim.twin import Twin

BOOT_COUNTER = """\
try:
    n = int(open('count').read())
except (OSError, ValueError):
    n = 0
n += 1
open('count', 'w').write(str(n))  # never closed: the soft reset's sweep closes it
print('boot', n)
"""


@pytest.fixture
def term(tmp_path: Path) -> Iterator[Term]:
    twin = Twin(tmp_path / "state", link=tmp_path / "tty")
    twin.start()
    t = Term(str(tmp_path / "tty"))
    t.twin = twin
    try:
        t.until(b">>> ")
        yield t
    finally:
        t.ser.close()
        twin.stop()


def _raw(term: Term) -> None:
    term.send(b"\r\x01")
    term.until(b"raw REPL; CTRL-B to exit\r\n>")


def test_soft_reset_closes_open_files_so_an_unclosed_boot_counter_counts(term: Term) -> None:
    # ports/esp8266/main.c soft_reset(): gc_sweep_all() runs every open file's finaliser
    _raw(term)
    assert term.raw_exec(f"f = open('main.py', 'w'); f.write({BOOT_COUNTER!r}); f.close()")[1] == b""
    term.send(b"\x02")
    term.until(b">>> ")
    for n in (1, 2, 3):
        term.send(b"\x04")
        out = term.until(b">>> ")
        assert b"MPY: soft reboot\r\n" in out and f"boot {n}\r\n".encode() in out, out


def test_a_hard_reset_loses_what_was_never_flushed(term: Term) -> None:
    assert term.line("f = open('data', 'w'); f.write('written')").endswith(b"7\r\n>>> ")
    term.twin.reset()
    term.until(b">>> ", 20)
    out = term.line("import os; 'data' not in os.listdir() or open('data').read() == ''")
    assert out.endswith(b"True\r\n>>> "), out
    # the same write, closed by a soft reset instead, is on the flash afterwards
    term.line("f = open('data', 'w'); f.write('written')")
    term.send(b"\x04")
    term.until(b"MPY: soft reboot\r\n")
    term.until(b">>> ")
    assert term.line("open('data').read()").endswith(b"'written'\r\n>>> ")
