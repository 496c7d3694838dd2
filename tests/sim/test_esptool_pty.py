"""The twin's ROM loader and flasher stub against the real esptool over a real pty.

The bridge here is deliberately minimal (no UART pacing, no reset lines): a
thread moves bytes between the pty master and ``RomLoader``. esptool runs as the
unchanged CLI in a subprocess (``--before no-reset``: a pty has no modem lines),
or through its own Python API for the error-reply cases.
"""

from __future__ import annotations

import hashlib
import os
import select
import struct
import subprocess
import sys
import threading
import time
import tty
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from esptool.targets.esp8266 import ESP8266ROM
from esptool.util import FatalError

from hil.sim.flash import FLASH_SIZE, FS_START, Flash
from hil.sim.identity import Identity
from hil.sim.image import make_image
from hil.sim.rom import RomLoader

ESPTOOL = [sys.executable, "-m", "esptool"]
pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]
TIMEOUT = 90.0


class PtyBridge:
    """pty master <-> RomLoader, one thread, every wait with a deadline."""

    def __init__(self, flash: Flash, identity: Identity) -> None:
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)  # raw before any client: no echo, no CR/LF mangling
        # Holding the slave open keeps the master from EIO between clients.
        self.path = os.ttyname(self._slave)
        os.set_blocking(self.master, False)
        self.events: list[str] = []
        self.bauds: list[int] = []
        self.loader = RomLoader(
            flash,
            identity,
            on_tx=self._tx,
            on_baud=self.bauds.append,
            on_run_user_code=self._run_user_code,
        )
        self._stop_r, self._stop_w = os.pipe()
        self._thread = threading.Thread(target=self._run, name="pty-bridge", daemon=True)
        self._thread.start()

    def _run_user_code(self) -> None:
        # The chip would boot the firmware now; this bridge has no interpreter,
        # so it records the event and goes back to the loader for the next test.
        self.events.append("run_user_code")
        self.loader.reset()

    def _tx(self, data: bytes) -> None:
        view = memoryview(data)
        deadline = time.monotonic() + 30.0
        while view:
            if time.monotonic() > deadline:
                raise TimeoutError("pty bridge: the client stopped reading for 30 s")
            _, w, _ = select.select([self._stop_r], [self.master], [], 0.5)
            if self._stop_r in _:
                return
            if w:
                try:
                    n = os.write(self.master, view)
                except BlockingIOError:
                    continue
                view = view[n:]

    def _run(self) -> None:
        while True:
            r, _, _ = select.select([self.master, self._stop_r], [], [])
            if self._stop_r in r:
                return
            try:
                data = os.read(self.master, 65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:  # EIO: no client (cannot happen while we hold the slave)
                time.sleep(0.01)
                continue
            self.loader.rx(data)

    def close(self) -> None:
        os.write(self._stop_w, b"x")
        self._thread.join(timeout=5)
        for fd in (self.master, self._slave, self._stop_r, self._stop_w):
            os.close(fd)


@pytest.fixture(scope="module")
def identity() -> Identity:
    return Identity.generate()


@pytest.fixture(scope="module")
def flash(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flash]:
    f = Flash(tmp_path_factory.mktemp("twin") / "flash.bin")
    yield f
    f.close()


@pytest.fixture(scope="module")
def bridge(flash: Flash, identity: Identity) -> Iterator[PtyBridge]:
    b = PtyBridge(flash, identity)
    yield b
    b.close()


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("img") / "firmware.bin"
    p.write_bytes(make_image("1.22.2"))
    return p


def esptool(bridge: PtyBridge, *args: str, after: str = "no-reset", ok: bool = True) -> str:
    cmd = [*ESPTOOL, "--chip", "esp8266", "--port", bridge.path, "--before", "no-reset",
           "--after", after, *args]
    p = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=TIMEOUT)
    out = p.stdout + p.stderr
    if ok:
        assert p.returncode == 0, f"{' '.join(cmd)} failed ({p.returncode}):\n{out}"
    else:
        assert p.returncode != 0, f"{' '.join(cmd)} should have failed:\n{out}"
    return out


def test_chip_id_reports_esp8266ex_with_stable_id(bridge: PtyBridge, identity: Identity) -> None:
    out = esptool(bridge, "chip-id")
    assert "ESP8266EX" in out
    assert "26MHz" in out
    assert "Stub flasher running" in out
    assert f"{identity.chip_id:#010x}" in out.lower()


def test_read_mac_is_the_identity_mac(bridge: PtyBridge, identity: Identity) -> None:
    out = esptool(bridge, "read-mac")
    assert identity.mac_str in out.lower()
    assert identity.mac[:3] in (bytes.fromhex("18fe34"), bytes.fromhex("acd074"))


