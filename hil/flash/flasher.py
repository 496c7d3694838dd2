"""Flash MicroPython onto the board with esptool's Python API (the one place it is called).

Order, so nothing is erased that an early check could have saved:
check_image -> connect (esptool's reset into the ROM loader) -> the chip must
be an ESP8266 -> stub -> (auto) compare the stub's SPI_FLASH_MD5 of the region
with the image's MD5 -> write only if they differ -> reset into the new image.
The caller then checks the banner (Repl.version()).

Known behaviours (docs/protocols.md §1.6-§1.8):
- On a pty the reset lines do not exist: esptool cannot reset the chip (it
  warns and carries on), and its "hard reset" after writing does nothing. So
  where the port has no lines we leave the stub with RUN_USER_CODE
  (esptool's ``--after soft-reset``), which boots the flash on an ESP8266.
- CHANGE_BAUDRATE exists only in the stub; the reply comes at the old rate.
- esptool opens ports with exclusive=True itself; we open the port through
  hil.transport so a busy or missing port gives the harness's errors, and
  hand the open serial object to esptool.
- The ROM loader talks at 115200 after reset whatever the REPL's baud
  (esptool ESPLoader.ESP_ROM_BAUD), so the REPL's --baud is never used here:
  the loader is reached at ROM_BAUD, and the data moves at the flash baud once
  the stub switched to it. Where the fast baud fails (an adapter or cable that
  cannot carry it) the whole session is redone once at 115200, and the result
  says so.
- Every session ends with the board back in its firmware where reset lines
  exist (esptool's hard reset: an EN pulse with GPIO0 released), failed or not,
  so a failed flash never leaves the board sitting in the ROM loader.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from esptool.cmds import attach_flash, detect_chip, reset_chip, run_stub, write_flash
from esptool.reset import HardReset
from esptool.util import FatalError

from hil.errors import FlashError, HilError, ImageError, WrongChipError
from hil.flash.board_check import running_image_mac
from hil.flash.esptool_log import CapturingLog, Progress, quiet_esptool
from hil.flash.image_check import ImageInfo, check_image, pad4
from hil.transport import gone_error, has_modem_lines, open_port, shared_port

MODES = ("auto", "always", "never")
FIRMWARE_OFFSET = 0x0  # MicroPython's ESP8266 image is written at 0 (its docs, esptool line)
ROM_BAUD = 115200  # the ROM loader's rate after reset (esptool ESPLoader.ESP_ROM_BAUD)
DEFAULT_FLASH_BAUD = 460800  # what esptool users commonly pass with -b; CP2102/CH340 carry it
SAFE_FLASH_BAUD = 115200  # the one fallback when the fast baud fails


@dataclass(frozen=True)
class FlashResult:
    written: bool
    chip: str
    mac: str
    image: ImageInfo
    reason: str
    notes: tuple[str, ...] = ()  # what the flasher decided on its own (a baud fallback)


def flash_firmware(port: str, image: str | Path, *, mode: str = "auto",
                   flash_baud: int = DEFAULT_FLASH_BAUD, repl_baud: int = 115200,
                   progress: Callable[[int, int], None] | None = None) -> FlashResult:
    """Make the board run ``image``: ``auto`` writes only if the flash differs.

    ``auto`` asks a running MicroPython first (at ``repl_baud``, the REPL's
    rate): a board that already holds the image is left as it is, untouched by
    the loader. Anything it cannot confirm goes through esptool.

    The data moves at ``flash_baud``; if anything fails once the stub runs at
    that rate, the session is redone once at 115200 and the result's notes say so.
    """
    if mode not in MODES:
        raise FlashError(f"flash mode {mode!r}: use one of {', '.join(MODES)}")
    info = check_image(image)  # before anything touches the board
    data = pad4(info.path.read_bytes())
    if mode == "auto":
        # The common case first: a board already running the image says so at its
        # REPL, without the loader's reset and stub upload (hil/flash/board_check.py).
        mac = running_image_mac(port, data, repl_baud)
        if mac is not None:
            return FlashResult(False, "ESP8266", mac, info,
                               f"the flash already holds {info.path.name} (hashed by the "
                               f"board's MicroPython)")
    fast = [False]  # set once the stub runs at flash_baud: a failure after it may be the baud
    try:
        return _session(port, info, data, mode, flash_baud, progress, fast)
    except (ImageError, WrongChipError):
        raise
    except FlashError as e:
        if not fast[0] or flash_baud == SAFE_FLASH_BAUD:
            raise
        note = (f"flashing at {flash_baud} baud failed ({_first_line(e)}); retried once at "
                f"{SAFE_FLASH_BAUD} baud (pass --flash-baud {SAFE_FLASH_BAUD} to skip the "
                f"fast try)")
        result = _session(port, info, data, mode, SAFE_FLASH_BAUD, progress, [False])
        return replace(result, notes=(*result.notes, note + ": that worked"))


def _session(port: str, info: ImageInfo, data: bytes, mode: str, flash_baud: int,
             progress: Progress | None, fast: list[bool]) -> FlashResult:
    with _progress_sink(progress) as sink, quiet_esptool(sink) as log, \
            _connected(port, log) as esp:
        chip = _run(log, port, "reading the chip description", esp.get_chip_description)
        mac = _mac(_run(log, port, "reading the MAC", esp.read_mac))
        if mode == "never":
            _run(log, port, "leaving the bootloader", _reboot, esp)
            return FlashResult(False, chip, mac, info, "--flash never: flash left as it was")
        esp = _run(log, port, "starting the flasher stub", run_stub, esp)
        if flash_baud and flash_baud != ROM_BAUD and not port.startswith("socket://"):
            fast[0] = True
            _run(log, port, f"switching to {flash_baud} baud", esp.change_baud, flash_baud)
        _run(log, port, "attaching the SPI flash", attach_flash, esp)
        image_md5 = hashlib.md5(data).hexdigest()
        if mode == "auto":
            board_md5 = _run(log, port, "reading the flash's MD5", esp.flash_md5sum,
                             FIRMWARE_OFFSET, len(data))
            if board_md5 == image_md5:
                _run(log, port, "restarting the board", _reboot, esp)
                return FlashResult(False, chip, mac, info,
                                   f"the flash already holds {info.path.name} (MD5 {image_md5})")
            reason = f"the flash differs from {info.path.name} (MD5 {board_md5} != {image_md5})"
        else:
            reason = "--flash always"
        _run(log, port, f"writing {info.path.name}", write_flash, esp,
             [(FIRMWARE_OFFSET, data)], flash_size="keep")
        _run(log, port, "restarting the board", _reboot, esp)
        return FlashResult(True, chip, mac, info, reason)


def _first_line(e: BaseException) -> str:
    return str(e).split("; ", 1)[0]


def read_mac(port: str) -> str:
    """The board's MAC from its efuses, through the ROM loader (resets the board)."""
    with quiet_esptool() as log, _connected(port, log) as esp:
        mac = _mac(_run(log, port, "reading the MAC", esp.read_mac))
        _run(log, port, "restarting the board", _reboot, esp)
        return mac


