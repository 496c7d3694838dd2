"""A board on another machine: the suite over ``rfc2217://`` through the real
server programs a bench host runs, esptool's ``esp_rfc2217_server`` and Debian's
``ser2net`` (docs/remote-boards.md), flashing included.

- ser2net serves the twin's pty, as it serves /dev/ttyUSB0 on a bench host.
  A pty has no modem lines, so ser2net answers no DTR/RTS change; the twin
  takes esptool's SYNC on the pty as the reset into the loader.
- esp_rfc2217_server needs a port with modem lines (it runs esptool's reset
  sequences itself; on a pty its first DTR change fails with ENOTTY), so it
  serves the twin's own RFC2217 endpoint, whose DTR/RTS drive EN and GPIO0
  through the NodeMCU's transistors. esptool's tight reset needs a local tty
  (ioctl), so the server gets esptool's classic sequence through its config
  file (``custom_reset_sequence``), as the esptool docs describe.

Both listen on a free loopback port (esp_rfc2217_server has no host option: all
interfaces) and are stopped when the test ends.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT = 300.0  # s: a generous deadline, never a timing assertion
VERSION = "1.22.2"   # not the twin's own v1.24.1: the flashed image must show

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def twin(tmp_path: Path) -> Iterator[object]:
    from hil.sim.twin import Twin

    t = Twin(tmp_path / "twin")
    t.start()
    try:
        yield t
    finally:
        t.stop()


@pytest.fixture
def image(tmp_path: Path) -> Path:
    from hil.sim.image import make_image

    path = tmp_path / f"ESP8266_GENERIC-v{VERSION}.bin"
    path.write_bytes(make_image(VERSION))
    return path


def serve(cmd: list[str], port: int, log: Path, env: dict[str, str] | None = None
          ) -> subprocess.Popen:
    """Start a server program; return once its TCP port takes connections."""
    proc = subprocess.Popen(cmd, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{cmd[0]} exited {proc.returncode}: {log.read_text()}")
        if "Waiting for connection" in log.read_text() or _listening(port):
            return proc
        time.sleep(0.1)
    stop(proc)
    raise AssertionError(f"{' '.join(cmd)} did not listen on {port}: {log.read_text()}")


def _listening(port: int) -> bool:
    """Is the port in LISTEN state (/proc/net/tcp), without connecting to it."""
    text = Path("/proc/net/tcp").read_text()
    return any(f":{port:04X} " in line and line.split()[3] == "0A" for line in text.splitlines())


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_suite(tmp: Path, url: str, image: Path) -> tuple[subprocess.CompletedProcess, dict]:
    xml = tmp / "junit.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIL_")}
    env["CI"] = "1"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "suite", "-p", "no:cacheprovider", "-q",
         f"--port={url}", f"--firmware={image}", "--flash=always", f"--junitxml={xml}",
         f"--hil-artifacts={tmp / 'artifacts'}", "--basetemp", str(tmp / "base")],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=RUN_TIMEOUT, check=False)
    props = {}
    if xml.exists():
        props = {p.get("name"): p.get("value") for p in ET.parse(xml).getroot().iter("property")}
    return proc, props


def check_passed_and_flashed(proc: subprocess.CompletedProcess, props: dict, twin) -> None:
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    assert "8 passed" in out, out[-3000:]
    assert props["flash"].startswith("written"), props
    # the image went through the server into the twin's flash, and the board boots it
    assert twin.state()["firmware"]["version"] == f"v{VERSION}"
    assert props["micropython_version"] == f"v{VERSION}"


def test_the_suite_through_ser2net_in_front_of_the_twins_pty(twin, image: Path,
                                                             tmp_path: Path) -> None:
    ser2net = shutil.which("ser2net") or ("/usr/sbin/ser2net"
                                          if Path("/usr/sbin/ser2net").exists() else None)
    if ser2net is None:
        pytest.skip("ser2net is not installed (apt-get install ser2net; .ci/run does)")
    port = free_port()
    config = tmp_path / "ser2net.yaml"
    # as docs/remote-boards.md, with the twin's pty for /dev/ttyUSB0
    config.write_text(f"connection: &esp8266\n"
                      f"  accepter: telnet(rfc2217),tcp,127.0.0.1,{port}\n"
                      f"  connector: serialdev,{twin.pty_device},115200n81,local\n"
                      f"  options:\n    kickolduser: true\n")
    server = serve([ser2net, "-n", "-d", "-c", str(config), "-P", str(tmp_path / "pid")],
                   port, tmp_path / "ser2net.log")
    try:
        proc, props = run_suite(tmp_path, f"rfc2217://127.0.0.1:{port}", image)
    finally:
        stop(server)
    check_passed_and_flashed(proc, props, twin)


def test_the_suite_through_esp_rfc2217_server(twin, image: Path, tmp_path: Path) -> None:
    port = free_port()
    cfg = tmp_path / "esptool.cfg"
    cfg.write_text("[esptool]\n"
                   "custom_reset_sequence = D0|R1|W0.1|D1|R0|W0.05|D0\n")  # ClassicReset's
    env = dict(os.environ, ESPTOOL_CFGFILE=str(cfg))
    server = serve([sys.executable, "-u", "-m", "esp_rfc2217_server", "-p", str(port),
                    twin.url], port, tmp_path / "server.log", env)
    try:
        proc, props = run_suite(tmp_path, f"rfc2217://127.0.0.1:{port}", image)
    finally:
        stop(server)
    check_passed_and_flashed(proc, props, twin)
    assert "Connected by 127.0.0.1" in (tmp_path / "server.log").read_text()
