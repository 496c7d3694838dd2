"""The bench page in a real headless Chromium against a running twin (real MicroPython, real HTTP).

Every action goes through the drawn bench or the page's controls, and every
check reads what a person (the DOM) or a script (`GET /state`, `hil diagnose`)
would see.
"""

from __future__ import annotations

import itertools
import json
import statistics
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from hil.cli import main

from .conftest import BenchPage, run_blink_app, wait_until

pytestmark = [pytest.mark.twin, pytest.mark.slow, pytest.mark.timeout(180)]

BOTH_DARK = ("document.getElementById('led-D4').dataset.lit === 'false' && "
             "document.getElementById('led-D0').dataset.lit === 'false'")


# Where the middle of a drawn wire is on the screen (a sagging wire's box centre is off it).
MIDDLE_OF = """(sel) => {
  const path = document.querySelector(sel);
  const p = path.getPointAtLength(path.getTotalLength() / 2).matrixTransform(path.getScreenCTM());
  return [p.x, p.y];
}"""


def get_state(twin: Any) -> dict[str, Any]:
    with urllib.request.urlopen(twin.control_url + "/state", timeout=10) as r:
        return json.loads(r.read())


def lit_js(lit: str, dark: str) -> str:
    return (f"document.getElementById('led-{lit}').dataset.lit === 'true' && "
            f"document.getElementById('led-{dark}').dataset.lit === 'false'")


def test_page_draws_the_bench_of_the_profile(bench_page: BenchPage) -> None:
    page = bench_page.page
    assert page.title() == "hil: virtual bench"
    for part in ("#led-D4", "#led-D0", "#button", "#wire-W1", "#wire-W2", "#wire-W3",
                 "#wire-BRIDGE", "#solenoid", "#rst-key", "#flash-key", "#pin-D5"):
        assert page.locator(part).is_visible(), part
    svg_text = page.text_content("#bench") or ""
    for probe in ("P1 D6", "P2 D7", "P3 D1", "GND rail, far half", "GND rail, near half"):
        assert probe in svg_text
    bench_page.wait("document.getElementById('boot').dataset.state === 'micropython'")
    assert "MicroPython v" in page.inner_text("#firmware")
    assert "115200 baud" in page.inner_text("#uart")
    assert page.inner_text("#pinrow-D5").split()[:3] == ["D5", "14", "in"]
    assert page.locator("#faults input[type=checkbox]").count() == 12


def test_leds_alternate_as_the_app_blinks(twin: Any, bench_page: BenchPage) -> None:
    run_blink_app(twin)
    for lit, dark in (("D4", "D0"), ("D0", "D4"), ("D4", "D0"), ("D0", "D4")):
        bench_page.wait(lit_js(lit, dark))
    # The page got every change where it happened (pushed, not sampled): its record of
    # D4 is the twin's own, change for change, and the half cycles are the app's 0.5 s.
    seen = bench_page.page.evaluate("bench.history['LED D4']")
    twin_d4 = [(e["t"], e["level"]) for e in twin.led_history() if e["label"] == "D4"]
    recent = [tuple(c) for c in seen if c[0] >= seen[-4][0]]
    assert all(c in twin_d4 for c in recent), (recent, twin_d4[-6:])
    halves = [b[0] - a[0] for a, b in itertools.pairwise(seen[1:])]
    assert halves and statistics.median(halves) < 1.0, halves


def test_holding_the_drawn_button_stops_the_app(twin: Any, bench_page: BenchPage) -> None:
    run_blink_app(twin)
    bench_page.wait(lit_js("D4", "D0"))
    box = bench_page.page.locator("#button .cap").bounding_box()
    bench_page.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    bench_page.page.mouse.down()
    try:
        wait_until(lambda: get_state(twin)["button"]["pressed"], what="the press to reach the twin")
        # The app reads the button once per half cycle: hold until it has stopped blinking.
        last = [len(twin.led_history()), time.monotonic()]

        def quiet() -> bool:
            n = len(twin.led_history())
            if n != last[0]:
                last[:] = [n, time.monotonic()]
            return time.monotonic() - last[1] > 1.5

        wait_until(quiet, what="the LEDs to stop changing while the button is held")
    finally:
        bench_page.page.mouse.up()
    wait_until(lambda: not get_state(twin)["button"]["pressed"], what="the release to reach the twin")
    bench_page.wait(BOTH_DARK)
    before = len(twin.led_history())
    bench_page.page.wait_for_timeout(1500)  # released: a running app would blink again now
    assert len(twin.led_history()) == before, "the app still runs after the press"
    assert not bench_page.led_lit("D4") and not bench_page.led_lit("D0")
    pins = get_state(twin)["pins"]
    assert (pins["D4"]["level"], pins["D0"]["level"]) == (1, 1)  # active-low: high is dark


