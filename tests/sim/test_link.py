"""Link faults (hil/sim/link.py) seen by real clients: pyserial on the pty and the URL, mpremote.

garble / drop hit bytes on the wire; unplug makes the ports vanish and come back
(the board unpowered meanwhile); brownout resets the chip at random moments.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import serial
from twin_http import control

from hil.sim.errors import SimUsageError
from hil.sim.link import KINDS, LinkFaults, UnknownLinkFaultError, parse_spec

pytestmark = pytest.mark.slow  # starts twins

BIN = Path(sys.executable).parent


def read_until(port: serial.Serial, marker: bytes, timeout: float = 10.0) -> bytes:
    deadline = time.monotonic() + timeout
    buf = b""
    while marker not in buf and time.monotonic() < deadline:
        buf += port.read(max(1, port.in_waiting))
    return buf


def ask(port: serial.Serial, code: bytes, marker: bytes, timeout: float = 10.0, tries: int = 3) -> bytes:
    """`code` at the friendly prompt; what came back until `marker` or the deadline.

    Ctrl-C ends paste mode or running code, Ctrl-B leaves the raw REPL: garbage on the
    line (garble) may have put the REPL into either, as on a board.
    """
    got = b""
    for _ in range(tries):
        port.reset_input_buffer()
        port.write(b"\x03\x02\r\x03")
        read_until(port, b">>> ", timeout=2.0)
        port.reset_input_buffer()
        port.write(code + b"\r")
        got = read_until(port, marker, timeout / tries)
        if marker in got:
            break
    return got


def wait_for(pred: Any, timeout: float = 20.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return bool(pred())


def wait_booted(twin: Any, timeout: float = 20.0) -> None:
    assert wait_for(lambda: twin.state()["boot"] == "micropython", timeout), twin.state()["boot"]


# -- the spec language ------------------------------------------------------------------


def test_specs_parse_and_bad_ones_say_what_is_valid() -> None:
    assert parse_spec("garble:1e-4").rate == 1e-4
    assert parse_spec(" Unplug:30 ").kind == "unplug"
    with pytest.raises(UnknownLinkFaultError) as e:
        parse_spec("noise:0.1")
    assert all(k in str(e.value) for k in KINDS)
    for bad in ("garble", "garble:2", "drop:-1", "unplug:0", "brownout:x", "garble:nan"):
        with pytest.raises(SimUsageError):
            parse_spec(bad)


def test_per_byte_rates_are_what_they_say() -> None:
    # 1e-2 per byte over 200 kB: about 2000 hits each (binomial sd ~45), so 1600..2400 cannot
    # fail by chance, and a rate applied per chunk instead of per byte would be far off.
    lf = LinkFaults(["garble:1e-2", "drop:1e-2"], seed=1)
    data = bytes(range(256)) * 800
    out = b"".join(lf.corrupt(data[i : i + 46], "rx") for i in range(0, len(data), 46))
    assert 1600 <= lf.counts["dropped"] <= 2400
    assert 1600 <= lf.counts["garbled"] <= 2400
    assert len(out) == len(data) - lf.counts["dropped"]


# -- garble / drop through real clients ----------------------------------------------------


def test_garble_corrupts_both_directions_and_clearing_heals(twin: Any) -> None:
    wait_booted(twin)
    with serial.Serial(twin.pty, 115200, timeout=0.2) as p:
        assert b"42" in ask(p, b"print(6*7)", b"42")
        twin.set_link_faults(["garble:1"])
        got = ask(p, b"print(6*7)", b"42", timeout=2.0, tries=1)
        assert b"42" not in got and b">>> " not in got  # every byte has one bit flipped
        link = twin.state()["link"]
        assert link["faults"] == ["garble:1"] and link["garbled"] > 0
        twin.set_link_faults(clear=["garble"])
        assert b"42" in ask(p, b"print(6*7)", b"42")


def test_drop_loses_bytes_over_rfc2217(twin: Any) -> None:
    wait_booted(twin)
    with serial.serial_for_url(twin.url, baudrate=115200, timeout=0.2) as p:
        assert b"42" in ask(p, b"print(6*7)", b"42")
        twin.set_link_faults(["drop:1"])
        assert ask(p, b"print(6*7)", b"42", timeout=1.5, tries=1) == b""  # nothing gets through
        twin.set_link_faults(["drop:0.3"], clear=["drop"])  # set wins over clear of the same kind
        assert twin.state()["link"]["faults"] == ["drop:0.3"]
        twin.set_link_faults(clear=["drop:0.3"])  # a rate in `clear` is ignored
        assert b"42" in ask(p, b"print(6*7)", b"42")
        assert twin.state()["link"]["dropped"] > 0


# -- unplug -----------------------------------------------------------------------------------


@pytest.fixture
def long_unplug(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cable stays out 5 s, so a loaded machine still sees it out when it looks."""
    import hil.sim.link

    monkeypatch.setattr(hil.sim.link, "UNPLUG_SECONDS", 5.0)


