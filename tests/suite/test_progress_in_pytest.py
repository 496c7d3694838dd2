"""Flashing and uploading show their progress inside pytest, without ``-s``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_flashing_and_uploading_show_progress_without_dash_s(twin, tmp_path: Path) -> None:
    from hil.sim.image import make_image

    image = tmp_path / "ESP8266_GENERIC-v1.24.1.bin"
    image.write_bytes(make_image("1.24.1"))
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.py").write_text((ROOT / "firmware" / "main.py").read_text() + "\n# changed\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIL_")}

    def run(flash: str, *more: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pytest", "suite", "-p", "no:cacheprovider", *more,
             "--basetemp", str(tmp_path / "base"), f"--port={twin.url}", f"--firmware={image}",
             f"--flash={flash}", f"--app-dir={app}", "-k", "test_firmware_version"],
            cwd=ROOT, capture_output=True, text=True, timeout=300, env=env, check=False)

    result = run("always", "-q")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert f"hil: writing {image.name} to {twin.url}: " in result.stderr, out
    assert f"hil: uploading {app}: " in result.stderr and " bytes in " in result.stderr, out
    # Nothing to write or upload: no progress line claims a transfer, and the
    # test file's results stay on the line that names it.
    again = run("auto")
    out = again.stdout + again.stderr
    assert again.returncode == 0, out
    assert "hil: writing" not in again.stderr and "hil: uploading" not in again.stderr, out
    assert "suite/test_1_firmware.py ." in again.stdout, out
