"""Is this file an ESP8266 firmware image, whole, and which MicroPython is in it?

Checked before the board is touched, so a bad --firmware never costs an erase.

Facts used:
- ESP8266 boot image: magic 0xE9, segment count, flash mode, size/freq,
  entry point, then segments and an XOR checksum seeded with 0xEF in the last
  byte of the 16-byte aligned header part (esptool bin_image.py).
- The entry point of an ESP8266 image is in IRAM, 0x40100000-0x40108000
  (esptool targets/esp8266.py MEMORY_MAP); an ESP32-family image loads
  elsewhere, so this tells the two apart.
- MicroPython's ports/esp8266/makeimg.py pads the first part to 0x9000 with
  the total length in the 4 bytes before 0x9000, appends irom0text and then the
  MD5 of everything before it. Where that layout is present its MD5 must match.
  makeimg.py leaves the first 4 bytes out of that MD5 (esptool may patch the
  flash mode/size there); older builds hashed them too, so both are accepted.
- The banner's first half, "MicroPython <tag> on <date>", is one string
  literal (MICROPY_BANNER_NAME_AND_VERSION, py/mpconfig.h); newer builds print
  "; <board> with <mcu>" from a separate string (shared/runtime/pyexec.c), so
  the version comes from the first half alone.
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from esptool.bin_image import LoadFirmwareImage
from esptool.util import FatalError

from hil.chip.esp8266 import FLASH_SIZE
from hil.errors import ImageError
from hil.flash.esptool_log import quiet_esptool

IRAM = (0x40100000, 0x40108000)
MAKEIMG_SPLIT = 0x9000  # makeimg.py SEGS_MAX_SIZE
BANNER_RE = re.compile(rb"MicroPython (v\d+\.\d+(?:\.\d+)?(?:-[\w.+-]+)?) on (\d{4}-\d{2}-\d{2})")
# "; ESP module with ESP8266" right after it (older builds), or a string of its own
MACHINE_RE = re.compile(rb"(?:; )?([\x20-\x3a\x3c-\x7e]{1,40}?) with (ESP8266|ESP8285)(?=[\x00\r\n]|$)")


@dataclass(frozen=True)
class ImageInfo:
    path: Path
    sha256: str
    size: int
    version: str | None  # from the banner inside, e.g. "v1.24.1"
    banner: str | None = None

    @property
    def md5(self) -> str:
        """MD5 of the image as esptool writes it (padded to 4 bytes with 0xFF)."""
        data = self.path.read_bytes()
        return hashlib.md5(pad4(data)).hexdigest()


def pad4(data: bytes) -> bytes:
    """esptool pads every image to 4 bytes with 0xFF before writing (cmds.write_flash)."""
    return data + b"\xff" * (-len(data) % 4)


def check_image(path: str | Path) -> ImageInfo:
    """Check ``path`` is a whole ESP8266 image; ImageError naming what is wrong."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError as e:
        raise ImageError(f"firmware {p}: no such file; pass --firmware with the .bin you "
                         f"downloaded from micropython.org/download/ESP8266_GENERIC") from e
    except OSError as e:
        raise ImageError(f"firmware {p}: cannot read it ({e.strerror})") from e
    where = f"firmware {p}"
    if len(data) < 16:
        raise ImageError(f"{where}: only {len(data)} bytes, not a firmware image")
    if len(data) > FLASH_SIZE:
        raise ImageError(f"{where}: {len(data)} bytes do not fit the 4 MiB flash")
    if data[0] != 0xE9:
        raise ImageError(f"{where}: starts with 0x{data[0]:02x}, not the ESP8266 image magic "
                         f"0xe9; is it a .bin for the ESP8266 (not an .elf, .uf2, .hex or "
                         f"a web page saved by mistake)?")
    try:
        with quiet_esptool():
            image = LoadFirmwareImage("esp8266", data)
    except (FatalError, struct.error, ValueError) as e:
        raise ImageError(f"{where}: not a valid ESP8266 image ({e}); download it again") from e
    if not IRAM[0] <= image.entrypoint < IRAM[1]:
        raise ImageError(
            f"{where}: entry point 0x{image.entrypoint:08x} is outside the ESP8266's IRAM "
            f"(0x{IRAM[0]:08x}-0x{IRAM[1]:08x}); this image is for another chip, use an "
            f"ESP8266 build (ESP8266_GENERIC)")
    expected = image.calculate_checksum()
    if getattr(image, "checksum", expected) != expected:
        raise ImageError(f"{where}: header checksum 0x{image.checksum:02x} does not match "
                         f"its segments (0x{expected:02x}); the file is corrupt, download "
                         f"it again")
    _check_makeimg_md5(data, where)
    match = BANNER_RE.search(data)
    banner = _banner(data, match) if match else None
    return ImageInfo(path=p, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                     version=match.group(1).decode("ascii") if match else None, banner=banner)


def _banner(data: bytes, match: re.Match[bytes]) -> str:
    """The whole banner line the board will print, as far as the image tells."""
    head = match.group(0).decode("ascii")
    machine = MACHINE_RE.match(data, match.end()) or MACHINE_RE.search(data)
    if machine is None:
        return head
    return f"{head}; {machine.group(1).decode('ascii')} with {machine.group(2).decode('ascii')}"


def _check_makeimg_md5(data: bytes, where: str) -> None:
    if len(data) <= MAKEIMG_SPLIT + 16:
        return
    (total,) = struct.unpack_from("<I", data, MAKEIMG_SPLIT - 4)
    if total != len(data) - 16:
        return  # not makeimg.py's layout (or a build without the trailing MD5)
    if data[-16:] not in (hashlib.md5(data[4:-16]).digest(), hashlib.md5(data[:-16]).digest()):
        raise ImageError(f"{where}: the MD5 that MicroPython's build appends does not match "
                         f"the contents; the file is corrupt or truncated, download it again")
