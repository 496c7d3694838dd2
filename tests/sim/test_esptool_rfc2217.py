"""The unchanged esptool CLI against a running twin over ``rfc2217://``, reset lines included.

Default reset sequence (Classic over RFC2217), stub, compression, MD5 verify,
``--after hard-reset`` into whatever was flashed. One twin serves the module;
every test leaves it in a state the next one can start from (a reset).
RFC2217 is slow by design (pyserial sleeps ~100 ms per port reconfigure), so
these tests are marked slow and use small images.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import serial

from hil.sim.flash import FS_START
from hil.sim.image import make_image

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

ESPTOOL = [sys.executable, "-m", "esptool", "--chip", "esp8266"]
HAVE_INTERPRETER = importlib.util.find_spec("hil.sim.interpreter") is not None


@pytest.fixture(scope="module")
def twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from hil.sim.twin import Twin

    t = Twin(tmp_path_factory.mktemp("rfc") / "state")
    t.start()
    try:
        yield t
    finally:
        t.stop()


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("images")
    out = {}
    for v in ("1.22.2", "1.19.1"):
        p = d / f"fw-{v}.bin"
        p.write_bytes(make_image(v, irom_size=0x1000))
        out[v] = p
    return out


def esptool(twin: Any, *args: str, ok: bool = True) -> str:
    cmd = [*ESPTOOL, "--port", twin.url, *args]
    p = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=240)
    out = p.stdout + p.stderr
    assert (p.returncode == 0) == ok, f"{' '.join(cmd)} -> {p.returncode}:\n{out}"
    return out


def flash_bytes(twin: Any, addr: int, size: int) -> bytes:
    with open(twin.state_dir / "flash.bin", "rb") as f:
        f.seek(addr)
        return f.read(size)


def wait_boot(twin: Any, boots_before: int, timeout: float = 10.0) -> dict[str, Any]:
    """The twin's state once it has booted again after `boots_before` boots."""
    deadline = time.monotonic() + timeout
    while True:
        st = twin.state()
        if st["boot_count"] > boots_before and st["boot"] not in ("rom", "stub"):
            return st
        if time.monotonic() > deadline:
            raise AssertionError(f"no new flash boot within {timeout} s: {st}")
        time.sleep(0.05)


def serial_text(twin: Any, baud: int, seconds: float) -> bytes:
    """What a terminal at `baud` sees on the line for `seconds` (opening does not reset)."""
    with serial.serial_for_url(twin.url, baudrate=baud, timeout=0.1) as s:
        data = b""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            data += s.read(4096)
        return data


def test_identity_commands(twin: Any) -> None:
    ident = twin.chip.identity
    out = esptool(twin, "chip-id")
    assert "ESP8266EX" in out and "26MHz" in out
    assert f"{ident.chip_id:#010x}" in out.lower()
    out = esptool(twin, "read-mac")
    assert out.lower().count(ident.mac_str) >= 2  # the connect banner and read-mac itself
    out = esptool(twin, "flash-id")
    assert "Detected flash size: 4MB" in out and "Manufacturer: ef" in out


def test_write_verify_read_then_hard_reset_boots_the_new_version(
    twin: Any, images: dict[str, Path], tmp_path: Path
) -> None:
    data = images["1.22.2"].read_bytes()
    boots = twin.state()["boot_count"]
    out = esptool(twin, "write-flash", "0x0", str(images["1.22.2"]))
    assert "Hash of data verified" in out and "Hard resetting" in out
    assert flash_bytes(twin, 0, len(data)) == data
    st = wait_boot(twin, boots)
    assert st["firmware"]["version"] == "v1.22.2"
    assert st["boots"][-1]["mode"] == "flash"

    out = esptool(twin, "verify-flash", "0x0", str(images["1.22.2"]))
    assert "verif" in out.lower()  # a mismatch is covered over the pty (test_esptool_pty.py)
    read = tmp_path / "read.bin"
    esptool(twin, "read-flash", "0x0", "0x3000", str(read))
    assert read.read_bytes() == data[:0x3000]


def test_no_stub_and_fast_baud(twin: Any, images: dict[str, Path]) -> None:
    out = esptool(twin, "--no-stub", "write-flash", "0x0", str(images["1.19.1"]))
    assert "Stub flasher running" not in out
    data = images["1.19.1"].read_bytes()
    assert flash_bytes(twin, 0, len(data)) == data
    boots = twin.state()["boot_count"]
    out = esptool(twin, "--baud", "460800", "write-flash", "0x0", str(images["1.22.2"]))
    assert "Changed." in out and "Hash of data verified" in out
    assert wait_boot(twin, boots)["firmware"]["version"] == "v1.22.2"


def test_erase_flash_leaves_rom_messages_and_no_prompt(twin: Any, images: dict[str, Path]) -> None:
    boots = twin.state()["boot_count"]
    esptool(twin, "erase-flash")
    assert flash_bytes(twin, 0, FS_START) == b"\xff" * FS_START
    st = wait_boot(twin, boots)
    assert st["boot"] == "boot-loop"
    seen = serial_text(twin, 74880, 2.5)  # the ROM talks at 74880 and loops (watchdog)
    assert b"ets Jan  8 2013" in seen
    assert b">>> " not in seen
    garbled = serial_text(twin, 115200, 1.5)
    assert b"ets Jan" not in garbled and b">>> " not in garbled


def test_corrupt_image_is_reported_by_the_boot_messages(twin: Any, tmp_path: Path) -> None:
    bad = bytearray(make_image("1.22.2", irom_size=0x1000))
    bad[0x100] ^= 0x01  # inside .text: the ROM's checksum fails
    path = tmp_path / "bad.bin"
    path.write_bytes(bytes(bad))
    boots = twin.state()["boot_count"]
    esptool(twin, "write-flash", "0x0", str(path))
    st = wait_boot(twin, boots)
    assert st["boot"] == "boot-loop"
    assert st["boot_failure"]["reason"] == "bad-checksum"
    assert b"csum err" in serial_text(twin, 74880, 2.5)


@pytest.mark.skipif(not HAVE_INTERPRETER, reason="hil.sim.interpreter (MicroPython side) not present yet")
def test_soft_reset_over_mpremote_shows_the_flashed_version(twin: Any, images: dict[str, Path]) -> None:
    boots = twin.state()["boot_count"]
    esptool(twin, "write-flash", "0x0", str(images["1.19.1"]))
    wait_boot(twin, boots)
    p = subprocess.run(
        [sys.executable, "-m", "mpremote", "connect", twin.url, "soft-reset", "exec",
         "import os, sys; print(sys.implementation.version, os.uname().version)"],
        check=False, capture_output=True, text=True, timeout=60,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert "(1, 19, 1" in p.stdout
    assert "v1.19.1 on 2022-06-18" in p.stdout