def test_flash_id_reports_4mb_winbond(bridge: PtyBridge) -> None:
    out = esptool(bridge, "flash-id")
    assert "Manufacturer: ef" in out
    assert "Device: 4016" in out
    assert "Detected flash size: 4MB" in out


def test_write_flash_default_uses_stub_compression_and_md5(
    bridge: PtyBridge, flash: Flash, image: Path
) -> None:
    data = image.read_bytes()
    out = esptool(bridge, "write-flash", "0x0", str(image))
    assert "Compressed" in out
    assert "Hash of data verified" in out
    assert flash.read(0, len(data)) == data


def test_verify_flash_matches_and_detects_a_difference(
    bridge: PtyBridge, flash: Flash, image: Path, tmp_path: Path
) -> None:
    esptool(bridge, "write-flash", "0x0", str(image))
    out = esptool(bridge, "verify-flash", "0x0", str(image))
    assert "match" in out.lower() or "success" in out.lower()
    other = tmp_path / "other.bin"
    other.write_bytes(make_image("1.19.1"))
    esptool(bridge, "verify-flash", "0x0", str(other), ok=False)


def test_read_flash_returns_the_flash_bytes(bridge: PtyBridge, flash: Flash, image: Path, tmp_path: Path) -> None:
    esptool(bridge, "write-flash", "0x0", str(image))
    out_file = tmp_path / "read.bin"
    length = 0x10800  # not a multiple of the 0x1000 block: the last frame is short
    esptool(bridge, "read-flash", "0x0", hex(length), str(out_file))
    assert out_file.read_bytes() == flash.read(0, length)
    assert out_file.read_bytes()[: len(image.read_bytes())][:length] == image.read_bytes()[:length]


def test_erase_flash_wipes_everything(bridge: PtyBridge, flash: Flash, image: Path) -> None:
    esptool(bridge, "write-flash", "0x0", str(image))
    flash.write(FS_START, b"littlefs superblock")  # as if MicroPython had made its fs
    esptool(bridge, "erase-flash")
    assert flash.is_erased(0, FLASH_SIZE)


def test_erase_region_erases_only_that_region(bridge: PtyBridge, flash: Flash, image: Path) -> None:
    esptool(bridge, "write-flash", "0x0", str(image))
    data = image.read_bytes()
    esptool(bridge, "erase-region", "0x1000", "0x1000")
    assert flash.is_erased(0x1000, 0x1000)
    assert flash.read(0, 0x1000) == data[:0x1000]
    assert flash.read(0x2000, 0x1000) == data[0x2000:0x3000]


def test_writing_the_firmware_region_keeps_the_filesystem(
    bridge: PtyBridge, flash: Flash, image: Path
) -> None:
    flash.erase_region(FS_START, 0x1000)
    flash.write(FS_START, b"my files")
    esptool(bridge, "write-flash", "0x0", str(image))
    assert flash.read(FS_START, 8) == b"my files"


def test_no_stub_write_flash_goes_through_the_rom(bridge: PtyBridge, flash: Flash, tmp_path: Path) -> None:
    img = tmp_path / "rom.bin"
    data = make_image("1.20.0", irom_size=0x2000)
    img.write_bytes(data)
    flash.erase_all()
    flash.write(0, b"\x00" * 0x200)  # stale bytes: the ROM must erase before writing
    out = esptool(bridge, "--no-stub", "write-flash", "0x0", str(img))
    assert "Stub flasher running" not in out
    assert flash.read(0, len(data)) == data


def test_no_stub_limits_are_the_roms(bridge: PtyBridge) -> None:
    out = esptool(bridge, "--no-stub", "erase-flash", ok=False)
    assert "ROM does not support" in out


def test_baud_460800_switches_after_stub(bridge: PtyBridge, flash: Flash, image: Path) -> None:
    bridge.bauds.clear()
    out = esptool(bridge, "--baud", "460800", "write-flash", "0x0", str(image))
    assert "Changed." in out
    assert bridge.bauds == [460800]
    assert flash.read(0, len(image.read_bytes())) == image.read_bytes()
    bridge.loader.baud = 115200  # the next client starts at 115200 again


def test_soft_reset_runs_user_code(bridge: PtyBridge) -> None:
    bridge.events.clear()
    esptool(bridge, "chip-id", after="soft-reset")
    assert bridge.events == ["run_user_code"]
    esptool(bridge, "--no-stub", "chip-id", after="soft-reset")
    assert bridge.events == ["run_user_code", "run_user_code"]


