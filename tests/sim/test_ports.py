"""The twin's cable: pty and RFC2217 with real pyserial and esptool on the other side.

These run on erased flash (the ROM loops on it), so they need no interpreter.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import pytest
import serial

pytestmark = [pytest.mark.slow, pytest.mark.twin(erased=True)]

ESPTOOL = [sys.executable, "-m", "esptool", "--chip", "esp8266"]


def read_until(port: serial.Serial, marker: bytes, timeout: float = 30.0) -> bytes:
    """Read until `marker` or the deadline (generous: a loaded host is slow); returns what was
    read either way."""
    deadline = time.monotonic() + timeout
    buf = b""
    while marker not in buf and time.monotonic() < deadline:
        buf += port.read(max(1, port.in_waiting))
    return buf


def prompt(port: serial.Serial, tries: int = 60) -> None:
    """Get a friendly prompt the way rshell does: Ctrl-C + Enter until `>>> ` shows."""
    for _ in range(tries):
        port.write(b"\r\x03")
        if b">>> " in read_until(port, b">>> ", timeout=0.5):
            # the prompts of the other keys sent may still be on their way: until quiet
            while port.read(256):
                pass
            return
    raise AssertionError("no >>> prompt from the twin")


def wait_state(twin: Any, key: str, value: object, timeout: float = 30.0) -> dict[str, Any]:
    """The twin's state once `key` is `value` (or at the deadline: a loaded host boots slowly)."""
    deadline = time.monotonic() + timeout
    while True:
        st = twin.state()
        if st[key] == value or time.monotonic() > deadline:
            return st
        time.sleep(0.02)


def test_opening_and_closing_rfc2217_does_not_reset(twin: Any) -> None:
    before = twin.state()["boot_count"]
    for _ in range(2):
        with serial.serial_for_url(twin.url, baudrate=115200, timeout=0.1) as p:
            p.write(b"\r\n")
    assert twin.state()["boot_count"] == before


def test_second_rfc2217_client_is_refused(twin: Any) -> None:
    with serial.serial_for_url(twin.url, baudrate=115200, timeout=0.1):
        with pytest.raises(serial.SerialException):
            serial.serial_for_url(twin.url + "?timeout=1", baudrate=115200, timeout=0.1)
    # and free again once the first one closed
    serial.serial_for_url(twin.url, baudrate=115200, timeout=0.1).close()


def test_classic_reset_over_rfc2217_enters_bootloader_with_rom_text_at_74880(twin: Any) -> None:
    with serial.serial_for_url(twin.url, baudrate=74880, timeout=0.1) as p:
        # esptool's ClassicReset (reset.py): EN low, then IO0 low as EN rises
        p.dtr = False
        p.rts = True
        p.dtr = True
        p.rts = False
        p.dtr = False
        text = read_until(p, b"boot mode:(1,7)\r\n\r\n")
    assert b" ets Jan  8 2013,rst cause:2, boot mode:(1,7)\r\n\r\n" in text
    assert twin.state()["boot"] == "rom"


def test_hard_reset_over_rfc2217_boots_flash_and_garbles_rom_text_at_115200(twin: Any) -> None:
    with serial.serial_for_url(twin.url, baudrate=115200, timeout=0.1) as p:
        p.rts = True  # esptool HardReset: EN low ...
        p.dtr = False
        p.rts = False  # ... and high with IO0 high: flash boot
        text = read_until(p, b"ets Jan", timeout=3.0)
    assert text, "the ROM's boot text must reach the client, garbled"
    assert b"ets Jan" not in text
    assert wait_state(twin, "boot", "boot-loop")["boot_failure"]["reason"] == "erased"


def test_pty_client_baud_is_followed(twin: Any) -> None:
    with serial.Serial(twin.pty, baudrate=74880, timeout=0.1) as p:
        twin.reset(flash=True)
        text = read_until(p, b"boot mode:(1,7)\r\n\r\n")
    assert b"rst cause:2, boot mode:(1,7)" in text
    with serial.Serial(twin.pty, baudrate=115200, timeout=0.1) as p:
        twin.reset(flash=False)
        text = read_until(p, b"ets Jan", timeout=3.0)
    assert text and b"ets Jan" not in text


