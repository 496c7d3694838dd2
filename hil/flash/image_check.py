"""Is this file an ESP8266 MicroPython image, whole, and which MicroPython is in it?

Checked before the board is touched, so a bad --firmware never costs an erase:
every file a board could not run is refused, with the reason and the fix.

Facts used:
- ESP8266 boot image (v1): magic 0xE9, segment count, flash mode, size/freq,
  entry point, then segments (u32 load address, u32 length, data) and an XOR
  checksum seeded with 0xEF in the last byte of the 16-byte aligned header part
  (esptool bin_image.py ESP8266ROMFirmwareImage, read_checksum). The ROM loads
  these segments into RAM: IRAM 0x40100000-0x40108000, DRAM 0x3FFE8000-
  0x40000000 (esptool targets/esp8266.py MEMORY_MAP); an ESP32-family image
  loads elsewhere, so the entry point tells the two apart.
- MicroPython's ports/esp8266/makeimg.py (since the esp8266 port's first
  releases) pads that part with 0xFF to 0x9000 - 4, writes the total length
  (0x9000 + len(irom0)) in the 4 bytes before 0x9000, appends the .irom0.text
  blob at 0x9000 (mapped at 0x40209000), then the MD5 of everything before it
  except the first 4 bytes (esptool may patch flash mode/size there; some
  older tools hashed them too, so both are accepted). So the file's length
  must be exactly the length word + 16, the padding all 0xFF, and the MD5 must
  match: a file cut anywhere, or two files spliced, fails one of these.
- The banner's first half, "MicroPython <tag> on <date>", is one string
  literal (MICROPY_BANNER_NAME_AND_VERSION, py/mpconfig.h); newer builds print
  "; <board> with <mcu>" from a separate string (shared/runtime/pyexec.c), so
  the version comes from the first half alone. The suite needs MicroPython:
  an image without that banner is refused.
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


DOWNLOAD = ("download it again from micropython.org/download/ESP8266_GENERIC (the single "
            "ESP8266_GENERIC-vX.Y.Z.bin) and compare its size and SHA-256 with the site's")
RAM = ((0x40100000, 0x40108000), (0x3FFE8000, 0x40000000))  # IRAM, DRAM (esptool MEMORY_MAP)
LENGTH_WORD = MAKEIMG_SPLIT - 4
MD5_LEN = 16


def check_image(path: str | Path) -> ImageInfo:
    """Check ``path`` is a whole ESP8266 MicroPython image; ImageError naming what is wrong."""
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
        raise ImageError(f"{where}: only {len(data)} bytes, not a firmware image; {DOWNLOAD}")
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
        raise ImageError(f"{where}: its segment table runs past the end of the file ({e}): "
                         f"the file is cut short or not an ESP8266 image; {DOWNLOAD}") from e
    if not IRAM[0] <= image.entrypoint < IRAM[1]:
        raise ImageError(
            f"{where}: entry point 0x{image.entrypoint:08x} is outside the ESP8266's IRAM "
            f"(0x{IRAM[0]:08x}-0x{IRAM[1]:08x}); this image is for another chip, use an "
            f"ESP8266 build (ESP8266_GENERIC)")
    for n, seg in enumerate(image.segments):
        if not any(lo <= seg.addr and seg.addr + len(seg.data) <= hi for lo, hi in RAM):
            raise ImageError(
                f"{where}: segment {n} loads {len(seg.data)} bytes at 0x{seg.addr:08x}, "
                f"outside the ESP8266's RAM: the file is corrupt or spliced; {DOWNLOAD}")
    expected = image.calculate_checksum()
    if getattr(image, "checksum", expected) != expected:
        raise ImageError(f"{where}: header checksum 0x{image.checksum:02x} does not match "
                         f"its segments (0x{expected:02x}); the file is corrupt, download "
                         f"it again")
    head_end = _v1_end(image)
    total = _check_makeimg_layout(data, head_end, where)
    match = BANNER_RE.search(data, 0, total)
    if match is None:
        raise ImageError(
            f"{where}: a whole ESP8266 image, but with no MicroPython banner (\"MicroPython "
            f"vX.Y.Z on DATE\"): it is not MicroPython (AT, NodeMCU Lua or Arduino firmware?), "
            f"and the suite needs MicroPython; pass --firmware ESP8266_GENERIC-vX.Y.Z.bin from "
            f"micropython.org/download/ESP8266_GENERIC")
    return ImageInfo(path=p, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                     version=match.group(1).decode("ascii"), banner=_banner(data, match))


def _v1_end(image) -> int:
    """Offset just after the checksum byte: header, segments, padding to 16 (esptool)."""
    end = 8 + sum(8 + len(seg.data) for seg in image.segments)
    return (end + 16) & ~15


def _check_makeimg_layout(data: bytes, head_end: int, where: str) -> int:
    """makeimg.py's layout around the ESP8266 image; returns the end of irom0 (before the MD5)."""
    padding = data[head_end:LENGTH_WORD]
    if padding.strip(b"\xff"):
        if BANNER_RE.search(data) is None:
            raise ImageError(
                f"{where}: an ESP8266 image, but not laid out as MicroPython's (0xFF up to "
                f"0x9000, then its irom0 code) and with no MicroPython banner: it is not "
                f"MicroPython, and the suite needs MicroPython; pass --firmware "
                f"ESP8266_GENERIC-vX.Y.Z.bin from micropython.org/download/ESP8266_GENERIC")
        first = head_end + len(padding) - len(padding.lstrip(b"\xff"))
        raise ImageError(
            f"{where}: bytes at 0x{first:x} where MicroPython's images hold 0xFF padding up "
            f"to 0x9000: the file is corrupt or spliced from two files; {DOWNLOAD}")
    if len(data) < MAKEIMG_SPLIT + MD5_LEN:
        raise ImageError(
            f"{where}: ends at 0x{len(data):x}, before 0x9000 where MicroPython's irom0 code "
            f"starts: the file is cut short (an interrupted download, or only the 0x00000.bin "
            f"half of a two-file build); {DOWNLOAD}")
    (total,) = struct.unpack_from("<I", data, LENGTH_WORD)
    if not MAKEIMG_SPLIT < total <= FLASH_SIZE:
        raise ImageError(
            f"{where}: the length word before 0x9000 says {total} bytes, which no MicroPython "
            f"image has: the file is corrupt or spliced; {DOWNLOAD}")
    want = total + MD5_LEN
    if len(data) < want:
        raise ImageError(
            f"{where}: {len(data)} bytes, but the image says it is {want} (irom0 up to "
            f"0x{total:x}, then a 16-byte MD5): the file is cut short, {want - len(data)} bytes "
            f"missing (an interrupted download?); {DOWNLOAD}")
    if len(data) > want:
        raise ImageError(
            f"{where}: {len(data)} bytes, but the image says it is {want}: {len(data) - want} "
            f"bytes follow its MD5, so two files were joined (spliced); {DOWNLOAD}")
    digest = data[total:]
    if digest not in (hashlib.md5(data[4:total]).digest(), hashlib.md5(data[:total]).digest()):
        raise ImageError(
            f"{where}: the MD5 that MicroPython's build appends does not match the contents: "
            f"the file is corrupt or spliced from two files; {DOWNLOAD}")
    return total


def _banner(data: bytes, match: re.Match[bytes]) -> str:
    """The whole banner line the board will print, as far as the image tells."""
    head = match.group(0).decode("ascii")
    machine = MACHINE_RE.match(data, match.end()) or MACHINE_RE.search(data)
    if machine is None:
        return head
    return f"{head}; {machine.group(1).decode('ascii')} with {machine.group(2).decode('ascii')}"
