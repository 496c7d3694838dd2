"""The tutorial's session and mpremote's commands, unchanged CLIs against a running Twin.

rshell goes through the pty (by a `--link` name, as the chapter's `rshell --port`),
mpremote through the RFC2217 URL. The button is pressed through the control endpoint.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow  # starts MicroPython / tool processes

ROOT = Path(__file__).resolve().parents[2]
MAIN_PY = ROOT / "firmware" / "main.py"
BIN = Path(sys.executable).parent
TIMEOUT = 60


def mpremote(url: str, *args: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "mpremote"), "connect", url, *args], check=False, capture_output=True, text=True, timeout=timeout
    )


def rshell(port: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "rshell"), "--port", port, "--nocolor", *args],
        check=False, capture_output=True, text=True, timeout=TIMEOUT,
    )


def post(twin: Any, path: str, body: object) -> None:
    req = urllib.request.Request(twin.control_url + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.status == 200


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from hil.sim.twin import Twin

    d = tmp_path_factory.mktemp("clients")
    twin = Twin(d / "state", link=d / "ttyTWIN")
    twin.start()
    try:
        yield twin
    finally:
        twin.stop()


def test_mpremote_exec_and_eval(board: Any) -> None:
    r = mpremote(board.url, "exec", "import sys; print(sys.platform)", "+", "eval", "1+2")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["esp8266", "3"]


def test_mpremote_fs_cp_ls_cat_sha256sum_rm(board: Any, tmp_path: Path) -> None:
    local = tmp_path / "hello.py"
    local.write_text("print('hello from the twin')\n")
    r = mpremote(board.url, "fs", "cp", str(local), ":hello.py", "+", "fs", "ls", "+", "fs", "cat", ":hello.py",
                 "+", "fs", "sha256sum", ":hello.py")
    assert r.returncode == 0, r.stderr
    assert "hello.py" in r.stdout and "boot.py" in r.stdout
    assert "print('hello from the twin')" in r.stdout
    assert hashlib.sha256(local.read_bytes()).hexdigest() in r.stdout
    r = mpremote(board.url, "run", str(local))
    assert r.returncode == 0 and "hello from the twin" in r.stdout, r.stderr
    r = mpremote(board.url, "fs", "rm", ":hello.py", "+", "fs", "ls")
    assert r.returncode == 0, r.stderr
    listing = r.stdout.split("ls :", 1)[1]  # mpremote echoes "rm :hello.py" first
    assert "hello.py" not in listing and "boot.py" in listing


def test_mpremote_soft_reset_and_resume_keep_state_apart(board: Any) -> None:
    r = mpremote(board.url, "exec", "x = 41", "+", "resume", "eval", "x + 1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["42"]
    r = mpremote(board.url, "soft-reset", "+", "resume", "exec", "print('x' in globals())")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["False"]


def test_mpremote_on_a_board_whose_main_loops_forever_and_the_button(board: Any) -> None:
    r = mpremote(board.url, "fs", "cp", str(MAIN_PY), ":main.py")
    assert r.returncode == 0, r.stderr
    try:
        post(board, "/reset", {"flash": False})  # RST: boot.py, then main.py blinks forever
        code = "from machine import Pin; button = Pin(14, Pin.IN, Pin.PULL_UP); print(button.value())"
        r = mpremote(board.url, "exec", code)
        assert r.returncode == 0 and r.stdout.split() == ["1"], r.stderr
        post(board, "/button", {"pressed": True})
        try:
            r = mpremote(board.url, "resume", "exec", code)
        finally:
            post(board, "/button", {"pressed": False})
        assert r.returncode == 0 and r.stdout.split() == ["0"], r.stderr
    finally:
        r = mpremote(board.url, "fs", "rm", ":main.py")
    assert r.returncode == 0, r.stderr


def test_rshell_tutorial_session(board: Any) -> None:
    link = board.pty  # the --link name: rshell --port as in the chapter
    r = rshell(link, "cp", str(MAIN_PY), "/pyboard")
    assert r.returncode == 0 and "Unable to connect" not in r.stdout + r.stderr, r.stdout + r.stderr
    try:
        r = rshell(link, "ls", "/pyboard")
        assert r.returncode == 0 and "main.py" in r.stdout, r.stdout + r.stderr
    finally:
        r = rshell(link, "rm", "/pyboard/main.py")
    assert r.returncode == 0 and "Unable to connect" not in r.stdout + r.stderr, r.stdout + r.stderr
    r = rshell(link, "ls", "/pyboard")
    assert "boot.py" in r.stdout and "main.py" not in r.stdout, r.stdout + r.stderr


@pytest.mark.slow
def test_esptool_write_flash_then_hard_reset_boots_the_new_version(twin: Any, tmp_path: Path) -> None:
    from hil.sim.image import make_image

    image = tmp_path / "fw.bin"
    image.write_bytes(make_image("1.22.0"))
    r = subprocess.run(
        [sys.executable, "-m", "esptool", "--chip", "esp8266", "--port", twin.url, "write-flash", "0", str(image)],
        check=False, capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    # --after hard-reset pulsed RTS: the new image booted. os.uname().release is the
    # ESP8266 SDK's version; .version carries MicroPython's.
    r = mpremote(twin.url, "exec", "import os; print(os.uname().version)")
    assert r.returncode == 0 and r.stdout.startswith("v1.22.0 on "), r.stdout + r.stderr
    assert twin.state()["firmware"]["version"] == "v1.22.0"


def _until(port: Any, marker: bytes, timeout: float = 15.0) -> bytes:
    deadline = time.monotonic() + timeout
    buf = b""
    while marker not in buf and time.monotonic() < deadline:
        buf += port.read(max(1, port.in_waiting))
    assert marker in buf, f"no {marker!r} within {timeout} s; got {buf[-300:]!r}"
    return buf


@pytest.mark.slow
def test_tutorial_repl_session_over_the_pty(twin: Any, tmp_path: Path) -> None:
    """The chapter's REPL session: import main, the button ends the loop, Ctrl-C, Ctrl-D."""
    import serial

    r = mpremote(twin.url, "fs", "cp", str(MAIN_PY), ":main.py")
    assert r.returncode == 0, r.stderr
    with serial.Serial(twin.pty, 115200, timeout=0.1) as p:
        p.write(b"\r\x03")  # main.py is not running yet (no reset since the copy)
        _until(p, b">>> ")
        start = len(twin.led_history())
        p.write(b"import main\r")
        _until(p, b"import main\r\n")
        leds = twin.led_history
        deadline = time.monotonic() + 10
        while len([e for e in leds()[start:] if e["gpio"] == 2]) < 3:  # the LEDs blink
            assert time.monotonic() < deadline, "the LED on GPIO2 does not blink"
            time.sleep(0.05)  # polling the twin's LED record (no byte to wait for)
        twin.press(True)  # the loop ends at its next check
        try:
            _until(p, b">>> ")
        finally:
            twin.press(False)
        blink = [e for e in leds()[start:] if e["gpio"] in (2, 16)]
        assert {e["gpio"] for e in blink} == {2, 16}
        st = twin.state()
        assert st["leds"] == {"D4": 1, "D0": 1}  # both LEDs off after the loop
        p.write(b"import main\r")  # already imported: nothing runs
        _until(p, b"import main\r\n>>> ")
        p.write(b"main.blink()\r")
        _until(p, b"main.blink()\r\n")
        p.write(b"\x03")
        _until(p, b"KeyboardInterrupt: \r\n>>> ")
        p.write(b"from main import blink\r")
        _until(p, b"from main import blink\r\n>>> ")
        p.write(b"\x04")  # soft reset: boot.py, then main.py blinks again
        _until(p, b"MPY: soft reboot\r\n")
        twin.press(True)
        try:
            out = _until(p, b">>> ")
        finally:
            twin.press(False)
        assert b"MicroPython v1.24.1" in out