def test_the_button_holds_from_the_keyboard_too(twin: Any, bench_page: BenchPage) -> None:
    bench_page.page.focus("#button")
    bench_page.page.keyboard.down("Space")
    wait_until(lambda: get_state(twin)["button"]["pressed"], what="Space to press the button")
    bench_page.wait("document.getElementById('button').classList.contains('pressed')")
    bench_page.page.keyboard.up("Space")
    wait_until(lambda: not get_state(twin)["button"]["pressed"], what="the release")


def test_pulling_w3_on_the_page_then_diagnose_names_the_rail(
        twin: Any, bench_page: BenchPage, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bench_page.page.click("#wire-W3 .wire-hit")
    wait_until(lambda: get_state(twin)["bench_wires"]["W3"] is False, what="W3 to come out")
    bench_page.wait("document.getElementById('wire-W3').dataset.in === 'false'")
    code = main(["diagnose", "--port", twin.url, "--auto", "--json",
                 "--picture", str(tmp_path / "bench.svg"), "--period-ms", "2"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    named = [out["verdict"]] if out["verdict"] != "ambiguous" else out["candidates"]
    assert named and all("rail" in n for n in named), out
    bench_page.page.click("#wire-button-W3")  # put it back from the side panel
    wait_until(lambda: get_state(twin)["bench_wires"]["W3"] is True, what="W3 to go back")


def test_setting_split_rail_on_the_page_shows_in_get_state(twin: Any, bench_page: BenchPage) -> None:
    bench_page.page.check("#fault-split-rail")
    wait_until(lambda: get_state(twin)["faults"] == ["split-rail"], what="split-rail in GET /state")
    bench_page.wait("document.getElementById('fault-row-split-rail').classList.contains('on')")
    bench_page.page.uncheck("#fault-split-rail")
    wait_until(lambda: get_state(twin)["faults"] == [], what="split-rail to clear")


def test_a_rated_fault_from_the_page(twin: Any, bench_page: BenchPage) -> None:
    bench_page.page.fill("#fault-rate-intermittent", "0.05")
    bench_page.page.check("#fault-intermittent")
    wait_until(lambda: get_state(twin)["faults"] == ["intermittent:0.05"], what="the rated fault")
    bench_page.page.uncheck("#fault-intermittent")
    wait_until(lambda: get_state(twin)["faults"] == [], what="the rated fault to clear")


def test_operator_jumper_from_the_page(twin: Any, bench_page: BenchPage) -> None:
    page = bench_page.page
    page.select_option("#jumper-a", "D5")
    page.select_option("#jumper-b", "GND")
    page.click("#jumper-connect")
    wait_until(lambda: get_state(twin)["wires"] == [{"a": "D5", "b": "GND"}], what="the jumper")
    bench_page.wait("document.getElementById('jumper-D5-GND') !== null")
    bench_page.wait("document.querySelector('#pinrow-D5 td:last-child').textContent === '0'")
    x, y = page.evaluate(MIDDLE_OF, "#jumper-D5-GND .jumper")  # a click on the drawn jumper
    page.mouse.click(x, y)
    wait_until(lambda: get_state(twin)["wires"] == [], what="the jumper to go")


def test_rst_and_flash_keys(twin: Any, bench_page: BenchPage) -> None:
    bench_page.wait("document.getElementById('boot').dataset.state === 'micropython'")
    boots = get_state(twin)["boot_count"]
    bench_page.page.click("#flash-key")
    bench_page.page.click("#rst-key")
    wait_until(lambda: get_state(twin)["boot"] == "rom", what="FLASH + RST to enter the ROM")
    bench_page.wait("document.getElementById('boot').dataset.state === 'rom'")
    assert get_state(twin)["boot_count"] == boots + 1
    bench_page.page.click("#rst")  # RST alone: MicroPython boots again
    bench_page.wait("document.getElementById('boot').dataset.state === 'micropython'")


def test_replays_a_report_vcd(twin: Any, bench_page: BenchPage, tmp_path: Path) -> None:
    from hil.waveform import Trace, write_vcd

    # What the LED test writes: D4 low (lit) / D0 high, then swapped, every 500 ms.
    changes = tuple((t, 0b110 if (t // 500) % 2 == 0 else 0b101) for t in range(0, 4000, 500))
    vcd = write_vcd(Trace(("D4/GPIO2", "D0/GPIO16", "D5/GPIO14"), changes, 4000), tmp_path / "led.vcd")
    page = bench_page.page
    page.set_input_files("#vcd-file", str(vcd))
    bench_page.wait("!document.getElementById('replay-bar').hidden")
    page.select_option("#replay-speed", "0.5")  # slower, so a loaded machine sees every phase
    page.click("#replay-restart")
    assert "led.vcd" in page.inner_text("#replay-source")
    for lit, dark in (("D4", "D0"), ("D0", "D4"), ("D4", "D0")):
        bench_page.wait(lit_js(lit, dark))
    channels = page.evaluate("Object.keys(bench.replay.channels)")
    assert channels == ["LED D4", "LED D0", "D5 (button pin)"]
    page.click("#replay-stop")
    bench_page.wait("document.getElementById('replay-bar').hidden")


def test_replays_the_twins_led_history(twin: Any, bench_page: BenchPage) -> None:
    run_blink_app(twin)
    wait_until(lambda: len(twin.led_history()) >= 6, what="a few blinks")
    bench_page.page.click("#replay-twin")
    bench_page.wait("bench.replay !== null")
    assert "LED history" in bench_page.page.inner_text("#replay-source")
    for lit, dark in (("D4", "D0"), ("D0", "D4")):
        bench_page.wait(lit_js(lit, dark))


def test_a_bad_vcd_is_said_on_the_page_not_thrown(twin: Any, bench_page: BenchPage, tmp_path: Path) -> None:
    bad = tmp_path / "notes.vcd"
    bad.write_text("this is not a VCD\n")
    bench_page.page.set_input_files("#vcd-file", str(bad))
    bench_page.wait("!document.getElementById('error').hidden")
    assert "notes.vcd" in bench_page.page.inner_text("#error")


# A VCD as other tools write it: timescale in one token, a scope, $dumpvars, x values,
# a vector, and signal names that give the GPIO only.
FOREIGN_VCD = """$date today $end
$timescale 10us $end
$scope module logic $end
$var wire 1 # GPIO2 $end
$var wire 1 % GPIO16 $end
$var wire 4 & bus [3:0] $end
$upscope $end
$enddefinitions $end
$dumpvars
x#
1%
b0000 &
$end
#0
0#
#50000
1#
0%
b0101 &
#100000
0#
1%
#150000
"""


def test_a_vcd_dropped_on_the_page_replays(twin: Any, bench_page: BenchPage) -> None:
    page = bench_page.page
    page.evaluate("""(text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], "logic.vcd", { type: "text/plain" }));
      document.body.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true }));
    }""", FOREIGN_VCD)
    bench_page.wait("bench.replay !== null")
    assert page.evaluate("Object.keys(bench.replay.channels)") == ["LED D4", "LED D0", "bus"]
    assert page.evaluate("bench.replay.end") == pytest.approx(1.5)  # 150000 x 10 us
    d4 = page.evaluate("bench.replay.channels['LED D4']")
    assert [v for _, v in d4] == [None, 0, 1, 0]  # x, then the levels
    assert [t for t, _ in d4] == pytest.approx([0, 0, 0.5, 1.0])
    for lit, dark in (("D4", "D0"), ("D0", "D4"), ("D4", "D0")):
        bench_page.wait(lit_js(lit, dark))


@pytest.mark.twin(erased=True)
def test_an_erased_board_shows_its_boot_loop(twin: Any, bench_page: BenchPage) -> None:
    bench_page.wait("document.getElementById('boot').dataset.state === 'boot-loop'")
    reason = get_state(twin)["boot_failure"]["reason"]
    assert reason in bench_page.page.inner_text("#firmware")


TOKEN = "page-test-token"


@pytest.mark.twin(control_token=TOKEN)
def test_with_a_token_the_page_passes_it_and_hides_it(twin: Any, browser: Any) -> None:
    import urllib.error

    for path in ("/bench", "/events", "/state"):  # without the token: nothing about the bench
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(twin.control_url + path, timeout=10)
        assert e.value.code == 401, path
    bp = BenchPage(browser, twin)
    try:
        bp.open(f"?token={TOKEN}")
        assert "token" not in bp.page.url  # taken out of the address bar
        bp.page.check("#fault-split-rail")  # a POST: the token goes as a bearer header
        wait_until(lambda: twin.state()["faults"] == ["split-rail"], what="the fault set with the token")
        bp.page.reload()  # the tab keeps the token
        bp.page.wait_for_function("() => window.bench && window.bench.connected")
        assert bp.errors == []
    finally:
        bp.close()