@contextlib.contextmanager
def _connected(port: str, log: CapturingLog) -> Iterator[object]:
    ser = open_port(port, ROM_BAUD, timeout=None)  # PortError before esptool sees it
    lines = has_modem_lines(ser)
    try:
        # Without reset lines (pty, socket) esptool cannot reset into the
        # loader: it would only warn (through a logger bound at its import,
        # which ours cannot capture). Sync without a reset instead.
        connect_mode = "default-reset" if lines else "no-reset"
        try:
            esp = detect_chip(ser, ROM_BAUD, connect_mode=connect_mode)
        except OSError as e:  # pyserial's SerialException too: the port failed under esptool
            raise gone_error(port, e, "connecting to the bootloader") from e
        except FatalError as e:
            raise FlashError(
                f"connecting to the bootloader on {port}: {e}; is it an ESP8266 board, powered, "
                f"with a data cable? On a board without auto-reset, hold FLASH (GPIO0) while "
                f"pressing RST, then retry.{_tail(log)}") from e
        if esp.CHIP_NAME != "ESP8266":
            raise WrongChipError(
                f"the chip on {port} is an {esp.CHIP_NAME}, not an ESP8266; nothing was "
                f"erased. Use an ESP8266 board, or the firmware and harness for that chip")
        yield esp
    finally:
        if lines and not getattr(ser, "hil_left_loader", False):
            # failed (or interrupted) on the way: send the board back to its
            # firmware instead of leaving it in the loader (esptool's hard reset)
            with contextlib.suppress(Exception):  # the port may be gone already
                ser.dtr = False  # GPIO0 released, so the chip boots from flash
                HardReset(ser)()
        with contextlib.suppress(Exception):  # the port may be gone already
            ser.close()


def _reboot(esp) -> None:
    """Leave the loader for the firmware: RTS pulse where wired, else RUN_USER_CODE."""
    if has_modem_lines(esp._port):
        reset_chip(esp, "hard-reset")
    else:
        reset_chip(esp, "soft-reset")
    esp._port.hil_left_loader = True  # _connected need not reset it again


def _run(log: CapturingLog, port: str, doing: str, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except HilError:
        raise
    except FatalError as e:
        raise FlashError(f"{doing} on {port}: {e}; the board may need a reset and another "
                         f"try.{_tail(log)}") from e
    except OSError as e:
        if shared_port(e):
            raise gone_error(port, e, doing) from e
        raise FlashError(f"{doing} on {port}: the port failed ({e}); was the board "
                         f"unplugged?{_tail(log)}") from e


def _tail(log: CapturingLog) -> str:
    lines = [ln for ln in log.lines if ln][-4:]
    return (" esptool said: " + " | ".join(lines)) if lines else ""


def _mac(raw) -> str:
    return ":".join(f"{b:02x}" for b in raw)


@contextlib.contextmanager
def _progress_sink(progress: Progress | None) -> Iterator[Progress | None]:
    """The caller's callback, or a rich bar when a person watches, or nothing."""
    if progress is not None or not sys.stderr.isatty():
        yield progress
        return
    from rich.progress import BarColumn, DownloadColumn, TimeRemainingColumn
    from rich.progress import Progress as Bar

    with Bar("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
             TimeRemainingColumn(), transient=True) as bar:
        task = bar.add_task("flashing", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
