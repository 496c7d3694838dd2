"""MicroPythonProcess on its own: the real interpreter process, the real Breadboard and flash file."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hil.sim.breadboard import Breadboard
from hil.sim.flash import Flash
from hil.sim.image import FirmwareInfo
from hil.sim.interpreter import RX_CAPACITY, MicroPythonProcess

pytestmark = pytest.mark.slow  # starts MicroPython / tool processes


class Chip:
    """What the chip gives the interpreter: a UART sink and an exit callback."""

    def __init__(self, tmp_path: Path) -> None:
        Flash(tmp_path / "flash.bin")
        self.out = bytearray()
        self.exits: list[str] = []
        self.exited = threading.Event()
        self.pins = Breadboard(seed=1)
        self.proc = MicroPythonProcess(
            firmware=FirmwareInfo("v1.24.1", "2024-11-29"), flash_path=tmp_path / "flash.bin",
            pins=self.pins, on_tx=self.out.extend, on_exit=self._exit,
        )

    def _exit(self, reason: str) -> None:
        self.exits.append(reason)
        self.exited.set()

    def wait(self, token: bytes, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while token not in self.out:
            assert time.monotonic() < deadline, f"no {token!r}; got {bytes(self.out[-300:])!r}"
            time.sleep(0.01)


@pytest.fixture
def chip(tmp_path: Path) -> Iterator[Chip]:
    c = Chip(tmp_path)
    c.proc.start()
    try:
        c.wait(b">>> ")
        yield c
    finally:
        c.proc.stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_first_boot_text_and_stop_leaves_no_process(chip: Chip) -> None:
    assert bytes(chip.out) == (
        b"Performing initial setup\r\n\r\nMicroPython v1.24.1 on 2024-11-29; ESP module with ESP8266\r\n"
        b'Type "help()" for more information.\r\n>>> '
    )
    pid = chip.proc.pid
    assert pid is not None and _alive(pid)
    chip.proc.stop()
    assert not _alive(pid)  # killed and reaped (a zombie would still answer kill(0))
    assert chip.exits == []  # a power cut is not the firmware's exit


def test_machine_reset_reports_reset(chip: Chip) -> None:
    chip.proc.rx(b"import machine; machine.reset()\r")
    assert chip.exited.wait(10)
    assert chip.exits == ["reset"]


def test_pins_go_through_the_bus_and_ctrl_c_is_data_at_the_prompt(chip: Chip) -> None:
    chip.proc.rx(b"from machine import Pin; p = Pin(2, Pin.OUT); p.value(1); p.value()\r")
    chip.wait(b"p.value()\r\n1\r\n>>> ")
    assert chip.pins.state()  # the breadboard saw the configuration
    chip.out.clear()
    chip.proc.rx(b"\x03")  # at the prompt: an ordinary byte, the line is cancelled
    chip.wait(b"\r\n>>> ")


def test_rx_overrun_while_the_board_is_busy(chip: Chip) -> None:
    chip.proc.rx(b"import time; time.sleep(1)\r")
    chip.wait(b"time.sleep(1)\r\n")
    chip.proc.rx(b"#" * (RX_CAPACITY + 100))  # nobody reads: FIFO + ring buffer fill up
    assert chip.proc.dropped_rx >= 100 - 8
