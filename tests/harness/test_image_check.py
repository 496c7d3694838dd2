"""check_image on good, corrupt and foreign files: no board involved."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from hil.errors import ImageError
from hil.flash import check_image

from .images import esp32_image, micropython_image, v1_part


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


def test_image_without_micropython_banner_is_refused(tmp_path: Path) -> None:
    """A whole ESP8266 image that is not MicroPython: the suite could only blame main.py."""
    with pytest.raises(ImageError, match="no MicroPython banner.*needs MicroPython"):
        check_image(write(tmp_path, micropython_image(with_banner=False)))


def test_foreign_esp8266_image_is_refused_as_not_micropython(tmp_path: Path) -> None:
    """An ESP8266 image of another layout (code right after the first part), no banner."""
    with pytest.raises(ImageError, match="not MicroPython"):
        check_image(write(tmp_path, v1_part() + bytes(range(256)) * 64))


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
    (truncate, "cut short"),
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


# -- cut and spliced images, made by the twin's image maker as a user would -------------


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Images written by `hil sim image` (the twin's image maker), by version."""
    out = {}
    d = tmp_path_factory.mktemp("made")
    for version in ("1.24.1", "1.23.0"):
        f = d / f"v{version}.bin"
        subprocess.run([sys.executable, "-m", "hil.cli", "sim", "image", "--version", version,
                        "-o", str(f)], check=True, capture_output=True, timeout=60)
        out[version] = f.read_bytes()
    return out


def test_made_images_pass(tmp_path: Path, made: dict[str, bytes]) -> None:
    for version, data in made.items():
        assert check_image(write(tmp_path, data)).version == "v" + version


def _cuts(n: int) -> list[int]:
    """Every interesting place to cut an n-byte image, plus a sweep in between."""
    edges = [1, 7, 8, 15, 16, 17, 100, 0x2000, 0x2100, 0x8FFC, 0x8FFD, 0x9000, 0x9001,
             0x9000 + 0x100, n // 2, n - 17, n - 16, n - 15, n - 4, n - 1]
    return sorted({c for c in edges + list(range(0x400, n, 0x7FF)) if 0 < c < n})


def test_an_image_cut_anywhere_is_refused(tmp_path: Path, made: dict[str, bytes]) -> None:
    data = made["1.24.1"]
    accepted = []
    for cut in _cuts(len(data)):
        try:
            check_image(write(tmp_path, data[:cut]))
        except ImageError as e:
            assert "download it again" in str(e) or "not a firmware" in str(e), (cut, e)
        else:
            accepted.append(cut)
    assert not accepted, f"truncated images accepted at cuts {accepted}"


def test_two_images_spliced_anywhere_are_refused(tmp_path: Path,
                                                 made: dict[str, bytes]) -> None:
    a, b = made["1.24.1"], made["1.23.0"]
    longer = b + b"\x90" * 0x100  # a tail from another, longer build too
    accepted = []
    for cut in _cuts(len(a)):
        for tail in (b, longer, a):
            spliced = a[:cut] + tail[cut:] if tail is not a else a[:cut] + a[cut - 1:]
            if spliced in (a, b):  # the two builds' first bytes are alike: no splice
                continue
            try:
                check_image(write(tmp_path, spliced))
            except ImageError as e:
                assert "spliced" in str(e) or "cut short" in str(e) or "corrupt" in str(e), \
                    (cut, e)
            else:
                accepted.append(cut)
    assert not accepted, f"spliced images accepted at {accepted}"


def test_a_dropped_md5_is_refused(tmp_path: Path, made: dict[str, bytes]) -> None:
    with pytest.raises(ImageError, match="cut short, 16 bytes missing"):
        check_image(write(tmp_path, made["1.24.1"][:-16]))
