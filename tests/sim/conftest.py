"""Fixtures of the twin's own tests (tests/sim)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from terminal import Term


@pytest.fixture
def term(tmp_path: Path) -> Iterator[Term]:
    """A terminal on a fresh twin's pty, at the prompt; the twin is stopped afterwards."""
    from hil.sim.twin import Twin

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
