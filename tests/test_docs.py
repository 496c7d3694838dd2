"""The documents the code cites are in the repository, and the cited sections exist.

A citation is ``docs/NAME.md`` followed, on the same line, by sections:
``§1.2`` (a numbered heading, ``§7 item 1`` an item of its numbered list) or a
quoted heading, ``"The wiring, named"`` (a heading starting with that text):

    # esptool's SYNC request (loader.py sync(); docs/protocols.md §1.4): 46 bytes.
    # Safety (docs/bench.md "Safety"): the stimulus only as open-drain ...
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUFFIXES = {".py", ".md", ".toml", ".sh", ".yml", ".txt", ""}
CITE = re.compile(r"docs/(\w+)\.md")
SECTION = re.compile(r"§(\d+(?:\.\d+)*)(?:\s+items?\s+(\d+))?")
QUOTED = re.compile(r'"([A-Z][^"]{2,60})"')
HEADING = re.compile(r"^#+\s+(.*?)\s*$")
NUMBERED = re.compile(r"^(\d+(?:\.\d+)*)\.?\s+(.*)$")
# A design note named without its folder: the reader cannot find it.
BARE = re.compile(r"(?<![\w/])(protocols|bench|style)\.md")


@dataclass(frozen=True)
class Doc:
    headings: tuple[str, ...]
    numbers: dict[str, str]  # "1.2" -> the body text of that section

    @classmethod
    def parse(cls, text: str) -> Doc:
        headings: list[str] = []
        numbers: dict[str, str] = {}
        current: str | None = None
        for line in text.splitlines():
            m = HEADING.match(line)
            if m:
                headings.append(m.group(1))
                n = NUMBERED.match(m.group(1))
                current = n.group(1) if n else None
                if current is not None:
                    numbers[current] = ""
            elif current is not None:
                numbers[current] += line + "\n"
        return cls(tuple(headings), numbers)

    def has_number(self, number: str, item: str | None) -> bool:
        if number not in self.numbers:
            return False
        if item is None:
            return True
        return re.search(rf"^{item}\. ", self.numbers[number], re.M) is not None

    def has_heading(self, text: str) -> bool:
        return any(_bare(h).startswith(text) for h in self.headings)


def _bare(heading: str) -> str:
    n = NUMBERED.match(heading)
    return n.group(2) if n else heading


def problems_in(text: str, where: str, docs: dict[str, Doc]) -> list[str]:
    """The broken citations of one file's text."""
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        for m in CITE.finditer(line):
            name = m.group(1)
            doc = docs.get(name)
            if doc is None:
                out.append(f"{where}:{lineno}: docs/{name}.md does not exist")
                continue
            rest = line[m.end():]
            nxt = CITE.search(rest)
            rest = rest[:nxt.start()] if nxt else rest
            for s in SECTION.finditer(rest):
                if not doc.has_number(s.group(1), s.group(2)):
                    out.append(f"{where}:{lineno}: docs/{name}.md has no {s.group(0)}")
            for q in QUOTED.finditer(rest):
                if not doc.has_heading(q.group(1)):
                    out.append(f'{where}:{lineno}: docs/{name}.md has no section "{q.group(1)}"')
        for b in BARE.finditer(line):
            if not line[:b.start()].endswith("docs/"):
                out.append(f"{where}:{lineno}: cite docs/{b.group(0)}, not {b.group(0)}")
        if "shared/reference" in line:
            out.append(f"{where}:{lineno}: shared/reference is outside the repository; "
                       f"cite docs/")
    return out


def _docs() -> dict[str, Doc]:
    return {p.stem: Doc.parse(p.read_text()) for p in (ROOT / "docs").glob("*.md")}


def _tracked() -> list[Path]:
    try:
        listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                                cwd=ROOT, capture_output=True, text=True, check=True).stdout
        files = [ROOT / f for f in listed.splitlines()]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout
        files = [p for p in ROOT.rglob("*") if ".venv" not in p.parts]
    return [p for p in files if p.is_file() and p.suffix in SUFFIXES
            and p.name != "test_docs.py"]


def test_every_cited_section_exists() -> None:
    docs = _docs()
    problems = []
    for path in _tracked():
        try:
            text = path.read_text()
        except (UnicodeDecodeError, OSError):
            continue
        problems += problems_in(text, str(path.relative_to(ROOT)), docs)
    assert not problems, "broken citations:\n" + "\n".join(problems)


@pytest.mark.parametrize("line, broken", [
    ("# (docs/protocols.md §1.4): 46 bytes", False),
    ("# (docs/protocols.md §1.2, §1.4, §9.9)", True),
    ('# docs/bench.md "The wiring, named", "Probes"', False),
    ('# docs/bench.md "The kitchen sink"', True),
    ("# docs/protocols.md §7 item 1", False),
    ("# docs/protocols.md §7 item 42", True),
    ("# docs/nowhere.md §1", True),
    ("# as protocols.md 3.2 says", True),
    ("# see shared/reference/bench.md", True),
], ids=["number", "one-missing", "quoted", "quoted-missing", "item", "item-missing",
        "no-such-doc", "bare-name", "outside-repo"])
def test_the_check_catches_broken_citations(line: str, broken: bool) -> None:
    assert bool(problems_in(line, "x.py", _docs())) is broken
