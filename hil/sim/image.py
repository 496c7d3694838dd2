"""ESP8266 firmware images: what the ROM makes of flash at boot, and an image maker.

Known behaviours (docs/protocols.md §1.12 and §2.1; esptool ``bin_image.py``;
MicroPython ``ports/esp8266/makeimg.py``):

- A v1 image starts at flash 0: ``E9, n_segments, flash_mode, size|freq, u32
  entry``, then ``n × (u32 load_addr, u32 len, data)``, zero padding to a 16-byte
  boundary minus one, then a 1-byte checksum = ``0xEF ^ every segment byte``.
- MicroPython's ``firmware.bin`` (makeimg.py) is that v1 image padded with FF to
  ``0x9000 - 4``, a u32 total length (``0x9000 + len(irom0)``), the
  ``.irom0.text`` blob at 0x9000 (mapped at 0x40209000), then a 16-byte MD5 of
  everything except bytes 0..3 (esptool may patch the header bytes).
- The banner is assembled at run time from separate strings in newer builds
  (pyexec.c prints ``MICROPY_BANNER_NAME_AND_VERSION``, ``"; "`` and
  ``MICROPY_BANNER_MACHINE``), so the parser looks for ``MicroPython vX.Y.Z on
  DATE`` and for ``<board> with ESP8266`` separately, anywhere in the image.
- The ROM checks only the v1 part (segments and their XOR checksum); it never
  looks at irom0 or the MD5. A file cut after 0x9000 (an interrupted
  download) or spliced from two builds therefore passes the ROM and crashes
  once the code jumps into the missing or foreign irom0: the SDK's exception
  handler prints ``Fatal exception N(Cause):`` and ``epc1=...`` and the chip
  restarts with ``rst cause:2``, in a loop. The shape is from real boot-loop
  logs (micropython/micropython#1957: ``Fatal exception
  0(IllegalInstructionCause):`` / ``epc1=0x402151c0, epc2=0x00000000,
  epc3=0x00000000, excvaddr=0x00000000, depc=0x00000000`` / `` ets Jan  8
  2013,rst cause:2, boot mode:(3,2)`` / ``load 0x40100000, len 31840, room 16
  ``; #2605 the same with ``Fatal exception 28(LoadProhibitedCause)``). Which
  exception and which epc1 a given cut produces is UNVERIFIED (it depends on
  what the CPU meets there); the twin prints IllegalInstruction at the first
  irom0 address past the intact part. The twin tells a whole irom0 from a
  damaged one with makeimg.py's length word and MD5 (the board cannot, but
  it crashes all the same).
- The ROM prints its boot log at 74880 baud. The exact wording for erased flash
  and bad magic is UNVERIFIED (docs/protocols.md §2.1 and §7 item 2): forum captures
  show ``csum err`` / ``ets_main.c`` halts; we print those. esptool cannot settle
  it: its sources never read the ROM's boot log (checked at espressif/esptool bb72741).
"""

from __future__ import annotations

import hashlib
import random
import re
import struct
from dataclasses import dataclass

from hil.sim.errors import SimImageError
from hil.sim.flash import FS_START, Flash

ESP_IMAGE_MAGIC = 0xE9
ESP_CHECKSUM_MAGIC = 0xEF
IROM0_OFFSET = 0x9000  # makeimg.py SEGS_MAX_SIZE
IROM0_MAP = 0x40200000  # flash is mapped at 0x40200000 (esptool ESP8266ROM IROM_MAP_START)
MAX_SEGMENTS = 16  # esptool's verify() limit

DEFAULT_VERSION = "1.24.1"
# Release dates of MicroPython versions the twin knows by heart (the build date
# in micropython.org's release images). Other versions get DEFAULT_BUILD_DATE.
KNOWN_BUILD_DATES = {
    "1.10": "2019-01-25",
    "1.12": "2019-12-20",
    "1.13": "2020-09-02",
    "1.14": "2021-02-02",
    "1.19.1": "2022-06-18",
    "1.20.0": "2023-04-26",
    "1.22.0": "2023-12-27",
    "1.22.2": "2024-02-22",
    "1.23.0": "2024-06-02",
    "1.24.0": "2024-10-25",
    "1.24.1": "2024-11-29",
    "1.25.0": "2025-04-15",
}
DEFAULT_BUILD_DATE = "2024-11-29"

_NAME_AND_VERSION = re.compile(
    rb"MicroPython (v\d+\.\d+(?:\.\d+)?(?:-[\x21-\x7e]+)?) on (\d{4}-\d{2}-\d{2})"
)
_MACHINE = re.compile(rb"([\x20-\x7e]{1,40}?) with (ESP8266|ESP8285)(?=[\x00;\r\n\"]|$)")


