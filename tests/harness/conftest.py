"""Fixtures for the harness's own tests: a twin over a real pty / RFC2217 socket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


def _twin_class():
    try:
        from hil.sim.twin import Twin
    except ImportError as e:
        pytest.skip(f"the virtual bench (hil.sim.twin) is not available: {e}")
    return Twin


@pytest.fixture(scope="module")
def module_twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One running twin (default firmware) shared by a module's tests."""
    twin = _twin_class()(tmp_path_factory.mktemp("twin"))
    twin.start()
    try:
        yield twin
    finally:
        twin.stop()


@pytest.fixture
def fresh_twin(tmp_path: Path) -> Iterator[object]:
    """A twin of its own, for tests that leave the board in a state others must not see."""
    twin = _twin_class()(tmp_path / "twin")
    twin.start()
    try:
        # A new board formats its filesystem on first boot: wait for the prompt, so
        # tests that compare flash.bin before and after see only their own writes.
        from hil.repl import Repl

        with Repl(twin.pty) as repl:
            repl.ensure_friendly_idle()
        yield twin
    finally:
        twin.stop()
