"""The board runs the expected MicroPython, and the app's files on it match firmware/."""

from __future__ import annotations

import hashlib
import statistics
import time
from pathlib import PurePosixPath

import pytest
from hil_pytest.board import Board

from hil.deploy import app_files


def test_firmware_version(board: Board, firmware_image) -> None:
    """The banner's version is the image's version (the image check found it in the image)."""
    if firmware_image is None:
        pytest.skip("no --firmware image: nothing to compare the board's version with; pass "
                    "--firmware ESP8266_GENERIC-vX.Y.Z.bin")
    running = board.repl.version()
    assert running == firmware_image.version, (
        f"the board runs MicroPython {running}, but {firmware_image.path.name} is "
        f"{firmware_image.version}: flash it with --flash always --firmware "
        f"{firmware_image.path}")


def test_files_match(board: Board) -> None:
    """Every file of the app is on the board with the same SHA-256."""
    app_dir = board.app_dir
    trips = []  # REPL round trip, for the bench's history (hil health)
    for _ in range(5):
        started = time.monotonic()
        board.call("1")
        trips.append(time.monotonic() - started)
    board.record("repl_round_trip_ms", round(1000 * statistics.median(trips), 1))
    problems = []
    for path in app_files(app_dir):
        target = "/" + str(PurePosixPath(*path.relative_to(app_dir).parts))
        want = hashlib.sha256(path.read_bytes()).hexdigest()
        got = board.repl.fs_sha256(target)
        if got is None:
            problems.append(f"{target} is missing on the board")
        elif got != want:
            problems.append(f"{target} differs (board sha256 {got[:12]}..., "
                            f"{path} {want[:12]}...)")
    assert not problems, ("the app on the board does not match " + str(app_dir) + ": "
                          + "; ".join(problems) + ". Run again to deploy it (or check the "
                          "board's free space with os.statvfs('/')).")