@dataclass(frozen=True)
class FirmwareInfo:
    """What the banner of a MicroPython image says."""

    version: str  # "v1.24.1": the git tag as in the banner
    build_date: str  # "2024-11-29"
    board: str = "ESP module"
    mcu: str = "ESP8266"

    def banner(self) -> str:
        return f"MicroPython {self.version} on {self.build_date}; {self.board} with {self.mcu}"

    def version_tuple(self) -> tuple[int, int, int]:
        nums = re.findall(r"\d+", self.version.split("-", 1)[0])
        parts = [int(n) for n in nums[:3]] + [0, 0, 0]
        return (parts[0], parts[1], parts[2])


@dataclass(frozen=True)
class BootFailure:
    """Flash the ROM cannot boot: it prints ``messages`` (one line each) and halts.

    ``reason`` is one of ``erased``, ``bad-magic``, ``bad-image``,
    ``bad-checksum``, ``not-micropython``, ``bad-irom`` (a MicroPython image
    whose irom0 part is cut short or from another build: it crashes at boot).
    ``rst_cause`` is the cause the ROM prints when the loop comes round again:
    4 (watchdog) after a ROM halt, 2 after the SDK's restart on a fatal exception.
    """

    reason: str
    messages: tuple[str, ...]
    rst_cause: int = 4


@dataclass(frozen=True)
class Segment:
    addr: int
    data: bytes


@dataclass(frozen=True)
class V1Image:
    flash_mode: int
    size_freq: int
    entry: int
    segments: tuple[Segment, ...]
    stored_checksum: int
    end: int  # offset just after the checksum byte

    def calculated_checksum(self) -> int:
        return checksum(b"".join(s.data for s in self.segments))


BootResult = FirmwareInfo | BootFailure


def checksum(data: bytes, state: int = ESP_CHECKSUM_MAGIC) -> int:
    """The ROM's XOR checksum (esptool ``ESPLoader.checksum``)."""
    acc = state
    # XOR 8 bytes at a time: much faster than per byte for 30 KiB segments.
    n8 = len(data) // 8 * 8
    if n8:
        words = struct.unpack(f"<{n8 // 8}Q", data[:n8])
        x = 0
        for w in words:
            x ^= w
        for i in range(8):
            acc ^= (x >> (8 * i)) & 0xFF
    for b in data[n8:]:
        acc ^= b
    return acc


def parse_v1(data: bytes) -> V1Image:
    """Parse the v1 image header and segments at the start of ``data``."""
    if len(data) < 8:
        raise SimImageError("shorter than an image header")
    magic, n_seg, mode, size_freq, entry = struct.unpack_from("<BBBBI", data, 0)
    if magic != ESP_IMAGE_MAGIC:
        raise SimImageError(f"bad magic {magic:#04x}")
    if not 0 < n_seg <= MAX_SEGMENTS:
        raise SimImageError(f"implausible segment count {n_seg}")
    pos = 8
    segs: list[Segment] = []
    for _ in range(n_seg):
        if pos + 8 > len(data):
            raise SimImageError("truncated segment header")
        addr, length = struct.unpack_from("<II", data, pos)
        pos += 8
        if pos + length > len(data) or length > 0x100000:
            raise SimImageError(f"segment at {addr:#x} of length {length} runs past the image")
        segs.append(Segment(addr, bytes(data[pos : pos + length])))
        pos += length
    # Checksum byte sits at the last byte of the next 16-byte boundary.
    pos = (pos + 16) & ~15
    if pos > len(data):
        raise SimImageError("truncated before the checksum")
    return V1Image(mode, size_freq, entry, tuple(segs), data[pos - 1], pos)


def find_firmware_info(data: bytes) -> FirmwareInfo | None:
    """The MicroPython banner in ``data``, or None."""
    m = _NAME_AND_VERSION.search(data)
    if m is None:
        return None
    version = m.group(1).decode()
    date = m.group(2).decode()
    # Old builds: one string "...; ESP module with ESP8266". Newer: separate strings.
    tail = data[m.end() : m.end() + 64]
    mm = None
    if tail.startswith(b"; "):
        mm = _MACHINE.match(tail, 2)
    if mm is None:
        mm = _MACHINE.search(data)
    if mm is None:
        return FirmwareInfo(version, date)
    board = mm.group(1).decode().split("\x00")[-1].strip()
    return FirmwareInfo(version, date, board=board or "ESP module", mcu=mm.group(2).decode())


