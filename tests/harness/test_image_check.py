"""check_image on good, corrupt and foreign files: no board involved."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from hil.errors import ImageError
from hil.flash import check_image

from .images import esp32_image, micropython_image


def write(tmp_path: Path, data: bytes, name: str = "fw.bin") -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("split", [True, False], ids=["banner-split", "banner-one-string"])
def test_good_image_gives_version_and_hash(tmp_path: Path, split: bool) -> None:
    data = micropython_image("v1.24.1", split_banner=split)
    info = check_image(write(tmp_path, data))
    assert info.version == "v1.24.1"
    assert info.banner == "MicroPython v1.24.1 on 2024-11-29; ESP module with ESP8266"
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.size == len(data)


def test_preview_version_is_kept(tmp_path: Path) -> None:
    info = check_image(write(tmp_path, micropython_image("v1.25.0-preview.12.gabc123")))
    assert info.version == "v1.25.0-preview.12.gabc123"


def test_image_without_banner_has_no_version(tmp_path: Path) -> None:
    assert check_image(write(tmp_path, micropython_image(with_banner=False))).version is None


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="no such file"):
        check_image(tmp_path / "nope.bin")


def corrupt_segment(data: bytes) -> bytes:
    b = bytearray(data)
    b[100] ^= 0xFF  # inside the first (IRAM) segment
    return bytes(b)


def truncate(data: bytes) -> bytes:
    return data[:2000]


def corrupt_irom(data: bytes) -> bytes:
    b = bytearray(data)
    b[0x9000 + 10] ^= 0x01
    return bytes(b)


@pytest.mark.parametrize(("mangle", "message"), [
    (corrupt_segment, "checksum"),
    (truncate, "not a valid ESP8266 image"),
    (corrupt_irom, "MD5"),
    (lambda d: b"<html>404 Not Found</html>" * 10, "magic"),
    (lambda d: b"", "only 0 bytes"),
], ids=["segment-bit-flip", "truncated", "irom-bit-flip", "web-page", "empty"])
def test_corrupt_images_are_refused(tmp_path: Path, mangle, message: str) -> None:
    with pytest.raises(ImageError, match=message):
        check_image(write(tmp_path, mangle(micropython_image())))


def test_esp32_image_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="another chip"):
        check_image(write(tmp_path, esp32_image()))


def test_header_flash_params_patched_by_esptool_still_pass(tmp_path: Path) -> None:
    """esptool may rewrite bytes 2-3 (flash mode/size); makeimg's MD5 leaves bytes 0-3 out."""
    b = bytearray(micropython_image())
    b[3] = 0x40  # 4MB, 40 MHz
    assert check_image(write(tmp_path, bytes(b))).version == "v1.24.1"
