"""The control endpoint over real HTTP (urllib), and the same operations through Twin."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from hil.sim.faults import FAULTS

pytestmark = [pytest.mark.slow, pytest.mark.twin(erased=True)]  # the bench side needs no firmware


def call(twin: Any, method: str, path: str, body: object | None = None) -> tuple[int, Any]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(twin.control_url + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_state_has_every_documented_key(twin: Any) -> None:
    status, st = call(twin, "GET", "/state")
    assert status == 200
    for key in ("pins", "led_history", "faults", "wires", "button", "boot", "firmware", "shorts"):
        assert key in st, key
    assert st["pins"]["D5"]["gpio"] == 14
    assert st["boot"] in ("off", "rom", "stub", "micropython", "boot-loop")


def test_button_press_and_release(twin: Any) -> None:
    assert call(twin, "POST", "/button", {"pressed": True}) == (200, {"pressed": True})
    assert twin.state()["button"]["pressed"] is True
    call(twin, "POST", "/button", {"pressed": False})
    assert twin.state()["button"]["pressed"] is False


def test_wire_connect_and_remove(twin: Any) -> None:
    status, _ = call(twin, "POST", "/wire", {"a": "D5", "b": "GND", "connect": True})
    assert status == 200
    assert call(twin, "GET", "/state")[1]["wires"] == [{"a": "D5", "b": "GND"}]
    call(twin, "POST", "/wire", {"a": "D5", "b": "GND", "connect": False})
    assert twin.state()["wires"] == []


def test_wire_to_unknown_net_is_400_naming_valid_nets(twin: Any) -> None:
    status, body = call(twin, "POST", "/wire", {"a": "D5", "b": "VCC"})
    assert status == 400
    assert "RAIL_FAR" in body["error"]


def test_faults_set_clear_and_unknown(twin: Any) -> None:
    assert call(twin, "POST", "/faults", {"set": ["split-rail", "stuck-led"]}) == (
        200,
        {"faults": ["split-rail", "stuck-led"]},
    )
    assert call(twin, "POST", "/faults", {"clear": ["split-rail"]})[1] == {"faults": ["stuck-led"]}
    status, body = call(twin, "POST", "/faults", {"set": ["bent-pin"]})
    assert status == 400
    assert body["valid"] == list(FAULTS)
    assert "bent-pin" in body["error"]
    assert twin.state()["faults"] == ["stuck-led"]  # nothing changed by the bad request


def test_reset_with_flash_enters_bootloader(twin: Any) -> None:
    before = twin.state()["boot_count"]
    assert call(twin, "POST", "/reset", {"flash": True})[0] == 200
    st = twin.state()
    assert st["boot"] == "rom"
    assert st["boot_count"] == before + 1


def test_errors_are_json(twin: Any) -> None:
    assert call(twin, "GET", "/nope")[0] == 404
    assert call(twin, "GET", "/button")[0] == 405
    status, body = call(twin, "POST", "/button", b"{not json")
    assert status == 400 and "JSON" in body["error"]
    status, body = call(twin, "POST", "/button", {"pressed": "yes"})
    assert status == 400 and "pressed" in body["error"]


def test_hil_sim_cli_prints_addresses_serves_and_stops_on_sigterm(tmp_path: Any) -> None:
    import signal
    import subprocess
    import sys
    from pathlib import Path

    hil = Path(sys.executable).parent / "hil"
    proc = subprocess.Popen(
        [str(hil), "sim", "--json", "--erased", "--state", str(tmp_path / "s"), "--fault", "split-rail"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        info = json.loads(line)
        assert set(info) == {"pty", "url", "control", "page", "interpreter"}
        with urllib.request.urlopen(info["page"], timeout=5) as r:  # the bench page
            assert r.headers["Content-Type"].startswith("text/html")
        assert info["url"].startswith("rfc2217://127.0.0.1:")
        with urllib.request.urlopen(info["control"] + "/state", timeout=5) as r:
            assert json.loads(r.read())["faults"] == ["split-rail"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)


def test_hil_sim_list_faults_and_unknown_fault() -> None:
    import subprocess
    import sys
    from pathlib import Path

    hil = str(Path(sys.executable).parent / "hil")
    r = subprocess.run([hil, "sim", "--list-faults"], check=False, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0
    assert [line.split()[0] for line in r.stdout.splitlines()] == list(FAULTS)
    r = subprocess.run([hil, "sim", "--fault", "bent-pin"], check=False, capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "split-rail" in r.stderr


def test_bench_wire_pull_and_put_back(twin: Any) -> None:
    assert call(twin, "GET", "/state")[1]["bench_wires"] == {"W1": True, "W2": True, "W3": True, "BRIDGE": True}
    assert call(twin, "POST", "/wire", {"wire": "w1", "connect": False}) == (200, {"wire": "W1", "connect": False})
    assert call(twin, "GET", "/state")[1]["bench_wires"]["W1"] is False
    assert twin.state()["wires"] == []  # operator jumpers are listed apart
    call(twin, "POST", "/wire", {"wire": "W1", "connect": True})
    assert twin.state()["bench_wires"]["W1"] is True
    twin.pull_wire("BRIDGE")
    assert call(twin, "GET", "/state")[1]["bench_wires"]["BRIDGE"] is False
    twin.wire("BRIDGE", connect=True)
    assert twin.state()["bench_wires"]["BRIDGE"] is True


def test_bench_wire_unknown_or_mixed_with_a_jumper_is_400(twin: Any) -> None:
    status, body = call(twin, "POST", "/wire", {"wire": "W4", "connect": False})
    assert status == 400
    assert body["valid"] == ["W1", "W2", "W3", "BRIDGE"]
    status, body = call(twin, "POST", "/wire", {"wire": "W1", "a": "D5", "b": "GND"})
    assert status == 400
    assert "either" in body["error"]