def inspect_firmware(flash_bytes: bytes) -> BootResult:
    """What the ROM does with this flash content at a flash boot.

    ``flash_bytes`` is the flash from address 0 (all of it or at least the
    firmware region). The banner is looked for below ``FS_START`` only, so a
    file in the filesystem that quotes a banner cannot make erased firmware boot.
    """
    data = flash_bytes[:FS_START]
    if len(data) == 0 or data[0] == 0xFF and data[:16] == b"\xff" * min(16, len(data)):
        # UNVERIFIED wording: the ROM finds no image; forum captures of blank
        # chips show a checksum failure followed by the ets_main.c halt.
        return BootFailure("erased", ("csum err", "ets_main.c "))
    try:
        img = parse_v1(data)
    except SimImageError:
        if data[0] != ESP_IMAGE_MAGIC:
            # The ROM boots v1 images, magic 0xE9 (esptool loader.py ESP_IMAGE_MAGIC;
            # bin_image.py also knows 0xEA, ESP8266V2FirmwareImage, which a second-stage
            # bootloader loads, and refuses any other byte). The halt's wording is
            # UNVERIFIED (see the module docstring).
            return BootFailure("bad-magic", ("ets_main.c ",))
        return BootFailure("bad-image", (*_load_lines_best_effort(data), "ets_main.c "))
    lines = list(load_lines(img))
    calc = img.calculated_checksum()
    if calc != img.stored_checksum:
        # The ROM prints the checksum it computed, then "csum err" (docs/protocols.md §2.1).
        return BootFailure("bad-checksum", (*lines[:-1], f"csum {calc:#x}", "csum err", "ets_main.c "))
    info = find_firmware_info(data)
    # MicroPython's: it has a banner, or makeimg.py's layout (0xFF up to a length word at
    # 0x9000 - 4) even when the cut took the banner away.
    damage = irom_damage(data) if info is not None or _makeimg_layout(data, img) else None
    if damage is not None:
        epc1 = IROM0_MAP + damage
        return BootFailure(
            "bad-irom",
            (
                *lines,
                "Fatal exception 0(IllegalInstructionCause):",
                f"epc1={epc1:#010x}, epc2=0x00000000, epc3=0x00000000, excvaddr=0x00000000, depc=0x00000000",
                "",
            ),
            rst_cause=2,
        )
    if info is None:
        # A valid image that is not MicroPython: the ROM jumps into it, and the
        # twin cannot run arbitrary Xtensa code. Report that instead of faking it.
        return BootFailure("not-micropython", (*lines, "(twin: this image carries no MicroPython banner; it cannot be run)"))
    return info


def _makeimg_layout(data: bytes, img: V1Image) -> bool:
    if len(data) < IROM0_OFFSET or data[img.end : IROM0_OFFSET - 4].strip(b"\xff"):
        return False
    (total,) = struct.unpack_from("<I", data, IROM0_OFFSET - 4)
    return IROM0_OFFSET < total <= FS_START


def irom_damage(data: bytes) -> int | None:
    """None if the irom0 part of a makeimg.py image is whole (length word + MD5 agree);
    else the flash offset where the damage probably starts (for the crash report)."""
    if len(data) < IROM0_OFFSET + 16:
        return IROM0_OFFSET
    (total,) = struct.unpack_from("<I", data, IROM0_OFFSET - 4)
    if not IROM0_OFFSET < total <= len(data) - 16:
        return IROM0_OFFSET  # no length word (cut before 0x9000 over erased flash) or garbage
    digest = data[total : total + 16]
    if digest in (hashlib.md5(data[4:total]).digest(), hashlib.md5(data[:total]).digest()):
        return None
    # Best guess at the cut: the first erased 4 KiB block inside irom0, else its start.
    for at in range(IROM0_OFFSET, total, 0x1000):
        if data[at : min(at + 0x1000, total)].count(0xFF) == min(0x1000, total - at):
            return at
    return IROM0_OFFSET


def load_lines(img: V1Image) -> tuple[str, ...]:
    """The ROM's ``load ...`` log lines for a parsed image (format from forum captures).

    ``room`` and ``tail`` follow the ROM's 4-byte word bookkeeping; the exact
    values are UNVERIFIED (esptool's sources have no boot log to check them
    against) but the shape matches captures such as
    ``load 0x40100000, len 28740, room 16 `` / ``tail 4`` / ``chksum 0xe7``.
    """
    out: list[str] = []
    room = 16
    acc = ESP_CHECKSUM_MAGIC
    for seg in img.segments:
        tail = len(seg.data) % 16
        out.append(f"load {seg.addr:#010x}, len {len(seg.data)}, room {room} ")
        out.append(f"tail {tail}")
        acc = checksum(seg.data, acc)
        out.append(f"chksum {acc:#04x}")
        room = (16 - tail) % 16 if tail else 0
    out.append(f"csum {img.stored_checksum:#04x}")
    return tuple(out)


