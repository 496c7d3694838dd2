"""Image maker and parser: what the ROM makes of the flash at boot."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from hil.sim.flash import FS_START, Flash
from hil.sim.image import (
    IROM0_OFFSET,
    BootFailure,
    FirmwareInfo,
    find_firmware_info,
    inspect_firmware,
    make_image,
    new_board_flash,
    parse_v1,
)


def test_default_image_boots_as_micropython_1_24_1() -> None:
    info = inspect_firmware(make_image())
    assert info == FirmwareInfo("v1.24.1", "2024-11-29")
    assert info.banner() == "MicroPython v1.24.1 on 2024-11-29; ESP module with ESP8266"
    assert info.version_tuple() == (1, 24, 1)


@pytest.mark.parametrize(
    ("version", "tag", "tup"),
    [("1.10", "v1.10", (1, 10, 0)), ("1.19.1", "v1.19.1", (1, 19, 1)),
     ("v1.25.0-preview.12.gabc123", "v1.25.0-preview.12.gabc123", (1, 25, 0))],
    ids=["two-part", "three-part", "preview"],
)
def test_made_image_carries_the_version(version: str, tag: str, tup: tuple[int, int, int]) -> None:
    info = inspect_firmware(make_image(version, "2023-01-02"))
    assert isinstance(info, FirmwareInfo)
    assert (info.version, info.build_date, info.version_tuple()) == (tag, "2023-01-02", tup)


def test_layout_is_makeimg_py() -> None:
    data = make_image()
    img = parse_v1(data)
    assert data[0] == 0xE9 and len(img.segments) == 3
    assert img.calculated_checksum() == img.stored_checksum
    (total,) = struct.unpack_from("<I", data, IROM0_OFFSET - 4)
    assert total == len(data) - 16  # 0x9000 + len(irom0); the MD5 follows
    assert data[img.end : IROM0_OFFSET - 4] == b"\xff" * (IROM0_OFFSET - 4 - img.end)
    import hashlib

    assert data[-16:] == hashlib.md5(data[4:-16]).digest()


def test_banner_in_one_string_as_in_old_builds() -> None:
    blob = b"\x00junk\x00MicroPython v1.9.4-8-ga9a3caad0 on 2018-05-11; ESP module with ESP8266\x00"
    assert find_firmware_info(blob) == FirmwareInfo("v1.9.4-8-ga9a3caad0", "2018-05-11")


def test_banner_pieces_apart_and_a_1m_board() -> None:
    blob = (b"\x01" * 100 + b"ESP module (1M) with ESP8266\x00" + b"\x02" * 50
            + b"MicroPython v1.22.0 on 2023-12-27\x00")
    assert find_firmware_info(blob) == FirmwareInfo("v1.22.0", "2023-12-27", board="ESP module (1M)")


def test_erased_flash_does_not_boot() -> None:
    r = inspect_firmware(b"\xff" * 0x10000)
    assert isinstance(r, BootFailure) and r.reason == "erased" and r.messages


def test_bad_magic_does_not_boot() -> None:
    data = bytearray(make_image())
    data[0] = 0x00
    r = inspect_firmware(bytes(data))
    assert isinstance(r, BootFailure) and r.reason == "bad-magic"


def test_bad_checksum_is_reported_by_the_rom() -> None:
    data = bytearray(make_image())
    data[0x100] ^= 0x40  # inside .text
    r = inspect_firmware(bytes(data))
    assert isinstance(r, BootFailure) and r.reason == "bad-checksum"
    assert "csum err" in r.messages
    assert any(m.startswith("load 0x40100000") for m in r.messages)


def test_truncated_image_does_not_boot() -> None:
    r = inspect_firmware(make_image()[:0x1000])
    assert isinstance(r, BootFailure) and r.reason == "bad-image"


def test_valid_image_without_banner_is_not_run() -> None:
    data = bytearray(make_image())
    at = data.find(b"MicroPython v")
    data[at : at + 11] = b"Arduino abc"  # irom0 is outside the checksum, as on the chip
    import hashlib

    data[-16:] = hashlib.md5(bytes(data[4:-16])).digest()  # a whole image, just not MicroPython
    r = inspect_firmware(bytes(data))
    assert isinstance(r, BootFailure) and r.reason == "not-micropython"


def test_banner_in_the_filesystem_does_not_count(tmp_path: Path) -> None:
    with Flash(tmp_path / "flash.bin") as f:
        f.write(FS_START + 0x2000, b"MicroPython v1.24.1 on 2024-11-29; ESP module with ESP8266")
        assert isinstance(inspect_firmware(f.read(0, f.size)), BootFailure)


def test_new_board_flash_writes_the_default_image_and_leaves_the_fs_erased(tmp_path: Path) -> None:
    with Flash(tmp_path / "flash.bin") as f:
        f.write(FS_START, b"old files")
        new_board_flash(f)
        assert inspect_firmware(f.read(0, FS_START)) == FirmwareInfo("v1.24.1", "2024-11-29")
        assert f.is_erased(FS_START, f.size - FS_START)
        new_board_flash(f, FirmwareInfo("v1.19.1", "2022-06-18"))
        assert inspect_firmware(f.read(0, FS_START)) == FirmwareInfo("v1.19.1", "2022-06-18")


def test_bad_version_is_refused() -> None:
    with pytest.raises(ValueError, match="version"):
        make_image("latest")


def test_hil_sim_image_cli_writes_an_image_esptool_accepts(tmp_path: Path) -> None:
    out = tmp_path / "firmware.bin"
    r = subprocess.run([sys.executable, "-m", "hil.cli", "sim", "image", "--version", "1.20.0",
                        "-o", str(out)], check=False, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert inspect_firmware(out.read_bytes()) == FirmwareInfo("v1.20.0", "2023-04-26")
    info = subprocess.run([sys.executable, "-m", "esptool", "--chip", "esp8266", "image-info", str(out)],
                          check=False, capture_output=True, text=True, timeout=60)
    assert info.returncode == 0 and "(valid)" in info.stdout, info.stdout + info.stderr
