"""Firmware images for the harness's tests, built with esptool's own image classes.

Kept independent of the twin's image maker, so the harness's image check and
the twin cannot share one misunderstanding of the format.
"""

from __future__ import annotations

import hashlib
import struct

from esptool.bin_image import ESP32FirmwareImage, ESP8266ROMFirmwareImage, ImageSegment

SPLIT = 0x9000  # MicroPython ports/esp8266/makeimg.py SEGS_MAX_SIZE


def v1_part(entry: int = 0x40100004) -> bytes:
    """The part at flash 0: IRAM text + DRAM data, header and checksum by esptool."""
    img = ESP8266ROMFirmwareImage()
    img.entrypoint = entry
    img.segments = [ImageSegment(0x40100000, bytes(range(256)) * 16),
                    ImageSegment(0x3FFE8000, b"\x11\x22\x33\x44" * 64)]
    _irom, other = img.save(None)
    return other


def micropython_image(version: str = "v1.24.1", date: str = "2024-11-29",
                      split_banner: bool = True, with_banner: bool = True) -> bytes:
    """makeimg.py's layout: v1 part, FF padding, length word, irom0, MD5 (of bytes 4..)."""
    head = v1_part()
    strings = b""
    if with_banner:
        strings = (f"MicroPython {version} on {date}".encode() + b"\x00; \x00ESP module with "
                   b"ESP8266\x00" if split_banner else
                   f"MicroPython {version} on {date}; ESP module with ESP8266\x00".encode())
    irom = b"\x90" * 0x800 + strings + b"\x90" * 0x800
    out = bytearray(head)
    out += b"\xff" * (SPLIT - 4 - len(out))
    out += struct.pack("<I", SPLIT + len(irom))
    out += irom
    out += hashlib.md5(bytes(out[4:])).digest()
    return bytes(out)


def esp32_image() -> bytes:
    """A valid ESP32 app image (entry in the ESP32's IRAM), for the wrong-chip check."""
    img = ESP32FirmwareImage()
    img.entrypoint = 0x40080000
    seg = ImageSegment(0x40080000, b"\x01\x02\x03\x04" * 256)
    seg.name = ".iram0.text"
    img.segments = [seg]
    return img.save(None)
