"""`intermittent:RATE`: a worn contact that bounces closed in RATE of the released reads."""

from __future__ import annotations

import pytest
from twin_http import control

from hil.sim.breadboard import Breadboard
from hil.sim.errors import SimUsageError

D5 = 14


def _released_zeros(bb: Breadboard, reads: int) -> int:
    bb.configure(D5, "in", True, None)
    return sum(1 for _ in range(reads) if bb.read(D5) == 0)


def test_rate_bounces_released_reads_to_zero() -> None:
    bb = Breadboard(["intermittent:0.05"], seed=1)
    zeros = _released_zeros(bb, 4000)
    assert 100 < zeros < 320, zeros  # 5% of 4000 = 200; far from 0 and from 50%
    bb.press(True)
    assert {bb.read(D5) for _ in range(200)} == {0}  # pressed, the contact conducts
    assert bb.faults == ["intermittent:0.05"]


def test_plain_name_keeps_released_reads_clean() -> None:
    bb = Breadboard(["intermittent"], seed=1)
    assert _released_zeros(bb, 500) == 0


def test_rate_replaced_and_cleared_by_name() -> None:
    bb = Breadboard(["intermittent:0.5"], seed=2)
    assert bb.set_faults(["intermittent:0"]) == ["intermittent:0"]
    assert _released_zeros(bb, 300) == 0
    assert bb.set_faults(clear=["intermittent"]) == []


@pytest.mark.parametrize("spec", ["intermittent:2", "intermittent:x", "split-rail:0.1"])
def test_bad_values_are_usage_errors(spec: str) -> None:
    with pytest.raises(SimUsageError, match="intermittent"):
        Breadboard([spec])


def test_rate_through_post_faults(twin) -> None:
    def post(body: dict) -> tuple[int, dict]:
        return control(twin, "POST", "/faults", body)

    assert post({"set": ["intermittent:0.02"]}) == (200, {"faults": ["intermittent:0.02"]})
    assert twin.state()["faults"] == ["intermittent:0.02"]
    code, body = post({"set": ["intermittent:7"]})
    assert code == 400 and "rate" in body["error"]
