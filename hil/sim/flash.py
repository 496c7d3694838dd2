"""The twin's 4 MiB SPI NOR flash, persisted as ``flash.bin`` in the state directory.

Known behaviours modelled (NOR flash, e.g. the Winbond W25Q32 on ESP-12 modules):

- Erased bytes read 0xFF; erasing works on whole 4 KiB sectors.
- Programming can only clear bits (1 -> 0): ``write`` ANDs the new data into
  what is there, as the chip does. Writers must erase first (the ROM erases at
  FLASH_BEGIN, the stub as it writes), otherwise the result is the AND of old
  and new data, exactly the symptom a real board shows.

Every write goes straight to the file with ``os.pwrite`` (no cache): the
MicroPython interpreter process mounts LittleFS over ``[FS_START, FS_END)`` of
the same file, and the ROM loader and the interpreter never run at the same
time (the chip is either in the bootloader or running the firmware).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

# The chip's flash layout (size, filesystem region) is one fact, shared with the
# harness as constants: hil/chip/esp8266.py.
from hil.chip.esp8266 import FLASH_SIZE, FS_END, FS_START  # noqa: F401 (re-exported)
from hil.sim.errors import SimFlashError

SECTOR = 0x1000  # SPI NOR erase sector (SPI flash datasheets; esptool FLASH_SECTOR_SIZE)

ERASED = 0xFF


class Flash:
    """The flash chip: a file of exactly ``FLASH_SIZE`` bytes, created erased."""

    def __init__(self, path: Path | str, size: int = FLASH_SIZE) -> None:
        self.path = Path(path)
        self.size = size
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            have = os.fstat(fd).st_size
            if have < size:
                # A new (or truncated) chip: the missing part is erased, not zero.
                _fill(fd, have, size - have, ERASED)
            elif have > size:
                raise SimFlashError(
                    f"{self.path} is {have} bytes, larger than the {size}-byte flash: "
                    "delete it (or the twin's state directory) to start with a new chip"
                )
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    # -- access -------------------------------------------------------------------------

    def read(self, addr: int, size: int) -> bytes:
        self._check(addr, size)
        data = os.pread(self._fd, size, addr)
        if len(data) != size:  # someone truncated the file under us
            raise SimFlashError(f"{self.path}: short read at {addr:#x} ({len(data)} of {size})")
        return data

    def write(self, addr: int, data: bytes) -> None:
        """Program ``data`` at ``addr``: bits can only go from 1 to 0 (NOR flash)."""
        self._check(addr, len(data))
        if not data:
            return
        old = self.read(addr, len(data))
        if old.count(ERASED) == len(old):
            new = bytes(data)  # the common case: programming an erased area
        else:
            a = int.from_bytes(old, "little")
            b = int.from_bytes(data, "little")
            new = (a & b).to_bytes(len(data), "little")
        _pwrite_all(self._fd, new, addr)

    def erase_sector(self, addr: int) -> None:
        self.erase_region(addr, SECTOR)

    def erase_region(self, addr: int, size: int) -> None:
        """Erase whole sectors: ``addr`` and ``size`` must be multiples of ``SECTOR``."""
        if addr % SECTOR or size % SECTOR:
            raise SimFlashError(
                f"erase of {size:#x} bytes at {addr:#x} is not aligned to {SECTOR:#x}-byte sectors"
            )
        self._check(addr, size)
        _fill(self._fd, addr, size, ERASED)

    def erase_all(self) -> None:
        _fill(self._fd, 0, self.size, ERASED)

    def md5(self, addr: int, size: int) -> bytes:
        """MD5 digest (16 raw bytes) of ``size`` bytes at ``addr``, as SPI_FLASH_MD5 returns."""
        self._check(addr, size)
        h = hashlib.md5()
        pos, end = addr, addr + size
        while pos < end:
            n = min(0x10000, end - pos)
            h.update(os.pread(self._fd, n, pos))
            pos += n
        return h.digest()

    def is_erased(self, addr: int, size: int) -> bool:
        return self.read(addr, size).count(ERASED) == size

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> Flash:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check(self, addr: int, size: int) -> None:
        if self._fd < 0:
            raise SimFlashError(f"{self.path}: flash is closed")
        if addr < 0 or size < 0 or addr + size > self.size:
            raise SimFlashError(
                f"access of {size:#x} bytes at {addr:#x} is outside the {self.size:#x}-byte flash"
            )


def _pwrite_all(fd: int, data: bytes, addr: int) -> None:
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, addr)
        view = view[n:]
        addr += n


def _fill(fd: int, addr: int, size: int, value: int) -> None:
    chunk = bytes([value]) * min(size, 0x10000)
    end = addr + size
    while addr < end:
        n = min(len(chunk), end - addr)
        _pwrite_all(fd, chunk[:n], addr)
        addr += n