def test_pty_link_points_at_the_pty(tmp_path: Any) -> None:
    from hil.sim.twin import Twin

    link = tmp_path / "board"
    with Twin(tmp_path / "state", erased=True, link=link) as t:
        assert link.resolve() == __import__("pathlib").Path(t.pty_device).resolve()
        assert t.pty == str(link)
    assert not link.exists()


def test_esptool_chip_id_over_rfc2217_with_reset_lines(twin: Any) -> None:
    r = subprocess.run(
        [*ESPTOOL, "--port", twin.url, "chip-id"], check=False, capture_output=True, text=True, timeout=90
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Chip type:          ESP8266EX" in r.stdout
    assert "Chip ID: 0x" in r.stdout
    # --after hard-reset pulsed RTS: the chip booted the (erased) flash again
    assert wait_state(twin, "boot", "boot-loop")["boot"] == "boot-loop"


def test_esptool_over_pty_reaches_bootloader_by_sync_heuristic(twin: Any) -> None:
    r = subprocess.run(
        [*ESPTOOL, "--port", twin.pty, "--before", "no-reset", "read-mac"],
        check=False, capture_output=True, text=True, timeout=90,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "MAC:" in r.stdout
    # the client closed the pty: the operator's RST boots the flash again
    assert wait_state(twin, "boot", "boot-loop")["boot"] == "boot-loop"


def test_esptool_over_pty_follows_stub_baud_change(twin: Any) -> None:
    """CHANGE_BAUDRATE: the chip's UART and the pty client both move to 460800."""
    r = subprocess.run(
        [*ESPTOOL, "--port", twin.pty, "--before", "no-reset", "--baud", "460800", "flash-id"],
        check=False, capture_output=True, text=True, timeout=90,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Changed." in r.stdout
    assert "Detected flash size: 4MB" in r.stdout


def test_garble_is_the_identity_at_equal_baud_and_garbage_otherwise() -> None:
    from hil.sim.uart import garble

    text = b"\r\n ets Jan  8 2013,rst cause:2, boot mode:(3,6)\r\n\r\n"
    assert garble(text, 115200, 115200) == text
    assert garble(text, 115200, 116000) == text  # within a UART's tolerance
    seen = garble(text, 74880, 115200)
    assert seen and b"ets" not in seen
    assert garble(text, 74880, 115200) == seen  # deterministic


def test_uart_delivers_in_order_and_applies_baud_change_after_queued_bytes() -> None:
    import threading

    from hil.sim.uart import Uart

    got: list[bytes] = []
    done = threading.Event()

    class Host:
        name = "test"
        baud = 115200

        def deliver(self, data: bytes) -> None:
            got.append(data)
            if b"".join(got).endswith(b"END"):
                done.set()

    uart = Uart(lambda data, source: None, baud=74880)
    try:
        uart.attach(Host())
        uart.from_chip(b"at 74880 ")  # garbled for the 115200 host
        uart.set_chip_baud(115200)  # takes effect after the bytes above
        uart.from_chip(b"x" * 3000 + b"END")
        assert done.wait(10.0)
        data = b"".join(got)
        assert data.endswith(b"x" * 3000 + b"END")
        assert b"at 74880" not in data
    finally:
        uart.close()


def test_esptool_over_pty_while_micropython_runs_then_back_to_the_repl(tmp_path: Any) -> None:
    """The pty heuristic: SYNC into a running MicroPython = FLASH held + RST; closing = RST."""
    from hil.sim.twin import Twin

    with Twin(tmp_path / "s") as t:
        assert wait_state(t, "boot", "micropython")["boot"] == "micropython"
        r = subprocess.run(
            [*ESPTOOL, "--port", t.pty, "read-mac"], check=False, capture_output=True, text=True, timeout=90
        )
        assert r.returncode == 0, r.stdout + r.stderr
        assert "MAC:" in r.stdout
        assert wait_state(t, "boot", "micropython")["boot"] == "micropython"
        with serial.Serial(t.pty, 115200, timeout=0.1) as p:
            prompt(p)  # bytes sent while the chip still boots are lost, as on a board
            p.write(b"print(6*7)\r")
            assert b"42\r\n>>> " in read_until(p, b"42\r\n>>> ")


def test_machine_reset_is_a_hard_reset(tmp_path: Any) -> None:
    from hil.sim.twin import Twin

    with Twin(tmp_path / "s") as t:
        assert wait_state(t, "boot", "micropython")["boot"] == "micropython"
        before = t.state()["boot_count"]
        with serial.Serial(t.pty, 115200, timeout=0.1) as p:
            prompt(p)
            p.write(b"import machine; machine.reset()\r")
            # prompt() may leave a late `>>> ` of its own behind: wait for the new banner
            text = read_until(p, b"MicroPython v1.24.1", timeout=60)
            text += read_until(p, b">>> ", timeout=30)
        st = t.state()
        assert st["boot_count"] == before + 1
        assert st["boots"][-1]["cause"] == 2 and st["boots"][-1]["mode"] == "flash"
        assert b"MicroPython v1.24.1" in text


def test_firmware_crash_is_followed_by_a_watchdog_reset(tmp_path: Any) -> None:
    import os
    import signal
    from pathlib import Path

    from hil.sim.twin import Twin

    def firmware_pids() -> list[int]:
        pids = []
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                stat = (d / "stat").read_text()
                cmd = (d / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid() and b"pyexec-entry" in cmd:
                pids.append(int(d.name))
        return pids

    with Twin(tmp_path / "s") as t:
        assert wait_state(t, "boot", "micropython")["boot"] == "micropython"
        before = t.state()["boot_count"]
        # "micropython" is the chip's state from the moment it starts the interpreter,
        # whose process may not have exec'd yet on a loaded host
        deadline = time.monotonic() + 30
        while not firmware_pids() and time.monotonic() < deadline:
            time.sleep(0.05)
        (pid,) = firmware_pids()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while t.state()["boot_count"] == before and time.monotonic() < deadline:
            time.sleep(0.05)
        st = wait_state(t, "boot", "micropython")
        assert st["boot"] == "micropython"
        assert st["boots"][-1]["cause"] == 4
    assert firmware_pids() == []  # stopping the twin ended its interpreter


def test_busy_second_pty_open_does_not_cut_off_the_first_client(tmp_path: Any) -> None:
    """inotify merges two quick opens into one event: a busy second open must not
    make the twin believe the port closed (it would discard the first client's output)."""
    from hil.sim.twin import Twin

    with Twin(tmp_path / "s") as t:
        assert wait_state(t, "boot", "micropython")["boot"] == "micropython"
        for i in range(20):
            with serial.Serial(t.pty, 115200, timeout=0.1, exclusive=True) as p:
                with pytest.raises(serial.SerialException):
                    serial.Serial(t.pty, 115200, timeout=0.1, exclusive=True)
                if i == 0:
                    prompt(p)
                p.write(f"print({i}*7)\r".encode())
                want = f"{i * 7}\r\n>>> ".encode()
                got = read_until(p, want)
                assert want in got, (i, got)
                assert t.state()["client"]["pty"] is True
        assert wait_state(t, "client", {"pty": False, "rfc2217": False})["client"]["pty"] is False


def test_bytes_sent_during_the_rom_boot_text_never_reach_the_repl(tmp_path: Any) -> None:
    """MicroPython's uart_init resets the RX FIFO: a line typed at 115200 while the ROM
    talks at 74880 is lost, not fed (garbled, e.g. with a Ctrl-E) to the new REPL."""
    from hil.sim.twin import Twin

    with Twin(tmp_path / "s") as t:
        assert wait_state(t, "boot", "micropython")["boot"] == "micropython"
        with serial.Serial(t.pty, 115200, timeout=0.1) as p:
            prompt(p)  # the first boot's output is all out: no baud change still queued
            for _ in range(3):
                t.reset()
                p.write(b"print(6*7)\r")  # lands in the ROM's 74880-baud boot text
                text = read_until(p, b"for more information.\r\n>>> ")
                assert b"MicroPython v1.24.1" in text
                rest = read_until(p, b"42\r\n>>> ", timeout=0.5)
                # lost (the usual case), or typed after uart_init on a slow machine: never garbage
                assert rest in (b"", b"print(6*7)\r\n42\r\n>>> "), rest