def test_unplug_pty_vanishes_and_comes_back(tmp_path: Path, long_unplug: None) -> None:
    from hil.sim.twin import Twin

    link = tmp_path / "ttyESP"
    with Twin(tmp_path / "state", link=link) as twin:
        wait_booted(twin)
        device = twin.pty_device
        boots = twin.state()["boot_count"]
        with serial.Serial(str(link), 115200, timeout=0.2) as p:
            assert b"42" in ask(p, b"print(6*7)", b"42")
            twin.set_link_faults(["unplug:0.5"])
            with pytest.raises(serial.SerialException):
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    p.read(100)
        st = twin.state()
        assert st["link"]["plugged"] is False and st["link"]["unplugs"] == 1
        assert st["boot"] == "off"  # USB-powered: no cable, no power
        assert not link.exists() and not os.path.exists(device)
        assert wait_for(lambda: twin.state()["link"]["plugged"], 10)
        twin.set_link_faults(clear=["unplug"])
        assert link.exists()
        wait_booted(twin)
        assert twin.state()["boots"][-1]["cause"] == 1  # plugged back: a power-on boot
        assert twin.state()["boot_count"] > boots
        with serial.Serial(str(link), 115200, timeout=0.2) as p:
            assert b"42" in ask(p, b"print(6*7)", b"42")


def test_unplug_rfc2217_drops_the_client_refuses_then_answers_mpremote(twin: Any, long_unplug: None) -> None:
    wait_booted(twin)
    mp = subprocess.Popen(
        [str(BIN / "mpremote"), "connect", twin.url, "exec", "import time; time.sleep(30)"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert wait_for(lambda: twin.state()["client"]["rfc2217"], 20)
        twin.set_link_faults(["unplug:0.2"])
        out, _ = mp.communicate(timeout=25)
    finally:
        if mp.poll() is None:
            mp.kill()
            mp.wait()
    assert mp.returncode != 0, out  # mpremote noticed the port went away
    assert twin.state()["link"]["plugged"] is False
    with pytest.raises(serial.SerialException):
        serial.serial_for_url(twin.url, baudrate=115200, timeout=0.2)
    twin.set_link_faults(clear=["unplug"])
    assert wait_for(lambda: twin.state()["link"]["plugged"], 10)
    wait_booted(twin)
    r = subprocess.run(
        [str(BIN / "mpremote"), "connect", twin.url, "eval", "6*7"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert r.returncode == 0 and "42" in r.stdout, r.stdout + r.stderr


# -- brownout -----------------------------------------------------------------------------------


def test_brownout_resets_the_chip_at_random_and_stops_when_cleared(twin: Any) -> None:
    wait_booted(twin)
    with serial.Serial(twin.pty, 115200, timeout=0.2) as p:
        assert b"42" in ask(p, b"print(6*7)", b"42")  # first boot done: the filesystem exists
    before = twin.state()["boot_count"]
    twin.set_link_faults(["brownout:10"])
    assert wait_for(lambda: twin.state()["link"]["brownouts"] >= 3, 20)
    twin.set_link_faults(clear=["brownout"])  # returns once no brownout can come any more
    st = twin.state()
    assert st["boot_count"] >= before + 3
    assert {b["cause"] for b in st["boots"][-3:]} == {1}
    wait_booted(twin)
    count = twin.state()["boot_count"]
    time.sleep(1.0)
    assert twin.state()["boot_count"] == count
    with serial.Serial(twin.pty, 115200, timeout=0.2) as p:
        assert b"42" in ask(p, b"print(6*7)", b"42")


# -- control endpoint and CLI ---------------------------------------------------------------------


@pytest.mark.twin(erased=True)
def test_post_link_sets_clears_and_refuses_unknown_kinds(twin: Any) -> None:
    status, body = control(twin, "POST", "/link", {"set": ["garble:1e-4", "drop:1e-4"]})
    assert status == 200 and body["link"]["faults"] == ["garble:0.0001", "drop:0.0001"]
    assert control(twin, "GET", "/state")[1]["link"]["faults"] == ["garble:0.0001", "drop:0.0001"]
    status, body = control(twin, "POST", "/link", {"clear": ["garble"]})
    assert status == 200 and body["link"]["faults"] == ["drop:0.0001"]
    status, body = control(twin, "POST", "/link", {"set": ["static:0.1"]})
    assert status == 400 and body["valid"] == list(KINDS) and "static" in body["error"]
    status, body = control(twin, "POST", "/link", {"set": ["garble:5"]})
    assert status == 400 and "0..1" in body["error"]
    status, body = control(twin, "POST", "/link", {"set": "garble:0.1"})
    assert status == 400
    assert twin.state()["link"]["faults"] == ["drop:0.0001"]  # bad requests changed nothing


def test_hil_sim_link_fault_option(tmp_path: Path) -> None:
    hil = str(BIN / "hil")
    r = subprocess.run([hil, "sim", "--state", str(tmp_path / "s0"), "--link-fault", "hum:1"],
                       capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 2 and "garble" in r.stderr and "hum" in r.stderr
    proc = subprocess.Popen(
        [hil, "sim", "--state", str(tmp_path / "s1"), "--erased", "--json",
         "--link-fault", "garble:1e-3", "--link-fault", "brownout:0.01"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        info = json.loads(line)
        with urllib.request.urlopen(info["control"] + "/state", timeout=10) as resp:
            st = json.loads(resp.read())
        assert st["link"]["faults"] == ["garble:0.001", "brownout:0.01"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
