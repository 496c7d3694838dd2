"""The bench page's HTTP side without a browser: files, layout, the event stream (real HTTP)."""

from __future__ import annotations

import json
import urllib.request
from importlib import resources
from typing import Any

import pytest

from hil.bench import load_profile
from hil.sim.faults import FAULTS

pytestmark = pytest.mark.twin(erased=True)  # the bench side needs no firmware


def fetch(twin: Any, path: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(twin.control_url + path, timeout=10) as r:
        return r.status, dict(r.headers), r.read()


def next_event(stream: Any) -> tuple[str, dict[str, Any]]:
    """Read one server-sent event (skipping comment lines): its name and JSON data."""
    name, data = "message", ""
    while True:
        line = stream.readline()
        if not line:
            raise EOFError("the event stream ended")
        line = line.decode().rstrip("\n")
        if line.startswith(":"):
            continue
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data += line[6:]
        elif line == "" and data:
            return name, json.loads(data)


def test_the_page_and_its_assets_ship_in_the_package(twin: Any) -> None:
    for path, kind in (("/", "text/html"), ("/app.js", "text/javascript"), ("/style.css", "text/css"),
                       ("/favicon.svg", "image/svg+xml")):
        status, headers, body = fetch(twin, path)
        assert status == 200 and headers["Content-Type"].startswith(kind), path
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        name = "index.html" if path == "/" else path[1:]
        assert body == resources.files("hil.sim.web").joinpath(name).read_bytes()
    page = fetch(twin, "/")[2].decode()
    assert "http://" not in page and "https://" not in page  # nothing from elsewhere (no CDN)


def test_bench_layout_is_the_profile_and_the_catalogue(twin: Any) -> None:
    layout = json.loads(fetch(twin, "/bench")[2])
    profile = load_profile()
    assert [(led["label"], led["gpio"], led["active_low"]) for led in layout["leds"]] == [
        (led.label, led.gpio, led.active_low) for led in profile.leds]
    assert layout["button"]["label"] == profile.button.label
    assert {p: v["label"] for p, v in layout["probes"].items()} == {"P1": "D6", "P2": "D7", "P3": "D1"}
    assert list(layout["bench_wires"]) == ["W1", "W2", "W3", "BRIDGE"]
    assert [f["name"] for f in layout["faults"]] == list(FAULTS)


def test_events_push_each_change_and_end_when_the_twin_stops(twin: Any) -> None:
    with urllib.request.urlopen(twin.control_url + "/events", timeout=10) as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        name, first = next_event(stream)
        assert name == "state"
        assert first["button"]["pressed"] is False and "led_history" not in first
        assert {"t", "led_changes", "pins", "boot", "baud", "client"} <= set(first)
        twin.press(True)
        while not next_event(stream)[1]["button"]["pressed"]:
            pass  # the press arrives as its own event, not at the next poll
        twin.pull_wire("W3")
        while next_event(stream)[1]["bench_wires"]["W3"]:
            pass
        twin.stop()
        with pytest.raises(EOFError):
            while True:
                next_event(stream)



def test_package_data_ships_every_page_file() -> None:
    import fnmatch
    from pathlib import Path

    import tomllib

    root = Path(__file__).resolve().parents[2]
    patterns = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["*"]
    for f in (root / "hil" / "sim" / "web").iterdir():
        if f.is_file():
            assert any(fnmatch.fnmatch(f.name, p) for p in patterns), f"{f.name} would not be installed"
