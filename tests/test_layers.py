"""The layering rules the architecture states, checked on the imports.

- The twin (hil/sim) is a peer of the board: from hil it imports only itself,
  the shared constants of hil/chip and the bench profile (hil/bench: data, a
  description of the bench's pins), never protocol code.
- hil/chip holds constants only: it imports nothing from hil.
- The suite talks to the bench through ``board`` only, never ``board.session``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def hil_imports(path: Path) -> set[str]:
    """The hil modules a file imports (absolute imports only; the twin uses no others)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "hil"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "hil":
                out.add(node.module)
    return out


TWIN = sorted(p for p in (ROOT / "hil" / "sim").rglob("*.py") if "firmware" not in p.parts)


@pytest.mark.parametrize("path", TWIN, ids=[str(p.relative_to(ROOT)) for p in TWIN])
def test_the_twin_imports_no_harness_protocol_code(path: Path) -> None:
    bad = {m for m in hil_imports(path)
           if not (m == "hil.sim" or m.startswith(("hil.sim.", "hil.chip", "hil.bench")))}
    assert not bad, f"{path.relative_to(ROOT)} imports harness code: {sorted(bad)}"


def test_the_chip_facts_are_constants_only() -> None:
    for path in (ROOT / "hil" / "chip").glob("*.py"):
        assert not hil_imports(path), path


def test_the_suite_never_reaches_into_the_session() -> None:
    for path in (ROOT / "suite").glob("*.py"):
        text = path.read_text()
        assert not re.search(r"\bboard\.session\b", text), \
            f"{path.relative_to(ROOT)}: use what Board offers (app_dir, artifact, reset, ...)"
