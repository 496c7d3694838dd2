"""The twin behaves like the board where programs can tell (issue 11).

Each test talks to a Twin (the real `micropython` unix port inside) through its real pty,
as a terminal program would. Board facts cited where they are used.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from terminal import Term

pytestmark = pytest.mark.slow  # starts MicroPython processes

BOOT_COUNTER = """\
try:
    n = int(open('count').read())
except (OSError, ValueError):
    n = 0
n += 1
open('count', 'w').write(str(n))  # never closed: the soft reset's sweep closes it
print('boot', n)
"""


def _raw_paste(term: Term, code: str) -> None:
    """Send `code` with raw-paste flow control (as mpremote does) and start it."""
    term.send(b"\x05A\x01")
    term.until(b"R\x01")
    while len(term.buf) < 2:
        term.buf += term.ser.read(2)
    window = int.from_bytes(term.buf[:2], "little")
    term.buf = term.buf[2:]
    data, i, room = code.encode(), 0, 0
    while i < len(data):
        while room == 0:
            term.until(b"\x01")
            room += window
        n = min(room, len(data) - i)
        term.send(data[i : i + n])
        i, room = i + n, room - n
    term.send(b"\x04")
    term.until(b"\x04")  # the end acknowledged: the code runs


def _raw(term: Term) -> None:
    term.send(b"\r\x01")
    term.until(b"raw REPL; CTRL-B to exit\r\n>")


def test_soft_reset_closes_open_files_so_an_unclosed_boot_counter_counts(term: Term) -> None:
    # ports/esp8266/main.c soft_reset(): gc_sweep_all() runs every open file's finaliser
    _raw(term)
    assert term.raw_exec(f"f = open('main.py', 'w'); f.write({BOOT_COUNTER!r}); f.close()")[1] == b""
    term.send(b"\x02")
    term.until(b">>> ")
    for n in (1, 2, 3):
        term.send(b"\x04")
        out = term.until(b">>> ")
        assert b"MPY: soft reboot\r\n" in out and f"boot {n}\r\n".encode() in out, out


def test_a_hard_reset_loses_what_was_never_flushed(term: Term) -> None:
    assert term.line("f = open('data', 'w'); f.write('written')").endswith(b"7\r\n>>> ")
    term.twin.reset()
    term.until(b">>> ", 60)
    out = term.line("import os; 'data' not in os.listdir() or open('data').read() == ''")
    assert out.endswith(b"True\r\n>>> "), out
    # the same write, closed by a soft reset instead, is on the flash afterwards
    term.line("f = open('data', 'w'); f.write('written')")
    term.send(b"\x04")
    term.until(b"MPY: soft reboot\r\n")
    term.until(b">>> ")
    assert term.line("open('data').read()").endswith(b"'written'\r\n>>> ")


def test_the_users_heap_is_a_boards(term: Term) -> None:
    # ports/esp8266/main.c: static char heap[38 * 1024]; about 36 kB free at the prompt
    assert term.line("import gc").endswith(b">>> ")
    assert term.line("gc.collect()").endswith(b">>> ")
    out = term.line("gc.mem_free()")
    free = int(out.split(b"\r\n")[1])
    assert 30000 <= free <= 38 * 1024, out
    assert term.line("b = bytearray(24000)") == b"b = bytearray(24000)\r\n>>> "
    assert term.line("len(b)").endswith(b"24000\r\n>>> ")
    # a long print over the raw REPL arrives whole (paced by the UART)
    _raw(term)
    out, err = term.raw_exec("del b\nprint('x' * 11520, end='')", timeout=30)
    assert err == b"" and out == b"x" * 11520


def test_a_timer_runs_during_a_busy_loop(term: Term) -> None:
    # Timer(-1) callbacks are scheduled (mp_sched_schedule) and run between bytecodes
    _raw(term)
    code = (
        "import machine, time\n"
        "n = 0\n"
        "def cb(t):\n"
        "    global n\n"
        "    n += 1\n"
        "t = machine.Timer(-1)\n"
        "t.init(period=10, mode=machine.Timer.PERIODIC, callback=cb)\n"
        "t0 = time.ticks_ms()\n"
        "while time.ticks_diff(time.ticks_ms(), t0) < 1000:\n"
        "    pass\n"
        "t.deinit()\n"
        "print(n)\n"
    )
    out, err = term.raw_exec(code, timeout=30)
    assert err == b"", err
    assert 90 <= int(out) <= 110, out


def _interpreter_pids() -> list[int]:
    """This process's twin interpreters (children running hil/sim/firmware/pyexec-entry.py)."""
    import os

    pids = []
    for d in Path("/proc").iterdir():
        try:
            ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == os.getpid() and b"pyexec-entry" in (d / "cmdline").read_bytes():
                pids.append(int(d.name))
        except (OSError, ValueError, IndexError):
            continue
    return pids


