"""The bench drawing marks the suspect part; the report and JSON carry the same verdict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hil.bench import load_profile
from hil.diagnose import report
from hil.diagnose.logic import decide
from hil.diagnose.picture import CANDIDATE, SUSPECT, draw

from .test_logic import ROWS


@pytest.mark.parametrize("fault", list(ROWS), ids=list(ROWS))
def test_picture_marks_the_suspect(fault: str, tmp_path: Path) -> None:
    v = decide(ROWS[fault][0])
    svg = draw(v, load_profile(None), tmp_path / "b.svg").read_text()
    assert svg.startswith("<svg") or "<svg" in svg[:500]
    if fault == "ok":
        assert SUSPECT not in svg and CANDIDATE not in svg
    elif v.verdict == "ambiguous":
        assert CANDIDATE in svg
    else:
        assert SUSPECT in svg


def test_text_and_json_say_the_same(tmp_path: Path) -> None:
    v = decide(ROWS["split-rail"][0])
    text = report.to_text(v, tmp_path / "x.svg")
    data = json.loads(report.to_json(v, tmp_path / "x.svg"))
    assert "verdict: ambiguous: one of split-rail, broken-wire-rail-gnd" in text
    assert "next step: bridge the rail halves with a jumper" in text
    assert data["verdict"] == "ambiguous"
    assert data["candidates"] == ["split-rail", "broken-wire-rail-gnd"]
    assert data["next_step"] == "bridge the rail halves with a jumper"
    assert len(data["evidence"]) == len(v.evidence) and data["picture"].endswith("x.svg")
