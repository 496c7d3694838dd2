"""A verdict as text for a person, or as JSON for scripts and CI."""

from __future__ import annotations

import json
from pathlib import Path

from hil.diagnose.logic import Verdict


def to_json(verdict: Verdict, picture: Path | None = None, *,
            app_was_running: bool | None = None, mode: str = "auto") -> str:
    """The `--json` document: keys verdict, candidates, repair, next_step, evidence, picture."""
    data = verdict.to_json()
    data["picture"] = str(picture) if picture else None
    data["mode"] = mode
    if app_was_running is not None:
        data["app_restarted"] = app_was_running
    return json.dumps(data, indent=2)


def to_text(verdict: Verdict, picture: Path | None = None) -> str:
    """Verdict, the repair in one sentence, the evidence (step: reading), the picture's path."""
    lines = []
    if verdict.verdict == "ambiguous":
        lines.append(f"verdict: ambiguous: one of {', '.join(verdict.candidates)}")
    else:
        lines.append(f"verdict: {verdict.verdict}")
    if verdict.also:
        lines.append(f"also: {', '.join(verdict.also)}")
    lines.append(f"repair: {verdict.repair}")
    if verdict.next_step:
        lines.append(f"next step: {verdict.next_step}")
    lines.append("evidence:")
    for step in verdict.evidence:
        reading = f": {step.reading}" if step.reading else ""
        lines.append(f"  - [{step.source}] {step.action}{reading}")
    if picture is not None:
        lines.append(f"picture: {picture}")
    return "\n".join(lines)
