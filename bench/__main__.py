"""Run every benchmark script in this folder, one after the other.

    .venv/bin/python -m bench            # all
    .venv/bin/python -m bench twin       # those whose file name contains "twin"
    .venv/bin/python -m bench soak --runs 100   # options (from the first "-") go to the scripts

Long runs (ON_REQUEST: the soak) run only when named.

Each script prints its own numbers and goals; nothing here asserts them, because
the machines this runs on are shared and noisy.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
ON_REQUEST = {"soak"}  # minutes per run: only when asked for by name


def main(argv: list[str]) -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_"))
    dash = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
    names, options = argv[:dash], argv[dash:]
    if names:
        scripts = [p for p in scripts if any(a in p.stem for a in names)]
    else:
        scripts = [p for p in scripts if p.stem not in ON_REQUEST]
    worst = 0
    for script in scripts:
        print(f"== {script.stem}", flush=True)
        worst = max(worst, subprocess.call([sys.executable, str(script), *options]))
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