def test_image_info_accepts_the_made_image(image: Path) -> None:
    p = subprocess.run([*ESPTOOL, "--chip", "esp8266", "image-info", str(image)],
                       check=False, capture_output=True, text=True, timeout=TIMEOUT)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "(valid)" in p.stdout
    assert "Segments: 3" in p.stdout


# -- error replies, through esptool's own loader code ------------------------------------


@pytest.fixture
def esp(bridge: PtyBridge) -> Iterator[ESP8266ROM]:
    bridge.loader.reset()
    loader = ESP8266ROM(bridge.path, 115200)
    try:
        loader.connect("no-reset")
        yield loader
    finally:
        loader._port.close()
        bridge.loader.reset()


def test_rom_answers_bad_checksum_with_0107(esp: ESP8266ROM) -> None:
    esp.flash_begin(0x400, 0x10000)
    with pytest.raises(FatalError, match="0107"):
        esp.check_command("write", ESP8266ROM.ESP_CMDS["FLASH_DATA"],
                          b"\x00\x04\x00\x00" + bytes(12) + b"\x11" * 0x400, chk=0x00)


def test_rom_answers_unknown_command_with_0105(esp: ESP8266ROM) -> None:
    with pytest.raises(FatalError, match="0105"):
        esp.check_command("set params", ESP8266ROM.ESP_CMDS["SPI_SET_PARAMS"], bytes(24))
    with pytest.raises(FatalError, match="0105"):
        esp.check_command("mystery", 0x42, b"")
    # The loader is still in sync afterwards.
    assert esp.read_reg(0x40001000) == 0xFFF0C101


def test_rom_rejects_out_of_range_flash_begin(esp: ESP8266ROM) -> None:
    with pytest.raises(FatalError, match="Failed to enter flash download mode"):
        esp.check_command("enter flash download mode", ESP8266ROM.ESP_CMDS["FLASH_BEGIN"],
                          struct.pack("<IIII", 0x1000, 4, 0x400, FLASH_SIZE - 0x800))


def test_stub_error_codes(esp: ESP8266ROM, flash: Flash) -> None:
    stub = esp.run_stub()
    with pytest.raises(FatalError, match="C100"):
        stub.check_command("write", ESP8266ROM.ESP_CMDS["FLASH_DATA"],
                           b"\x00\x04\x00\x00" + bytes(12) + b"\x11" * 0x400, chk=0x00)
    with pytest.raises(FatalError, match="FF00"):
        stub.check_command("mystery", 0x42, b"")
    with pytest.raises(FatalError, match="C400"):
        stub.flash_md5sum(FLASH_SIZE - 0x1000, 0x2000)
    assert stub.flash_md5sum(0, 0x1000) == hashlib.md5(flash.read(0, 0x1000)).hexdigest()
    # --after no-reset: the stub reboots into the ROM loader.
    stub.flash_begin(0, 0)
    stub.flash_finish(reboot=True)
    esp._port.timeout = 0.2
    assert esp._port.read(1) == b""  # nothing more after the reply
    assert not esp._port.in_waiting
    # Back in the ROM loader: a new SYNC gets the ROM's non-zero value.
    esp.sync()
    assert not esp.sync_stub_detected


def test_chip_auto_detects_an_esp8266(bridge: PtyBridge) -> None:
    cmd = [*ESPTOOL, "--port", bridge.path, "--before", "no-reset", "--after", "no-reset", "chip-id"]
    p = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=TIMEOUT)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Detecting chip type... ESP8266" in p.stdout


# -- through a whole Twin's pty (its UART pacing, the SYNC heuristic, the interpreter) -------


def test_twin_pty_write_flash_then_the_new_version_runs(twin: Any, tmp_path: Path) -> None:
    img = tmp_path / "fw.bin"
    img.write_bytes(make_image("1.20.0", irom_size=0x1000))
    boots = twin.state()["boot_count"]
    p = subprocess.run([*ESPTOOL, "--chip", "esp8266", "--port", twin.pty, "--before", "no-reset",
                        "write-flash", "0x0", str(img)],
                       check=False, capture_output=True, text=True, timeout=TIMEOUT)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Hash of data verified" in p.stdout
    # Closing the pty after the loader session = the operator's RST: flash boot.
    deadline = time.monotonic() + 10
    while not (twin.state()["boot_count"] > boots + 1 and twin.state()["boot"] == "micropython"):
        assert time.monotonic() < deadline, twin.state()
        time.sleep(0.05)
    assert twin.state()["firmware"]["version"] == "v1.20.0"
    r = subprocess.run([sys.executable, "-m", "mpremote", "connect", twin.pty, "exec",
                        "import os; print(os.uname().version)"],
                       check=False, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "v1.20.0 on 2023-04-26" in r.stdout
