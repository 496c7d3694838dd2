"""No process outlives the twin, and one state folder serves one twin at a time.

Each case kills the process that runs the twin with SIGKILL (no cleanup code
runs) and checks the kernel takes the MicroPython interpreter with it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import serial

from hil.sim.errors import SimBusyError

pytestmark = pytest.mark.slow  # starts and kills processes

BIN = Path(sys.executable).parent
GONE_WITHIN = 1.0  # s: the goal; polled with a generous deadline (shared CI machines)
DEADLINE = 10.0


def children(pid: int) -> list[int]:
    """Pids whose parent is `pid` (from /proc/PID/stat)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            out.append(int(entry))
    return out


def alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper counts as gone: it runs nothing, holds no files)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def interpreter_of(pid: int, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for c in children(pid):
            try:
                if "micropython" in Path(f"/proc/{c}/cmdline").read_bytes().decode(errors="replace"):
                    return c
            except OSError:
                pass
        time.sleep(0.05)
    raise AssertionError(f"no micropython child of {pid}")


def wait_gone(pid: int) -> float:
    t0 = time.monotonic()
    while alive(pid) and time.monotonic() - t0 < DEADLINE:
        time.sleep(0.01)
    assert not alive(pid), f"the interpreter {pid} outlived the twin by {DEADLINE} s"
    return time.monotonic() - t0



def sigkill_and_wait_gone(proc: subprocess.Popen[str], mp: int) -> None:
    """SIGKILL the process that runs the twin (no cleanup code runs); its interpreter
    `mp` must go with it."""
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    wait_gone(mp)


def reap(proc: subprocess.Popen[str]) -> None:
    """Kill `proc` if it still runs: no process outlives the test, whatever it found."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def start_hil_sim(state: Path, *extra: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [str(BIN / "hil"), "sim", "--state", str(state), "--json", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait(timeout=30)
        raise AssertionError(f"hil sim did not start: {proc.stderr.read() if proc.stderr else ''}")
    return proc, json.loads(line)


def prompt(port: serial.Serial) -> None:
    deadline = time.monotonic() + 30
    buf = b""
    while not buf.endswith(b">>> ") and time.monotonic() < deadline:
        port.write(b"\r\x03")
        buf += port.read(200)
        while port.in_waiting:
            buf += port.read(port.in_waiting)
            time.sleep(0.05)
    assert buf.endswith(b">>> "), buf[-200:]


def run_forever(pty: str, loop: bytes) -> None:
    """Start an endless loop at the board's REPL (an app that never returns)."""
    with serial.Serial(pty, 115200, timeout=0.2) as port:
        prompt(port)
        port.write(loop + b"\r\r")
        time.sleep(0.5)


PIN_LOOP = b"import machine; p = machine.Pin(2, machine.Pin.OUT)\rwhile True: p.value(1 - p.value())"


def test_sigkill_of_hil_sim_takes_the_interpreter_along(tmp_path: Path) -> None:
    proc, info = start_hil_sim(tmp_path / "state")
    try:
        mp = interpreter_of(proc.pid)
        run_forever(info["pty"], PIN_LOOP)  # the case: the board toggling a pin
        sigkill_and_wait_gone(proc, mp)
    finally:
        reap(proc)
    # the dead twin's lock is taken over by the next one
    from hil.sim.twin import Twin

    with Twin(tmp_path / "state", erased=True) as twin:
        assert twin.state()["boot"] == "boot-loop"


def test_sigkill_of_a_python_process_with_a_twin_after_a_soft_reset(tmp_path: Path) -> None:
    # After a soft reset the interpreter is restarted from a thread that then ends:
    # the death signal must still be tied to the process, not to that thread.
    script = textwrap.dedent(
        f"""
        import sys, time
        from hil.sim.twin import Twin
        t = Twin({str(tmp_path / 'state')!r}).start()
        print(t.pty_device, flush=True)
        time.sleep(3600)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        pty = proc.stdout.readline().strip()
        first = interpreter_of(proc.pid)
        with serial.Serial(pty, 115200, timeout=0.2) as port:
            prompt(port)
            port.write(b"\x04")  # Ctrl-D at the prompt: a soft reset, a new process
            deadline = time.monotonic() + 30
            while alive(first) and time.monotonic() < deadline:
                time.sleep(0.05)
        assert not alive(first)
        mp = interpreter_of(proc.pid)
        run_forever(pty, b"while True: pass")  # busy, never touching a pipe
        sigkill_and_wait_gone(proc, mp)
    finally:
        reap(proc)


def test_a_second_twin_on_one_state_folder_is_refused_naming_the_holder(tmp_path: Path) -> None:
    proc, _ = start_hil_sim(tmp_path / "state", "--erased")
    try:
        r = subprocess.run(
            [str(BIN / "hil"), "sim", "--state", str(tmp_path / "state")],
            capture_output=True, text=True, timeout=60, check=False,
        )
        assert r.returncode == 3
        assert f"pid {proc.pid}" in r.stderr and "--state" in r.stderr, r.stderr
        from hil.sim.twin import Twin

        with pytest.raises(SimBusyError, match=f"pid {proc.pid}"):
            Twin(tmp_path / "state").start()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
