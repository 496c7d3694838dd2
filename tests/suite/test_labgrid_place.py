"""``--place NAME``: the board of a labgrid farm (labgrid 26).

A real ``labgrid-coordinator`` and ``labgrid-exporter`` on loopback; the
exporter exports a twin's pty as a RawSerialPort, which it serves through
ser2net once the place is acquired, as a bench host serves /dev/ttyUSB0
(docs/remote-boards.md "labgrid"). The suite runs through the place in a
subprocess, as a user runs it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("labgrid", reason="labgrid is not installed (pip install 'hil[labgrid]')")

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PLACE = "esp-bench"
RUN_TIMEOUT = 300.0  # s: generous deadlines, never timing assertions
VERSION = "1.22.2"

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Farm:
    address: str
    twin: object
    image: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HIL_", "LG_"))}
        return {**env, "CI": "1", "LG_COORDINATOR": self.address, **extra}

    def client(self, *args: str, user: str | None = None) -> subprocess.CompletedProcess:
        env = self.env(**({"LG_USERNAME": user} if user else {}))
        return subprocess.run([str(BIN / "labgrid-client"), "-p", PLACE, *args], env=env,
                              capture_output=True, text=True, timeout=60, check=False)

    def holder(self) -> str:
        from hil.transport.labgrid import place_holder

        return place_holder(self.address, PLACE)


def _start(cmd: list, log: Path, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([str(c) for c in cmd], cwd=cwd, stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _until(what: str, check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Farm]:
    if not (shutil.which("ser2net") or Path("/usr/sbin/ser2net").exists()):
        pytest.skip("ser2net is not installed (the labgrid exporter serves ports with it)")
    from hil.sim.image import make_image
    from hil.sim.twin import Twin

    d = tmp_path_factory.mktemp("farm")
    image = d / f"ESP8266_GENERIC-v{VERSION}.bin"
    image.write_bytes(make_image(VERSION))
    address = f"127.0.0.1:{free_port()}"
    twin = Twin(d / "twin")
    procs: list[subprocess.Popen] = []
    try:
        twin.start()
        procs.append(_start([BIN / "labgrid-coordinator", "-l", address], d / "coordinator.log",
                            d))
        # the exporter configuration a bench host has, with the twin's pty for the adapter
        (d / "exporter.yaml").write_text(
            f"esp:\n  RawSerialPort:\n    port: {twin.pty_device}\n    speed: 115200\n")
        f = Farm(address, twin, image)
        _until("the coordinator answers", lambda: f.client("create").returncode == 0)
        procs.append(_start([BIN / "labgrid-exporter", "-c", address, "--hostname", "127.0.0.1",
                             "-n", "bench1", d / "exporter.yaml"], d / "exporter.log", d))
        assert f.client("add-match", "bench1/esp/NetworkSerialPort").returncode == 0
        _until("the exporter's port is known",
               lambda: "bench1/esp/NetworkSerialPort" in f.client("show").stdout)
        yield f
    finally:
        for p in reversed(procs):
            _stop(p)
        twin.stop()


def run_suite(farm: Farm, tmp: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "pytest", "suite", "-p", "no:cacheprovider", "-q",
           f"--place={PLACE}", f"--hil-artifacts={tmp / 'artifacts'}",
           "--basetemp", str(tmp / "base"), *args]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env or farm.env())


def test_the_suite_runs_through_a_labgrid_place_and_leaves_it_free(farm: Farm,
                                                                   tmp_path: Path) -> None:
    proc = run_suite(farm, tmp_path, f"--firmware={farm.image}", "--flash=always")
    out, _ = proc.communicate(timeout=RUN_TIMEOUT)
    assert proc.returncode == 0, out[-5000:]
    assert "8 passed" in out and f"board: labgrid place {PLACE} on rfc2217://127.0.0.1:" in out
    assert farm.twin.state()["firmware"]["version"] == f"v{VERSION}"  # flashed through it
    assert farm.holder() == ""


def test_a_place_someone_else_holds_is_a_bench_error_naming_them(farm: Farm,
                                                                 tmp_path: Path) -> None:
    _until("alice acquires the place", lambda: farm.client("acquire", user="alice").returncode
           == 0, 60)
    try:
        proc = run_suite(farm, tmp_path, "-k", "test_ground_path")
        out, _ = proc.communicate(timeout=RUN_TIMEOUT)
    finally:
        assert farm.client("release", user="alice").returncode == 0
    assert proc.returncode == 3, out[-3000:]
    assert "PlaceBusyError" in out and "is held by" in out and "/alice" in out, out[-3000:]
    assert farm.holder() == ""


def test_a_killed_run_leaves_the_place_free(farm: Farm, tmp_path: Path) -> None:
    proc = run_suite(farm, tmp_path, "-k", "test_leds_blink_in_antiphase")
    try:
        _until("the run holds the place", lambda: farm.holder() != "", RUN_TIMEOUT)
        os.kill(proc.pid, signal.SIGKILL)  # no finally, no atexit: only the watchdog is left
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    _until("the place is free after the killed run", lambda: farm.holder() == "", 60)
    # and the next one gets it, once the exporter has let its port go (labgrid tells
    # the exporter asynchronously)
    _until("the place can be acquired again", lambda: farm.client("acquire").returncode == 0,
           60)
    assert farm.client("release").returncode == 0
