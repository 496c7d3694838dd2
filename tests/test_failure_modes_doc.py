"""docs/failure-modes.md: every test a row names exists (so every row is covered)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "failure-modes.md"
# `dir/test_file.py::test_name[ids]` or `::test_name` (same file as the one before)
REF = re.compile(r"`(?:([\w/]+\.py))?::(test_\w+)(?:\[[^\]]*\])?`")


def test_every_row_names_tests_that_exist() -> None:
    rows = [line for line in DOC.read_text().splitlines()
            if line.startswith("| ") and "`" in line and not line.startswith("| input")]
    assert len(rows) >= 20
    for row in rows:
        refs = REF.findall(row)
        assert refs, f"a row without a test: {row}"
        current = None
        for path, name in refs:
            current = path or current
            assert current, row
            source = (ROOT / "tests" / current).read_text()
            assert f"def {name}(" in source, f"{current}::{name} (named in {DOC.name}) is missing"
