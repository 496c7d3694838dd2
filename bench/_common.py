"""What every benchmark shares: a result row, the table, a twin in its own process.

A row is one figure: the harness's time against a reference (another tool doing
the same work, or the floor that physics sets), as a ratio with a goal. Raw
times are kept so a reader can check the ratio. Nothing here asserts a goal:
the machines this runs on are shared and noisy (DEVELOPERS.md); the table says
"met" or "missed" and the JSON carries the same.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass
class Row:
    """One figure of the table (and one object of ``python -m bench --json FILE``)."""

    name: str
    ratio: float            # measured / reference (or reference / measured for "higher")
    goal: float             # the bound the ratio is held against
    better: str             # "lower": ratio <= goal is met; "higher": ratio >= goal is met
    times: dict[str, list[float]]  # raw seconds (or MB for memory rows), every run
    note: str = ""          # what the reference is, which floors a figure contains
    unit: str = "s"
    met: bool = field(init=False)

    def __post_init__(self) -> None:
        self.met = self.ratio <= self.goal if self.better == "lower" else self.ratio >= self.goal

    def to_json(self) -> dict:
        return asdict(self)


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def ratio_row(name: str, measured: list[float], reference: list[float], *, goal: float,
              better: str = "lower", labels: tuple[str, str] = ("hil", "reference"),
              note: str = "", unit: str = "s") -> Row:
    """measured/reference of the medians ("lower" is better), or reference/measured ("higher")."""
    m, r = median(measured), median(reference)
    ratio = (m / r if better == "lower" else r / m) if m and r else float("nan")
    return Row(name, round(ratio, 3), goal, better, {labels[0]: measured, labels[1]: reference},
               note=note, unit=unit)


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


# -- the table ---------------------------------------------------------------------------

def _fmt_times(row: Row) -> str:
    parts = []
    for label, xs in row.times.items():
        if not xs:
            continue
        unit = row.unit
        parts.append(f"{label} {median(xs):.3g} {unit}" + (f" (n={len(xs)})" if len(xs) > 1 else ""))
    return "; ".join(parts)


def print_table(rows: list[Row], out=sys.stdout) -> None:
    """One line per figure: name, raw medians, ratio, goal, met."""
    w = max([len(r.name) for r in rows] + [6])
    print(f"{'figure':<{w}}  {'ratio':>7}  {'goal':>8}  {'':6}  raw medians", file=out)
    for r in rows:
        sign = "<=" if r.better == "lower" else ">="
        print(f"{r.name:<{w}}  {r.ratio:7.3g}  {sign}{r.goal:<6g}  {'met' if r.met else 'MISSED':6}"
              f"  {_fmt_times(r)}", file=out)
        if r.note:
            print(f"{'':<{w}}  {'':>7}  {'':>8}  {'':6}  ({r.note})", file=out)


def markdown_table(rows: list[Row]) -> str:
    lines = ["| figure | ratio | goal | met | raw medians |", "|---|---|---|---|---|"]
    for r in rows:
        sign = "≤" if r.better == "lower" else "≥"
        lines.append(f"| {r.name} | {r.ratio:.3g} | {sign} {r.goal:g} | "
                     f"{'yes' if r.met else '**no**'} | {_fmt_times(r)} |")
    return "\n".join(lines)


def write_json(rows: list[Row], path: Path) -> None:
    path.write_text(json.dumps([r.to_json() for r in rows], indent=1) + "\n")


# -- a twin in a process of its own -----------------------------------------------------

@dataclass
class SimProcess:
    """``hil sim`` as a user runs it: its own process, so it shares no GIL with the client."""

    proc: subprocess.Popen
    state: Path
    pty: str
    url: str
    control: str

    @property
    def pids(self) -> list[int]:
        """The twin's host process and its interpreter (the board's firmware)."""
        kids = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        extra = [int(p) for p in kids.read_text().split()] if kids.exists() else []
        return [self.proc.pid, *extra]


@contextlib.contextmanager
def sim(state: Path | None = None, *args: str) -> Iterator[SimProcess]:
    """Start ``hil sim --json`` (a new state dir unless given) and stop it afterwards."""
    with contextlib.ExitStack() as stack:
        if state is None:
            state = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hil-bench-")))
        cmd = [str(BIN / "hil"), "sim", "--json", "--state", str(state), *args]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = proc.stdout.readline() if proc.stdout else ""
            if not line:
                raise RuntimeError(f"hil sim did not start: {proc.stderr.read() if proc.stderr else ''}")
            info = json.loads(line)
            yield SimProcess(proc, state, info["pty"], info["url"], info["control"])
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def run(cmd: list[str], *, timeout: float = 600, check: bool = True,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """A command line as a user types it; its output kept for the error message."""
    p = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout, cwd=REPO,
                       env={**os.environ, **(env or {})})
    if check and p.returncode:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stdout[-2000:]}\n"
                           f"{p.stderr[-2000:]}")
    return p


def tool(name: str) -> str:
    """An executable of this venv (mpremote, rshell, esptool, hil), else from PATH."""
    path = BIN / name
    return str(path) if path.exists() else (shutil.which(name) or name)


def rss_mb(pids: list[int]) -> float:
    """Sum of the resident sets of ``pids`` now (0 for those already gone)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def descendants(pid: int) -> list[int]:
    """``pid`` and every process under it (read from /proc, children files)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{p}/task").iterdir():
                with contextlib.suppress(OSError):
                    todo += [int(c) for c in (task / "children").read_text().split()]
    return out


def standalone(measure: Callable[..., list[Row]], doc: str | None,
               argv: list[str] | None = None) -> int:
    """``python bench/<name>.py [--runs N]``: one module's rows as a table."""
    import argparse

    ap = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=None, help="runs per figure (default: the module's)")
    args = ap.parse_args(argv)
    print_table(measure(runs=args.runs) if args.runs else measure())
    return 0
