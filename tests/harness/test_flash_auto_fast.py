"""`--flash auto` asks a running MicroPython first (hil/flash/board_check.py), on the twin.

What a user relies on: an unchanged board is left alone (no loader, no write,
its app running again), and anything else still goes through esptool.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hil.flash import flash_firmware, read_mac
from hil.repl import Repl

pytestmark = [pytest.mark.twin, pytest.mark.slow, pytest.mark.timeout(300)]

COUNTER_APP = (
    "try:\n"
    "    n = int(open('boots').read())\n"
    "except OSError:\n"
    "    n = 0\n"
    "with open('boots', 'w') as f:\n"
    "    f.write(str(n + 1))\n"
    "import time\n"
    "while True:\n"
    "    time.sleep_ms(50)\n"
)


def _image(tmp_path: Path, version: str = "v1.24.1") -> Path:
    from hil.sim.image import make_image  # the twin's image maker

    p = tmp_path / f"ESP8266_GENERIC-{version}.bin"
    p.write_bytes(make_image(version))
    return p


def _boots(port: str) -> int:
    with Repl(port) as r:
        r.ensure_friendly_idle()
        return int(r.fs_read("/boots").decode())


def test_unchanged_board_is_left_running_without_the_loader(fresh_twin, tmp_path: Path) -> None:
    img = _image(tmp_path)
    assert flash_firmware(fresh_twin.pty, img, mode="always").written
    with Repl(fresh_twin.pty) as r:
        r.ensure_friendly_idle()
        r.fs_write("/main.py", COUNTER_APP.encode())
        r.soft_reset(run_main=True)  # the app starts and loops
    boots = _boots(fresh_twin.pty)
    loader_boots = fresh_twin.state()["boot_count"]

    again = flash_firmware(fresh_twin.pty, img, mode="auto")

    assert not again.written and "MicroPython" in again.reason
    assert fresh_twin.state()["boot_count"] == loader_boots  # no chip reset, no ROM loader
    assert again.mac == read_mac(fresh_twin.pty)  # the same board facts as through the loader
    # The app was interrupted for the check and started again (a soft reset ran main.py).
    assert _boots(fresh_twin.pty) >= boots + 1


def test_another_image_still_goes_through_esptool(fresh_twin, tmp_path: Path) -> None:
    old = _image(tmp_path, "v1.22.0")
    assert flash_firmware(fresh_twin.pty, old, mode="always").written
    new = _image(tmp_path, "v1.24.1")
    result = flash_firmware(fresh_twin.pty, new, mode="auto")
    assert result.written and "differs" in result.reason  # the loader's MD5 decided
    with Repl(fresh_twin.pty) as r:
        assert r.version() == "v1.24.1"
    assert not flash_firmware(fresh_twin.pty, new, mode="auto").written
