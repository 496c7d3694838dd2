"""Run every benchmark script in this folder, one after the other.

    .venv/bin/python -m bench            # all
    .venv/bin/python -m bench twin       # those whose file name contains "twin"

Each script prints its own numbers and goals; nothing here asserts them, because
the machines this runs on are shared and noisy.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main(argv: list[str]) -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_"))
    if argv:
        scripts = [p for p in scripts if any(a in p.stem for a in argv)]
    worst = 0
    for script in scripts:
        print(f"== {script.stem}", flush=True)
        worst = max(worst, subprocess.call([sys.executable, str(script)]))
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
