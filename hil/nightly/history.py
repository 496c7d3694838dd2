"""The bench's history: one JSON line per nightly run, appended, never rewritten.

A line: ``time`` (ISO 8601, UTC), ``board`` (MAC), ``port``, ``firmware_sha256``,
``firmware_version``, ``exit`` (0/1/3), ``bench_error`` (its kind or null),
``retried`` (why, or null), ``tests`` (test id -> outcome) and ``figures``
(what the suite measured: numbers, ``{"count", "of"}`` flicker counts, tables).
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path


def make_line(record: dict | None, *, exit_code: int, port: str, retried: str | None = None,
              error: str | None = None) -> dict:
    """One history line from the plugin's run record (hil-run.json; None if it has none)."""
    record = record or {}
    facts = record.get("facts") or {}
    bench_error = record.get("bench_error") or {}
    return {
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "board": facts.get("board_mac") if facts.get("board_mac") not in (None, "unknown")
        else None,
        "port": port,
        "firmware_sha256": facts.get("firmware_sha256"),
        "firmware_version": facts.get("firmware_version"),
        "exit": exit_code,
        "bench_error": bench_error.get("kind") or (error and "bench"),
        "retried": retried,
        "tests": {k.rpartition("::")[2]: v for k, v in (record.get("outcomes") or {}).items()},
        "figures": record.get("figures") or {},
    }


def append(path: Path, line: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(line, sort_keys=True) + "\n")


def read(path: Path) -> list[dict]:
    """The nights in order; a line that is not JSON (a torn write) is skipped."""
    nights = []
    for text in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            night = json.loads(text)
        except ValueError:
            continue
        if isinstance(night, dict):
            nights.append(night)
    return nights