def test_a_host_that_stops_running_the_twin_does_not_make_the_app_late(term: Term) -> None:
    # A loaded host may not run the interpreter for a while; a board's CPU never stops.
    # The twin takes such a stall out of the board's clock (hil/sim/firmware/hal.py) and
    # counts it, so an app's sleeps and timers keep the board's time: here a 600 ms stall
    # (SIGSTOP) inside a 1 s sleep, with a 10 ms timer running, costs the app no time.
    # (Inside pure computation a stall cannot be told from the work: see hal.py.)
    wait = "time.sleep_ms(1000)"
    import os
    import signal

    _raw(term)
    code = (
        "import machine, time\n"
        "n = [0]\n"
        "def cb(_):\n"
        "    n[0] += 1\n"
        "t = machine.Timer(-1)\n"
        "t.init(period=10, mode=machine.Timer.PERIODIC, callback=cb)\n"
        "print('waiting')\n"
        "t0 = time.ticks_ms()\n"
        f"{wait}\n"
        "t.deinit()\n"
        "print(time.ticks_diff(time.ticks_ms(), t0), n[0])\n"
    )
    before = term.twin.state()["stalls"]
    term.send(code.encode() + b"\x04")
    term.until(b"OK")
    term.until(b"waiting\r\n", 30)
    (pid,) = _interpreter_pids()
    host0 = time.monotonic()
    os.kill(pid, signal.SIGSTOP)
    time.sleep(0.6)
    os.kill(pid, signal.SIGCONT)
    out = term.until(b"\x04", 30)
    assert out.endswith(b"\x04") and b"Traceback" not in out, out + term.until(b"\x04", 5)
    took_ms, calls = (int(x) for x in out[:-1].split())
    assert time.monotonic() - host0 >= 0.6
    # the board waited 1 s of its own time, not 1.6 s; its timer ran ~100 times, none dropped
    assert 1000 <= took_ms < 1300, out
    assert 85 <= calls <= 110, out
    after = term.twin.state()["stalls"]
    assert after["count"] > before["count"] and after["worst_ms"] >= 400, after


def test_a_pin_irq_runs_during_a_busy_loop(term: Term) -> None:
    _raw(term)
    code = (
        "from machine import Pin\n"
        "import time\n"
        "hits = []\n"
        "b = Pin(14, Pin.IN, Pin.PULL_UP)\n"
        "b.irq(lambda p: hits.append(1), Pin.IRQ_FALLING)\n"
        "print('armed')\n"
        "t0 = time.ticks_ms()\n"
        "while not hits and time.ticks_diff(time.ticks_ms(), t0) < 10000:\n"
        "    pass\n"
        "print(len(hits) > 0)\n"
    )
    term.send(code.encode() + b"\x04")
    term.until(b"OK")
    term.until(b"armed\r\n", 30)
    term.twin.press(True)
    try:
        assert term.until(b"\x04", 30).startswith(b"True")
    finally:
        term.twin.press(False)


STORM_APP = (
    "import machine\n"
    "from machine import Pin\n"
    "n = [0]\n"
    "def cb(t):\n"
    "    n[0] += 1\n"
    "    p.value(n[0] & 1)\n"
    "p = Pin(2, Pin.OUT)\n"
    "q = Pin(16, Pin.OUT)\n"
    "t = machine.Timer(-1)\n"
    "t.init(period=1, mode=machine.Timer.PERIODIC, callback=cb)\n"
    "while True:\n"
    "    q.value(1)\n"
    "    q.value(0)\n"
)


