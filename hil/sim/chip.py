"""The ESP8266 itself: reset and boot modes, the ROM loader or the firmware, UART0.

Known behaviours modelled (docs/protocols.md §1.6, §2; esptool reset.py; NodeMCU schematic):

- EN and GPIO0 follow DTR/RTS through the NodeMCU's two transistors: the chip
  is held in reset while RTS is asserted and DTR is not; on the first RTS
  de-assert after that, it boots in download mode if DTR is asserted at that
  instant (GPIO0 pulled low), else from flash. The transient (DTR, RTS) =
  (True, True) of esptool's Classic reset does not release it (real boards
  rely on the EN capacitor). Opening a port (DTR=RTS=True) and closing it
  (RTS=False, then DTR=False) never reset.
- The ROM samples GPIO0 on the breadboard too: the FLASH button, a jumper
  from D3 to GND, or the `strap-pin` fault with the button held all enter the
  serial bootloader.
- The ROM's boot line goes out at 74880 baud (26 MHz crystal: 115200*26/40):
  ``\\r\\n ets Jan  8 2013,rst cause:N, boot mode:(3,6)\\r\\n\\r\\n`` (download:
  ``(1,7)``); rst cause 1 = power-on, 2 = EN pin / software restart. Then the
  loader (autobauding to 115200) or the firmware at 115200.
- machine.reset() (the interpreter's on_exit("reset")) is a software restart,
  rst cause 2; a firmware crash is followed by a watchdog reset, rst cause 4.
- MicroPython's uart_init (ports/esp8266/uart.c uart_config: UART_RXFIFO_RST)
  resets the RX FIFO when it reprograms UART0 to 115200 once the ROM text is
  out: bytes a host sends during the ROM's 74880-baud boot text (garbled at
  that rate) never reach the REPL. A reset also drops the UART settings a
  previous boot had queued (its baud change no longer applies).
- An image that does not boot (erased, bad magic, bad checksum) makes the ROM
  print its failure and halt; the watchdog resets it, so the messages repeat
  (every ``BOOT_LOOP_PERIOD`` s) and no REPL ever appears.

Heuristics for the pty, a port without reset lines (documented, docs/protocols.md §6):

- SYNC while MicroPython runs (or while the ROM loops on a bad image): a real
  board would echo it into the REPL (esptool: "Invalid head of packet
  (0x08)") or ignore it. The twin recognises esptool's 46-byte SYNC frame
  arriving over the pty and acts as an operator who holds FLASH and presses
  RST: it resets into the serial bootloader (the SYNC that triggered it is
  lost; esptool retries). Over RFC2217 there is no such help: the reset lines
  exist, as on a board with the auto-reset circuit.
- Leaving the loader: RUN_USER_CODE and the ROM's FLASH_END(run) boot the
  firmware; FLASH_END(reboot) boots the firmware if the bootloader was entered
  by that pty heuristic (the operator let go of FLASH), else re-enters the ROM
  (straps latched for download). When the pty client that ran the loader
  session closes the port (esptool's `--after hard-reset` cannot pulse RTS on
  a pty), the twin boots the firmware, as the operator pressing RST would.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from hil.sim.breadboard import Breadboard
from hil.sim.errors import SimImageError
from hil.sim.flash import FS_START, Flash
from hil.sim.identity import Identity
from hil.sim.image import (
    BootFailure,
    FirmwareInfo,
    inspect_firmware,
    load_lines,
    parse_v1,
)
from hil.sim.rom import RomLoader
from hil.sim.uart import DEFAULT_BAUD, Uart

log = logging.getLogger(__name__)

ROM_BAUD = 74880  # 115200 * 26 MHz / 40 MHz: the ROM assumes a 40 MHz crystal
CRASH_REBOOT_DELAY = 1.0  # s from a firmware crash to the watchdog reset (approximate)
BOOT_LOOP_PERIOD = 1.0  # s between ROM failure reports (watchdog reset period, approximate)
# esptool's SYNC request on the wire (loader.py sync(); docs/protocols.md §1.4): 46 bytes.
SYNC_FRAME = bytes.fromhex("c0000824000000000007071220") + b"\x55" * 32 + b"\xc0"

STATES = ("off", "rom", "stub", "micropython", "boot-loop")


def rom_boot_line(cause: int, download: bool) -> bytes:
    mode = "(1,7)" if download else "(3,6)"
    return f"\r\n ets Jan  8 2013,rst cause:{cause}, boot mode:{mode}\r\n\r\n".encode()


class Esp8266:
    """One ESP-12 module: chip state machine, UART0, straps, firmware process."""

    def __init__(
        self,
        *,
        flash: Flash,
        identity: Identity,
        pins: Breadboard,
        heap_bytes: int = 36 * 1024,
        micropython: str | None = None,
        baud: int = DEFAULT_BAUD,
    ) -> None:
        self.flash = flash
        self.identity = identity
        self.pins = pins
        self.heap_bytes = heap_bytes
        self.micropython = micropython
        self.uart = Uart(self._uart_rx, baud, watch_host=self._watch_host)
        self._lock = threading.RLock()
        self._gen = 0  # bumps at every reset: stale callbacks check it
        self._state = "off"
        self._rom: RomLoader | None = None
        self._interp: object | None = None
        self._firmware: FirmwareInfo | None = None
        self._failure: BootFailure | None = None
        self._in_reset = False
        self._rx_ready = True  # False from a flash boot until MicroPython's uart_init
        self._dtr = False
        self._rts = False
        self._pty_download = False  # the loader was entered by the pty SYNC heuristic
        self._sync_tail = b""
        self._loop_stop = threading.Event()
        self._loop_thread: threading.Thread | None = None
        self.boots: list[dict[str, object]] = []  # (cause, mode) history for /state
        self._boot_count = 0
        # Host stalls the firmware took out of the board's clock (hil/sim/firmware/hal.py).
        self._stalls = {"count": 0, "total_ms": 0, "worst_ms": 0}
        self._stall_log: list[dict[str, float]] = []  # the last ones: start (host s), ms
        self._stalls_lock = threading.Lock()  # not _lock: stopping an interpreter holds that

    # -- what the outside sees ----------------------------------------------------------

    @property
    def state(self) -> str:
        with self._lock:
            if self._state == "rom" and self._rom is not None and self._rom.stub:
                return "stub"
            return self._state

    @property
    def firmware(self) -> FirmwareInfo | None:
        return self._firmware

    def describe(self) -> dict[str, object]:
        with self._lock:
            fw = self._firmware
            return {
                "boot": self.state,
                "firmware": (
                    {"version": fw.version, "build_date": fw.build_date, "banner": fw.banner()}
                    if fw is not None
                    else None
                ),
                "boot_failure": (
                    {"reason": self._failure.reason, "messages": list(self._failure.messages)}
                    if self._failure is not None and self._state == "boot-loop"
                    else None
                ),
                "lines": {"dtr": self._dtr, "rts": self._rts, "en_held": self._in_reset},
                "baud": self.uart.chip_baud,
                "boots": list(self.boots[-10:]),
                "boot_count": self._boot_count,
                "stalls": self.stalls(),
            }

    def stalls(self) -> dict[str, object]:
        with self._stalls_lock:
            return {**self._stalls, "recent": list(self._stall_log)}

    def _stalled(self, ms: int) -> None:
        with self._stalls_lock:
            st = self._stalls
            st["count"] += 1
            st["total_ms"] += ms
            st["worst_ms"] = max(st["worst_ms"], ms)
            # when it began on the host's clock (time.monotonic(), as led_history's "t")
            self._stall_log.append({"t": time.monotonic() - ms / 1000, "ms": ms})
            del self._stall_log[:-100]
        # Short ones come often on a loaded host; a long one is worth a warning.
        log.log(logging.WARNING if ms >= 50 else logging.INFO,
                "the host did not run the twin's interpreter for %d ms (host load): "
                "the board's clock was held meanwhile, so the app's timing is not blamed", ms)

    # -- power and reset -----------------------------------------------------------------

    def power_on(self) -> None:
        with self._lock:
            self._boot(cause=1)

    def power_off(self) -> None:
        with self._lock:
            self._gen += 1
            self._halt()
            self._state = "off"
        self.uart.close()

    def power_cut(self) -> None:
        """The USB cable is pulled (link fault `unplug`): no power, bytes in flight are lost.
        `power_on()` is the replug. Unlike `power_off()` the UART stays usable."""
        with self._lock:
            self._gen += 1
            self._halt()
            self._state = "off"
            self._in_reset = False
            self._dtr = self._rts = False
            self._pty_download = False
            self.uart.purge_to_host()
            self.uart.purge_to_chip()

    def brownout(self) -> None:
        """A supply dip (link fault `brownout`): the chip restarts as at power-on (rst cause 1).
        Nothing happens while it is off or held in reset (EN low).

        The ESP8266 has no brown-out detector of its own: a dip below its power-on
        threshold is a power-on reset. Shallower dips are also reported with rst cause 2
        (esp8266/Arduino#1013: "could indicate power supply issues"); which one a given
        dip gives is UNVERIFIED, the twin always says 1."""
        with self._lock:
            if self._state == "off" or self._in_reset:
                return
            self._pty_download = False
            self._boot(cause=1)

    def press_reset(self, flash: bool = False) -> None:
        """The board's RST button, optionally with FLASH (GPIO0 to GND) held."""
        with self._lock:
            if self._in_reset:
                return  # the auto-reset transistor holds EN low: RST changes nothing
            self._pty_download = False
            self._boot(cause=2, force_download=flash)

    def set_lines(self, dtr: bool, rts: bool) -> None:
        """DTR/RTS from the USB-serial chip (RFC2217), through the auto-reset transistors."""
        with self._lock:
            self._dtr, self._rts = dtr, rts
            if rts and not dtr:
                if not self._in_reset:
                    self._in_reset = True
                    self._gen += 1
                    self._halt()
                    self._state = "off"  # EN low: the chip does nothing
            elif self._in_reset and not rts:
                self._in_reset = False
                self._pty_download = False
                self._boot(cause=2, force_download=dtr)

    def pty_client(self, opened: bool) -> None:
        """The pty's client opened or closed the port (see the pty heuristics above)."""
        if opened:
            return
        with self._lock:
            if self._pty_download and self._state == "rom":
                self._pty_download = False
                self._boot(cause=2)

    # -- internals: boot ----------------------------------------------------------------

    def _halt(self) -> None:
        """Stop whatever runs (interpreter, loader, boot loop) at once, as EN low does."""
        self._loop_stop.set()
        interp, self._interp = self._interp, None
        if interp is not None:
            try:
                interp.stop()  # type: ignore[attr-defined]
            except Exception:
                log.exception("stopping the interpreter failed")
        self._rom = None
        self._sync_tail = b""

    def _boot(self, cause: int, force_download: bool = False, rom_line: bool = True) -> None:
        self._gen += 1
        gen = self._gen
        self._halt()
        self.pins.chip_reset()
        self.uart.purge_to_host()
        self.uart.set_chip_baud(ROM_BAUD, after_tx=False)
        download = force_download or self.pins.strap_level(0) == 0
        self._boot_count += 1
        self.boots.append({"cause": cause, "mode": "download" if download else "flash", "t": time.monotonic()})
        del self.boots[:-50]
        if rom_line:
            self.uart.from_chip(rom_boot_line(cause, download))
        if download:
            self._state = "rom"
            self._failure = None
            self._rom = RomLoader(
                self.flash,
                self.identity,
                on_tx=self.uart.from_chip,
                on_baud=self._rom_baud,
                on_run_user_code=lambda: self._leave_loader_after_tx(gen, reboot=False),
                on_reboot=lambda: self._leave_loader_after_tx(gen, reboot=True),
            )
            # The ROM loader autobauds on the host's SYNC; esptool always syncs at 115200.
            self._uart_init_after_tx(gen)
            return
        self._flash_boot(cause, gen)

    def _flash_boot(self, cause: int, gen: int) -> None:
        data = self.flash.read(0, FS_START)
        result = inspect_firmware(data)
        if isinstance(result, BootFailure):
            self._state = "boot-loop"
            self._failure = result
            self._send_lines(result.messages)
            self._loop_stop = stop = threading.Event()
            self._loop_thread = threading.Thread(
                target=self._boot_loop, args=(gen, stop, result), name="rom-boot-loop", daemon=True
            )
            self._loop_thread.start()
            return
        self._failure = None
        self._firmware = result
        try:
            self._send_lines(load_lines(parse_v1(data)))
        except SimImageError:
            pass
        self._state = "rom"  # the ROM still prints its text; "micropython" once it runs
        # MicroPython reprograms UART0 to 115200 once the ROM text is out (main.c: uart_init)
        # and resets the RX FIFO then: what arrived during the ROM text is dropped. The
        # firmware runs only after that: the ROM prints its text before it jumps to the
        # firmware, and mp_reset sets up UART0 before _boot.py, boot.py and main.py run
        # (ports/esp8266/main.c), so a Ctrl-C sent during boot.py reaches boot.py.
        self._rx_ready = False
        def run_firmware() -> None:
            self._state = "micropython"
            self._start_interpreter(result, cause, gen)

        self._uart_init_after_tx(gen, then=run_firmware)

    def _uart_init_after_tx(self, gen: int, then: Callable[[], None] | None = None) -> None:
        """UART0 at 115200 with an empty RX FIFO once the queued ROM text has left,
        unless the chip was reset again meanwhile (a stale boot's setting must not apply);
        then ``then`` (the firmware starts), under the same check."""

        def apply() -> None:
            with self._lock:
                if gen != self._gen:
                    return
                self.uart.set_chip_baud(DEFAULT_BAUD, after_tx=False)
                self._rx_ready = True
                if then is not None:
                    then()

        self.uart.after_tx(apply)

    def _send_lines(self, lines: tuple[str, ...] | list[str]) -> None:
        if lines:
            self.uart.from_chip("".join(f"{line}\r\n" for line in lines).encode())

    def _boot_loop(self, gen: int, stop: threading.Event, failure: BootFailure) -> None:
        while not stop.wait(BOOT_LOOP_PERIOD):
            with self._lock:
                if gen != self._gen:
                    return
                # The watchdog resets the halted ROM (rst cause 4), or the SDK restarts
                # after a fatal exception (rst cause 2); it fails the same way again.
                self.uart.from_chip(rom_boot_line(failure.rst_cause, False))
                self._send_lines(failure.messages)

    def _start_interpreter(self, info: FirmwareInfo, cause: int, gen: int) -> None:
        try:
            from hil.sim.interpreter import MicroPythonProcess
        except ImportError as e:  # the firmware side is a separate module (twin-firmware)
            log.error("no interpreter: %s", e)
            self._state = "off"
            return
        interp = MicroPythonProcess(
            firmware=info,
            flash_path=Path(self.flash.path),
            pins=self.pins,
            on_tx=self.uart.from_chip,
            on_exit=lambda reason: self._interp_exit(gen, reason),
            heap_bytes=self.heap_bytes,
            rst_cause=cause,
            micropython=self.micropython,
            on_stall=self._stalled,
        )
        self._interp = interp
        interp.start()

    def _interp_exit(self, gen: int, reason: str) -> None:
        # Called from the interpreter's own thread: reset from another one, so that
        # stopping the old process never joins the thread that is stopping it.
        def run() -> None:
            with self._lock:
                if gen != self._gen:
                    return
                if reason == "reset":
                    self._boot(cause=2)  # machine.reset(): software restart
                    return
                # A crash: on the board the watchdog resets the chip (rst cause 4).
                # The reboot waits CRASH_REBOOT_DELAY, so a firmware that crashes
                # at every boot loops slowly instead of spinning.
                log.warning("interpreter ended (%s): watchdog reset in %.1f s", reason, CRASH_REBOOT_DELAY)
                self._interp = None
                self._state = "off"
                stop = self._loop_stop = threading.Event()
            if not stop.wait(CRASH_REBOOT_DELAY):
                with self._lock:
                    if gen == self._gen:
                        self._boot(cause=4)

        threading.Thread(target=run, name="chip-reset", daemon=True).start()

    # -- internals: loader ----------------------------------------------------------------

    def _rom_baud(self, baud: int) -> None:
        self.uart.set_chip_baud(baud)  # after the reply, which goes out at the old rate

    def _leave_loader_after_tx(self, gen: int, reboot: bool) -> None:
        # The loader's last reply (FLASH_END) must reach the host before the reset:
        # the ROM and the stub let the UART FIFO drain before they jump or reboot,
        # and esptool waits for that reply (`--after no-reset`, `--no-stub
        # --after soft-reset`). Reset from another thread than the UART's.
        def drained() -> None:
            threading.Thread(
                target=self._leave_loader, args=(gen, reboot), name="chip-leave-loader", daemon=True
            ).start()

        self.uart.after_tx(drained)

    def _leave_loader(self, gen: int, reboot: bool) -> None:
        with self._lock:
            if gen != self._gen:
                return
            if reboot and not self._pty_download:
                # Software reset with the straps still latched for download: ROM again.
                self._boot(cause=2, force_download=True)
                return
            self._pty_download = False
            self._boot(cause=2, rom_line=reboot)

    # -- internals: UART RX ---------------------------------------------------------------

    def _watch_host(self, data: bytes, source: str) -> bool:
        """The pty heuristic: esptool's SYNC over the pty = FLASH held + RST pressed."""
        if source != "pty":
            return False
        with self._lock:
            if self._state not in ("micropython", "boot-loop"):
                self._sync_tail = b""
                return False
            window = self._sync_tail + data
            if SYNC_FRAME not in window:
                self._sync_tail = window[-(len(SYNC_FRAME) - 1) :]
                return False
            log.info("SYNC over the pty while the firmware runs: entering the bootloader")
            self._boot(cause=2, force_download=True)
            self._pty_download = True
            return True  # this SYNC is lost in the reset; esptool sends more

    def _uart_rx(self, data: bytes, source: str) -> None:
        with self._lock:
            state = self._state
            rom, interp = self._rom, self._interp
        if rom is not None and state == "rom":
            rom.rx(data)
        elif interp is not None and state == "micropython" and self._rx_ready:
            interp.rx(data)  # type: ignore[attr-defined]
        # off / boot-loop / ROM text before uart_init: nothing reads UART0
