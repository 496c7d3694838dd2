"""`Twin`: one virtual NodeMCU on the reference bench, reachable like a board.

    with Twin(tmp_path, faults=["split-rail"]) as twin:
        twin.pty          # "/dev/pts/7" (no modem lines, like a board without auto-reset)
        twin.url          # "rfc2217://127.0.0.1:40123" (DTR/RTS reach EN/GPIO0)
        twin.control_url  # "http://127.0.0.1:40124"
        twin.press(True)  # the operator's finger

The state directory holds the board's flash (`flash.bin`) and identity
(`twin.json`): files written to the board survive a restart of the twin, as
they survive a power cycle. A new directory is a board as the tutorial's
earlier chapter leaves it: MicroPython flashed, default boot.py, no main.py.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from types import TracebackType
from typing import Any

from hil.sim.breadboard import Breadboard
from hil.sim.chip import Esp8266
from hil.sim.control import ControlServer
from hil.sim.errors import SimStateError
from hil.sim.faults import check_names
from hil.sim.flash import Flash
from hil.sim.identity import Identity
from hil.sim.image import new_board_flash
from hil.sim.link import LinkFaults, parse_spec
from hil.sim.ports import PtyPort, Rfc2217Server
from hil.sim.statelock import StateLock
from hil.sim.uart import DEFAULT_BAUD

log = logging.getLogger(__name__)

DEFAULT_HEAP = 36 * 1024  # about what MicroPython 1.2x leaves free on an ESP8266 (gc.mem_free())


class Twin:
    """A virtual ESP8266 bench: start() brings up pty, RFC2217, control endpoint and chip."""

    def __init__(
        self,
        state_dir: Path | str,
        *,
        faults: tuple[str, ...] | list[str] = (),
        erased: bool = False,
        heap_bytes: int = DEFAULT_HEAP,
        baud: int = DEFAULT_BAUD,
        link: Path | str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        control_port: int = 0,
        micropython: str | None = None,
        link_faults: tuple[str, ...] | list[str] = (),
        link_seed: int | None = None,
        control_token: str | None = None,
    ) -> None:
        check_names(list(faults))
        for spec in link_faults:
            parse_spec(spec)  # a bad KIND:RATE is a usage error before anything starts
        self.state_dir = Path(state_dir)
        self._faults = list(faults)
        self._erased = erased
        self._heap = heap_bytes
        self._baud = baud
        self._link = link
        self._host = host
        self._port = port
        self._control_port = control_port
        self._micropython = micropython
        self._link_specs = list(link_faults)
        self._link_seed = link_seed
        self._control_token = control_token
        self.link_faults: LinkFaults | None = None
        self._flash: Flash | None = None
        self.breadboard: Breadboard | None = None
        self.chip: Esp8266 | None = None
        self._pty: PtyPort | None = None
        self._rfc: Rfc2217Server | None = None
        self._control: ControlServer | None = None
        self._running = False
        self._state_lock: StateLock | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> Twin:
        if self._running:
            raise SimStateError("Twin.start(): already started")
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self._running = True
        return self

    def _start(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._state_lock = StateLock(self.state_dir).acquire()  # SimBusyError names the holder
        flash_path = self.state_dir / "flash.bin"
        new_board = not flash_path.exists()
        self._flash = Flash(flash_path)
        if self._erased:
            self._flash.erase_all()
        elif new_board:
            new_board_flash(self._flash)
        identity = Identity.load_or_create(self.state_dir / "twin.json")
        self.breadboard = Breadboard(self._faults)
        self.chip = Esp8266(
            flash=self._flash,
            identity=identity,
            pins=self.breadboard,
            heap_bytes=self._heap,
            micropython=self._micropython,
            baud=self._baud,
        )
        self._pty = PtyPort(self.chip.uart, link=self._link, on_client=self.chip.pty_client)
        self._pty.start()
        self._rfc = Rfc2217Server(
            self.chip.uart, on_lines=self.chip.set_lines, host=self._host, port=self._port
        )
        self._rfc.start()
        self._control = ControlServer(self, self._host, self._control_port, token=self._control_token)
        self._control.start()
        self.link_faults = LinkFaults(
            self._link_specs,
            on_unplug=self._unplug,
            on_replug=self._replug,
            on_brownout=self.chip.brownout,
            seed=self._link_seed,
        )
        self.chip.uart.link = self.link_faults
        self.chip.power_on()
        self.link_faults.start()

    def _unplug(self) -> None:
        """Link fault `unplug`: the ports vanish and the board loses power (USB-powered)."""
        log.info("link fault: the USB cable is pulled")
        chip, pty, rfc = self.chip, self._pty, self._rfc
        if chip is None or pty is None or rfc is None:
            return
        chip.power_cut()
        rfc.unplug()
        pty.stop()

    def _replug(self) -> None:
        log.info("link fault: the USB cable is plugged back")
        chip, pty, rfc = self.chip, self._pty, self._rfc
        if chip is None or pty is None or rfc is None:
            return
        pty.start()
        rfc.plug()
        chip.power_on()

    def stop(self) -> None:
        """Power off and release everything (idempotent; safe after a failed start)."""
        self._running = False
        if self.link_faults is not None:
            with contextlib.suppress(Exception):
                self.link_faults.stop()
        for part in (self._control, self._rfc, self._pty):
            if part is not None:
                with contextlib.suppress(Exception):
                    part.stop()
        if self.chip is not None:
            with contextlib.suppress(Exception):
                self.chip.power_off()
        if self._flash is not None:
            with contextlib.suppress(Exception):
                self._flash.close()
        if self._state_lock is not None:
            self._state_lock.release()
            self._state_lock = None
        self._control = self._rfc = self._pty = None
        self.link_faults = None
        self.chip = None
        self._flash = None

    def __enter__(self) -> Twin:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- where to reach it -----------------------------------------------------------------

    @property
    def pty(self) -> str:
        """The pty path (`/dev/pts/N`), or the `link` symlink if one was asked for."""
        p = self._need(self._pty, "pty")
        return str(self._link) if self._link else p.path

    @property
    def pty_device(self) -> str:
        return self._need(self._pty, "pty_device").path

    @property
    def url(self) -> str:
        return self._need(self._rfc, "url").url

    @property
    def control_url(self) -> str:
        return self._need(self._control, "control_url").url

    @property
    def control_token(self) -> str | None:
        """The token clients send as `Authorization: Bearer TOKEN` (None on loopback: not needed)."""
        return self._need(self._control, "control_token").token

    def _need(self, part: Any, what: str) -> Any:
        if part is None:
            raise SimStateError(f"Twin.{what}: the twin is not running (call start() first)")
        return part

    # -- the operator's hands (same operations as the control endpoint) ------------------------

    def press(self, pressed: bool = True) -> None:
        self._board().press(pressed)

    def wire(self, a: str, b: str | None = None, connect: bool = True) -> None:
        """A jumper between nets `a` and `b`; with `b` None, `a` is a bench wire (W1 W2 W3 BRIDGE)."""
        self._board().wire(a, b, connect)

    def pull_wire(self, name: str) -> None:
        """Pull one of the bench's own wires (W1, W2, W3, BRIDGE) out of the breadboard."""
        self._board().bench_wire(name, False)

    def insert_wire(self, name: str) -> None:
        """Put a pulled bench wire back where it was (a broken wire stays broken)."""
        self._board().bench_wire(name, True)

    def set_faults(self, set: list[str] | tuple[str, ...] = (), clear: list[str] | tuple[str, ...] = ()) -> list[str]:
        return self._board().set_faults(list(set), list(clear))

    def set_link_faults(
        self, set: list[str] | tuple[str, ...] = (), clear: list[str] | tuple[str, ...] = ()
    ) -> list[str]:
        """Switch link faults (`set`: KIND:RATE, `clear`: kinds); returns the active ones."""
        lf = self.link_faults
        if lf is None:
            raise SimStateError("Twin.set_link_faults(): the twin is not running (call start() first)")
        return lf.set(list(set), list(clear))

    def link_state(self) -> dict[str, Any]:
        """The `link` key of `state()`: active faults, plugged, counts of hits."""
        lf = self.link_faults
        if lf is None:
            raise SimStateError("Twin.link_state(): the twin is not running (call start() first)")
        return lf.describe()

    def reset(self, flash: bool = False) -> None:
        """The RST button (with FLASH held if `flash`)."""
        chip = self.chip
        if chip is None:
            raise SimStateError("Twin.reset(): the twin is not running (call start() first)")
        chip.press_reset(flash)

    def led_history(self, since: float | None = None) -> list[dict[str, object]]:
        """LED level changes (`since`: only those after that monotonic time)."""
        return self._board().led_history(since)

    def wait_change(self, version: int, timeout: float) -> int:
        """Block until the breadboard changes after `version` or `timeout` s pass (see Breadboard)."""
        return self._board().wait_change(version, timeout)

    def state(self, history: bool = True) -> dict[str, Any]:
        """GET /state; `history=False` leaves `led_history` empty (the live page asks often)."""
        bb, chip = self._board(), self.chip
        doc: dict[str, Any] = dict(bb.state(history))
        if chip is not None:
            doc.update(chip.describe())
        doc["pty"] = (self._pty.path or None) if self._pty else None
        doc["link"] = self.link_faults.describe() if self.link_faults else None
        doc["url"] = self._rfc.url if self._rfc else None
        doc["interpreter"] = self.interpreter()
        doc["client"] = {
            "pty": bool(self._pty and self._pty.client_open),
            "rfc2217": bool(self._rfc and self._rfc.client_connected),
        }
        return doc

    def interpreter(self) -> dict[str, Any] | None:
        """What really runs the firmware (GET /state `interpreter`): the unix port's own
        version, which programs on the twin never see (they see the flashed firmware's)."""
        from hil.sim.micropython_bin import MicroPythonNotFound, find_micropython, interpreter_info

        try:
            return dict(interpreter_info(find_micropython(self._micropython)))
        except MicroPythonNotFound:
            return None

    def _board(self) -> Breadboard:
        if self.breadboard is None:
            raise SimStateError("the twin is not running (call start() first)")
        return self.breadboard
