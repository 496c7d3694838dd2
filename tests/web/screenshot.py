"""Take the README's picture of the bench page: `python tests/web/screenshot.py [OUT.png]`.

A twin in a temporary folder runs the tutorial's app; W2 is pulled out, so a
press of the button (in the history strip) does not stop the blinking. The PNG
is reduced to a small palette (with Pillow, if installed) to keep the repository small.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from hil.repl import Repl
from hil.sim.twin import Twin

REPO = Path(__file__).resolve().parents[2]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="hil-shot-") as tmp, Twin(Path(tmp) / "state") as twin:
        with Repl(twin.url) as repl:
            repl.fs_write("/main.py", (REPO / "firmware" / "main.py").read_bytes())
            repl.soft_reset(run_main=True)
        twin.pull_wire("W2")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1240, "height": 860})
            page.goto(twin.control_url + "/")
            time.sleep(3)
            twin.press(True)
            time.sleep(1.5)
            twin.press(False)
            time.sleep(2.2)
            page.screenshot(path=str(out), clip={"x": 0, "y": 0, "width": 1240, "height": 860})
            browser.close()
    try:
        from PIL import Image  # optional: a small palette makes the PNG a fifth of the size
    except ImportError:
        pass
    else:
        img = Image.open(out).convert("RGB").quantize(colors=48, method=Image.Quantize.MEDIANCUT)
        img.save(out, optimize=True)
    print(f"{out}: {out.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "img" / "bench-page.png")
