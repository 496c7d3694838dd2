"""The twin refuses to boot what a board would crash on: a cut or spliced MicroPython image.

The ROM checks only the v1 part below 0x9000, so these pass the ROM and crash in
irom0: the twin boot-loops with the SDK's fatal-exception report, as a board does.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import serial

from hil.sim.image import IROM0_OFFSET, BootFailure, FirmwareInfo, inspect_firmware, make_image

ERASED = b"\xff" * 0x100000


def on_flash(image: bytes, under: bytes = ERASED) -> bytes:
    """The flash after esptool wrote `image` at 0 over `under` (only the written sectors change)."""
    end = -(-len(image) // 0x1000) * 0x1000
    padded = image + b"\xff" * (end - len(image))
    return padded + under[end:]


def test_cut_before_irom0_does_not_boot() -> None:
    # Nothing past 0x9000, so no banner either: the twin cannot even tell it was MicroPython.
    r = inspect_firmware(on_flash(make_image("1.24.1")[: IROM0_OFFSET - 4]))
    assert isinstance(r, BootFailure) and r.reason == "not-micropython"


@pytest.mark.parametrize("cut", [IROM0_OFFSET + 1, 0x10000, 0x1C000, -1])
def test_a_cut_image_over_erased_flash_crashes_at_boot(cut: int) -> None:
    image = make_image("1.24.1", irom_size=0x18000)
    r = inspect_firmware(on_flash(image[:cut]))
    assert isinstance(r, BootFailure), cut
    assert r.reason == "bad-irom" and r.rst_cause == 2
    assert r.messages[0].startswith("load 0x40100000, len ")  # the ROM's part went well
    assert "Fatal exception 0(IllegalInstructionCause):" in r.messages
    assert any(m.startswith("epc1=0x402") for m in r.messages)


def test_an_image_spliced_from_two_builds_crashes_at_boot() -> None:
    new, old = make_image("1.25.0", irom_size=0x18000), make_image("1.24.1", irom_size=0x18000)
    # an interrupted write of the new build over the old one: half of each
    r = inspect_firmware(on_flash(new[:0x12000], under=on_flash(old)))
    assert isinstance(r, BootFailure) and r.reason == "bad-irom"


def test_whole_images_still_boot_even_with_old_bytes_after_them() -> None:
    small, big = make_image("1.25.0", irom_size=0x8000), make_image("1.24.1", irom_size=0x18000)
    assert inspect_firmware(on_flash(small, under=on_flash(big))) == FirmwareInfo("v1.25.0", "2025-04-15")
    # the same image cut short over a whole copy of itself: the flash holds it whole
    assert isinstance(inspect_firmware(on_flash(big[:0x10000], under=on_flash(big))), FirmwareInfo)


def serial_text(url: str, baud: int, seconds: float) -> bytes:
    with serial.serial_for_url(url, baudrate=baud, timeout=0.1) as s:
        data = b""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            data += s.read(4096)
        return data


def test_twin_boot_loops_on_a_cut_image_written_by_esptool(twin: Any, tmp_path: Path) -> None:
    image = make_image("1.25.0", irom_size=0x18000)
    cut = tmp_path / "cut.bin"
    cut.write_bytes(image[: len(image) // 2])  # an interrupted download
    subprocess.run([sys.executable, "-m", "esptool", "--port", twin.url, "erase-flash"],
                   check=True, capture_output=True, timeout=240)
    r = subprocess.run([sys.executable, "-m", "esptool", "--chip", "esp8266", "--port", twin.url,
                        "write-flash", "0x0", str(cut)], capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stdout + r.stderr  # esptool writes what it is given
    deadline = time.monotonic() + 20
    while twin.state()["boot"] != "boot-loop" and time.monotonic() < deadline:
        time.sleep(0.05)
    st = twin.state()
    assert st["boot"] == "boot-loop" and st["boot_failure"]["reason"] == "bad-irom"
    seen = serial_text(twin.url, 74880, 2.5)  # the loop, as a terminal at the ROM's baud shows it
    assert b"Fatal exception 0(IllegalInstructionCause):" in seen
    assert b"rst cause:2, boot mode:(3,6)" in seen
    assert b">>> " not in serial_text(twin.url, 115200, 1.0)