def _load_lines_best_effort(data: bytes) -> tuple[str, ...]:
    if len(data) >= 16:
        addr, length = struct.unpack_from("<II", data, 8)
        return (f"load {addr:#010x}, len {length if length < 1 << 31 else length - (1 << 32)}, room 16 ",)
    return ()


# -- image maker -------------------------------------------------------------------------


def build_date_for(version: str) -> str:
    v = version.lstrip("v")
    return KNOWN_BUILD_DATES.get(v) or KNOWN_BUILD_DATES.get(v.rsplit(".0", 1)[0], DEFAULT_BUILD_DATE)


def make_image(
    version: str = DEFAULT_VERSION,
    build_date: str | None = None,
    *,
    board: str = "ESP module",
    irom_size: int = 0x8000,
) -> bytes:
    """A structurally valid MicroPython ESP8266 ``firmware.bin`` carrying a banner.

    Laid out as makeimg.py does (v1 image with .text/.data/.rodata at 0, FF
    padding, length word at 0x9000-4, irom0 at 0x9000, trailing MD5). Segment
    contents are deterministic filler derived from the version, so two versions
    give different bytes. ``version`` is "1.24.1" or "v1.24.1" (a suffix such as
    "-preview.12.gabc" is kept).
    """
    tag = version if version.startswith("v") else "v" + version
    if not re.fullmatch(r"v\d+\.\d+(\.\d+)?(-[\x21-\x7e]+)?", tag):
        raise ValueError(f"version {version!r} is not like 1.24.1 or v1.25.0-preview.1.gabc")
    date = build_date or build_date_for(tag)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        raise ValueError(f"build date {date!r} is not YYYY-MM-DD")
    rng = random.Random(f"{tag} {date} {board}")

    def filler(n: int) -> bytes:
        # Code-like bytes: compressible but not trivially (real firmware
        # compresses to about 65 %).
        words = [rng.randrange(1 << 16) for _ in range(64)]
        out = bytearray()
        while len(out) < n:
            out += struct.pack("<H", rng.choice(words)) if rng.random() < 0.7 else rng.randbytes(2)
        return bytes(out[:n])

    text = filler(0x2000)
    data_seg = filler(0x300)
    rodata = filler(0x400)
    header = struct.pack("<BBBBI", ESP_IMAGE_MAGIC, 3, 0x00, 0x00, 0x40100004)
    # Header bytes: flash mode qio (0) and 512KB/40m (0x00) are what `esptool
    # elf2image` writes by default; esptool's write-flash leaves them alone
    # (flash options default to `keep`), the ROM does not care for booting.
    body = bytearray(header)
    segs = [(0x40100000, text), (0x3FFE8000, data_seg), (0x3FFE8300, rodata)]
    for addr, seg in segs:
        body += struct.pack("<II", addr, len(seg)) + seg
    while len(body) % 16 != 15:
        body.append(0)
    body.append(checksum(b"".join(s for _, s in segs)))
    if len(body) > IROM0_OFFSET - 4:
        raise ValueError("segments do not fit below 0x9000")

    # irom0: code plus the rodata strings pyexec.c and modos.c use for the banner
    # (separate NUL-terminated strings, as in builds since about v1.20).
    strings = (
        f"MicroPython {tag} on {date}\x00".encode()
        + f"{board} with ESP8266\x00".encode()
        + b"; \x00Type \"help()\" for more information.\x00"
        + f"{tag.lstrip('v').split('-')[0]}\x00esp8266\x00".encode()
    )
    irom = bytearray(filler(max(irom_size, 0x100) - len(strings)))
    at = len(irom) // 2
    irom[at:at] = strings
    irom = bytes(irom)

    out = bytearray(body)
    out += b"\xff" * (IROM0_OFFSET - 4 - len(out))
    out += struct.pack("<I", IROM0_OFFSET + len(irom))
    out += irom
    out += hashlib.md5(bytes(out[4:])).digest()
    return bytes(out)


def new_board_flash(flash: Flash, info: FirmwareInfo | None = None) -> None:
    """Prepare a new board: the default MicroPython image at 0, everything else erased.

    The filesystem region stays erased: the interpreter's first boot creates the
    filesystem and ``boot.py``, as ``inisetup.py`` does on a freshly flashed chip.
    """
    if info is None:
        image = make_image()
    else:
        image = make_image(info.version, info.build_date, board=info.board)
    flash.erase_all()
    flash.write(0, image)