@pytest.mark.slow
def test_a_storm_of_ctrl_c_never_hangs_the_pin_bus(term: Term) -> None:
    # issue 8: 40 Ctrl-Cs into a 1 ms Timer plus a pin-toggling loop, 50 runs; each run
    # ends with the board answering (a lost pin-bus reply would leave it waiting forever)
    import random

    rng = random.Random(8)
    _raw(term)
    for run in range(50):
        _raw_paste(term, STORM_APP)
        time.sleep(rng.uniform(0.0, 0.05))
        for _ in range(40):
            term.send(b"\x03")
            time.sleep(rng.uniform(0.0, 0.004))
        time.sleep(0.1)
        # A loaded host may take the last Ctrl-C after the Ctrl-D below (the app still ran
        # and ignored it): Ctrl-C + Ctrl-D again until the soft reset shows, as a user would.
        # A hung pin bus never answers however often (hal.call holds the interrupt).
        deadline = time.monotonic() + 60
        while True:
            term.send(b"\x03")  # clear whatever the storm left at the raw prompt
            time.sleep(0.05)
            term.ser.reset_input_buffer()
            term.buf = b""
            term.send(b"\x04")  # soft reset: the timer goes; the board must answer
            try:
                term.until(b"raw REPL; CTRL-B to exit\r\n>", 5)
                break
            except AssertionError as e:
                if time.monotonic() > deadline:
                    mp = getattr(term.twin.chip, "_interp", None)
                    kbd = getattr(getattr(mp, "_child", None), "kbd", None)
                    raise AssertionError(
                        f"run {run}: the board did not come back: {e}; interrupt char armed: "
                        f"{getattr(mp, '_intr', '?')}, Ctrl-C owed since: "
                        f"{getattr(kbd, '_owed_since', '?')}, boot: {term.twin.state()['boot']}"
                    ) from None
        out, err = term.raw_exec(f"print({run} * 2)")
        assert (out, err) == (f"{run * 2}\r\n".encode(), b""), (run, out, err)


def test_the_flashed_versions_identity_and_what_really_runs(term: Term) -> None:
    # sys.implementation, os.uname() and the banner say the flashed v1.24.1 (py/modsys.c
    # at v1.24.1; _mpy 6.3 for xtensa: 6 | (3 | 9 << 2) << 8); GET /state says what runs
    out = term.line("import sys, os; sys.implementation")
    assert out.endswith(
        b"(name='micropython', version=(1, 24, 1, ''), _machine='ESP module with ESP8266', "
        b"_mpy=9990)\r\n>>> "), out
    assert term.line("os.uname().version").endswith(b"'v1.24.1 on 2024-11-29'\r\n>>> ")
    assert term.line("sys.version").endswith(b"'3.4.0; MicroPython v1.24.1 on 2024-11-29'\r\n>>> ")
    interp = term.twin.state()["interpreter"]
    assert interp["version"] and interp["path"] and interp["mpy"], interp
    assert "v1.24.1" not in interp["banner"]  # the real one, not the flashed one


def _boot_banner_and(tmp_path: Path, version: str, line: bytes) -> bytes:
    from hil.sim.breadboard import Breadboard
    from hil.sim.flash import Flash
    from hil.sim.image import FirmwareInfo
    from hil.sim.interpreter import MicroPythonProcess

    Flash(tmp_path / "flash.bin")
    out = bytearray()
    proc = MicroPythonProcess(firmware=FirmwareInfo(version, "2022-06-18"),
                              flash_path=tmp_path / "flash.bin", pins=Breadboard(seed=1),
                              on_tx=out.extend, on_exit=lambda reason: None)
    proc.start()
    try:
        deadline = time.monotonic() + 20
        while b">>> " not in out:
            assert time.monotonic() < deadline, bytes(out)
            time.sleep(0.02)
        out.clear()
        proc.rx(line + b"\r")
        while not out.endswith(b">>> "):
            assert time.monotonic() < deadline, bytes(out)
            time.sleep(0.02)
        return bytes(out)
    finally:
        proc.stop()


def test_an_older_firmwares_sys_implementation(tmp_path: Path) -> None:
    # v1.19: a 3-tuple version, _machine, and _mpy of .mpy version 6.0
    out = _boot_banner_and(tmp_path, "v1.19.1", b"import sys; sys.implementation")
    assert b"(name='micropython', version=(1, 19, 1), _machine='ESP module with ESP8266', " \
           b"_mpy=9222)" in out, out


def test_built_in_modules_are_the_boards(term: Term) -> None:
    # read-only C modules on the board (tests/basics/module2.py), the ESP8266 build's names
    out = term.line("import sys, micropython; sys.x = 1")
    assert out.endswith(b"AttributeError: 'module' object has no attribute 'x'\r\n>>> "), out
    out = term.line("from sys import nosuchname")
    assert b"ImportError" in out, out
    out = term.line("sys, sys.stdout, hasattr(micropython, 'mem_total'), hasattr(sys, 'executable')")
    assert out.endswith(b"(<module 'sys'>, <io.TextIOWrapper 1>, False, False)\r\n>>> "), out
    out = term.line("help(micropython)")
    assert b"object <module 'micropython'> is of type module\r\n  __name__ -- micropython\r\n" \
           b"  const -- <function>\r\n  opt_level -- <function>\r\n" in out, out


def test_run_micropython_tests_needs_a_checkout(tmp_path: Path) -> None:
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "hil.cli", "sim", "run-micropython-tests",
                        "--micropython-dir", str(tmp_path)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2, r
    assert "run-tests.py not found" in r.stderr and "MicroPython checkout" in r.stderr
