"""A bench with the button moved to another pin: verdicts, prompts and the picture name that pin.

The profile is the reference bench with the button on D2 (GPIO4) instead of D5
(GPIO14). Nothing in the code knows D5: the words come from the profile.

On the twin, the reference wiring seen through this profile is a bench whose
W1 sits on D5, one pin off: `wrong-pin`, "Move W1 from D5 to D2". The twin's
own `wrong-pin` fault puts W1 on D2, which is this bench wired right: `ok`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hil.bench import BenchProfile, load_profile
from hil.cli import main
from hil.diagnose.guided import run_guided
from hil.diagnose.logic import Readings, decide, explain
from hil.diagnose.picture import draw
from hil.errors import BenchProfileError
from hil.repl import Repl

from .conftest import TwinOperator
from .test_logic import ONE, RANDOM, ZERO, bench

ROOT = Path(__file__).resolve().parents[2]
PERIOD = 2  # ms between reads on the twin


def moved(tmp_path: Path, probes: bool = True) -> Path:
    """reference.toml with the button on D2, no [faults] lines (the landings are derived)."""
    text = (ROOT / "hil" / "bench" / "reference.toml").read_text()
    text = text.replace('gpio = 14\nlabel = "D5"', 'gpio = 4\nlabel = "D2"')
    lines = [line for line in text.splitlines()
             if not line.startswith(("wrong_pin", "strap_pin"))
             and (probes or not line.startswith(("stimulus", "ground_sense", "rail_sense")))]
    path = tmp_path / ("moved.toml" if probes else "moved-no-probes.toml")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def profile(tmp_path: Path) -> BenchProfile:
    p = load_profile(moved(tmp_path))
    assert (p.button.gpio, p.button.label) == (4, "D2")
    return p


def _no_d5(text: str) -> None:
    assert not re.search(r"\bD5\b", text), text


def test_a_board_type_hil_does_not_know_is_a_clear_error(tmp_path: Path) -> None:
    path = moved(tmp_path)
    path.write_text(path.read_text().replace('chip = "esp8266"', 'chip = "esp32"'))
    with pytest.raises(BenchProfileError, match=r"no hil/chip/esp32\.py"):
        load_profile(path)


def test_the_landings_follow_the_button(profile: BenchProfile) -> None:
    # D2 is the button now: a W1 one pin off lands on D5, the strap is still D3/GPIO0.
    assert profile.wrong_pin is not None and profile.wrong_pin.label == "D5"
    assert profile.strap_pin is not None and profile.strap_pin.gpio == 0


@pytest.mark.parametrize("readings, verdict, words", [
    (bench(stim=ONE, pressed=ONE), "broken-wire-d5", "Replace W1, the jumper from D2 to"),
    (bench(idle=RANDOM), "no-pullup", "Give D2 a pull-up: Pin(4, Pin.IN, Pin.PULL_UP)"),
    (bench(stim=ONE, dropped=("D3",), pressed=ONE), "strap-pin", "boot strap"),
    (bench(p2=ONE, p3=ONE, pressed=ONE), "ambiguous", "bridge the rail halves"),
], ids=["broken-wire-d5", "no-pullup", "strap-pin", "split-rail-pair"])
def test_verdict_words_name_the_profiles_pins(profile: BenchProfile, readings: Readings,
                                              verdict: str, words: str) -> None:
    v = decide(readings, profile)
    assert v.verdict == verdict
    assert words in v.repair
    _no_d5(v.repair + " " + (v.next_step or "") + " " + explain(v))
    assert any(s.action.startswith("D2 ") for s in v.evidence)
    for step in v.evidence:
        _no_d5(step.action)


def test_wrong_pin_is_the_pin_next_to_the_moved_button(profile: BenchProfile) -> None:
    v = decide(bench(stim=ONE, dropped=("D5",), pressed=ONE), profile)
    assert v.verdict == "wrong-pin"
    assert v.repair == "Move W1 from D5 to D2."
    # the same reading on the reference bench is no catalogue fault's: D5 is its button
    assert decide(bench(stim=ONE, dropped=("D5",), pressed=ONE)).verdict == "broken-wire-d5"


def test_the_picture_draws_the_button_on_its_pin(profile: BenchProfile, tmp_path: Path) -> None:
    v = decide(bench(idle=ZERO, d5_w1_pulled=ZERO), profile)
    assert v.verdict == "short-to-gnd"
    svg = draw(v, profile, tmp_path / "moved.svg").read_text()
    assert "D2 input / pull-up" in svg  # the suspect pin, labelled with the profile's name
    assert ">D2<" in svg and ">D5<" in svg  # the button's pin; D5 drawn as where W1 may land
    ref = draw(v, load_profile(None), tmp_path / "ref.svg").read_text()
    assert "D5 input / pull-up" in ref and "D2 input / pull-up" not in ref


# -- on the twin ------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("faults, verdict", [((), "wrong-pin"), (("wrong-pin",), "ok")],
                         ids=["reference-wiring", "w1-on-d2"])
def test_hil_diagnose_auto_with_the_moved_profile(faults, verdict, twins, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    twin = twins.get(*faults)
    svg = tmp_path / "bench.svg"
    code = main(["diagnose", "--port", twin.url, "--bench", str(moved(tmp_path)), "--auto",
                 "--json", "--picture", str(svg), "--period-ms", str(PERIOD)])
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == verdict, out["evidence"]
    assert code == (0 if verdict == "ok" else 1)
    if verdict == "wrong-pin":
        assert out["repair"] == "Move W1 from D5 to D2."
        assert any("dropped: D5" in s["reading"] for s in out["evidence"])
    assert any(s["action"].startswith("D2 ") for s in out["evidence"])
    assert ">D2<" in svg.read_text()  # the picture's button pin is the profile's
    assert twin.state()["shorts"] == []


@pytest.mark.slow
def test_guided_prompts_name_the_moved_button(twins, tmp_path: Path) -> None:
    """No probes: a person does the steps; every prompt names D2, none D5."""
    twin = twins.get("wrong-pin", "split-rail")  # W1 on D2 (this bench's button), rail split
    op = TwinOperator(twin.control_url, button="D2")
    with Repl(twin.url) as repl:
        run = run_guided(repl, load_profile(moved(tmp_path, probes=False)), op,
                         period_ms=PERIOD)
    assert run.verdict.verdict == "split-rail", (op.prompts, run.verdict.evidence)
    assert any("connect a jumper from D2 straight to a GND pin" in p for p in op.prompts), \
        op.prompts
    for prompt in op.prompts:
        _no_d5(prompt)
