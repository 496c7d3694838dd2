"""`hil flash` and `hil deploy` against a twin, as a person runs them (subprocesses,
the real esptool and REPL over RFC2217)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from hil.repl import Repl
from hil.sim.image import make_image


def hil(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hil.cli", *args], capture_output=True,
                          text=True, timeout=300, check=False)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_hil_flash_writes_a_new_image_and_nothing_on_an_unchanged_board(twin,
                                                                         tmp_path: Path) -> None:
    image = tmp_path / "ESP8266_GENERIC-v1.23.0.bin"
    image.write_bytes(make_image("1.23.0"))
    first = hil("flash", "--port", twin.url, str(image))
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("written: the flash differs"), first.stdout
    assert "board: ESP8266EX, MAC " in first.stdout and "MicroPython v1.23.0" in first.stdout
    # the progress, in one line when nobody watches a terminal
    assert f"writing {image.name}: " in first.stderr and " bytes in " in first.stderr
    with Repl(twin.url) as repl:
        repl.ensure_friendly_idle()
        assert repl.version() == "v1.23.0"
    flash = Path(twin.state_dir) / "flash.bin"
    before = _sha(flash)
    again = hil("flash", "--port", twin.url, str(image))
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"not written: the flash already holds {image.name}")
    assert "writing" not in again.stderr
    assert _sha(flash) == before  # not one byte written


def test_hil_flash_refuses_bad_input_before_touching_the_board(twin, tmp_path: Path) -> None:
    missing = hil("flash", "--port", twin.url, str(tmp_path / "nowhere.bin"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    corrupt = tmp_path / "corrupt.bin"
    corrupt.write_bytes(b"\x00not an image" * 100)
    refused = hil("flash", "--port", twin.url, str(corrupt))
    assert refused.returncode == 3, refused.stderr  # the bench's input is broken
    assert "corrupt.bin" in refused.stderr
    nope = hil("flash", "--port", "/dev/ttyHIL-NOPE", str(tmp_path / "corrupt.bin"))
    assert nope.returncode == 3


def test_hil_deploy_uploads_what_differs_and_restarts_the_app(twin, tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "lib").mkdir(parents=True)
    (app / "lib" / "util.py").write_text("WHO = 'deployed'\n")
    (app / "main.py").write_text("from lib.util import WHO\n"
                                 "with open('ran.txt', 'w') as f:\n"
                                 "    f.write(WHO)\n")
    first = hil("deploy", "--port", twin.url, str(app))
    assert first.returncode == 0, first.stderr
    assert "uploaded: /lib/util.py, /main.py" in first.stdout, first.stdout
    assert f"uploading {app}: " in first.stderr
    with Repl(twin.url) as repl:
        repl.ensure_friendly_idle()
        assert repl.fs_read("/ran.txt") == b"deployed"  # main.py ran after the restart
    again = hil("deploy", "--port", twin.url, str(app))
    assert again.returncode == 0, again.stderr
    assert "uploaded: nothing" in again.stdout and "unchanged: /lib/util.py, /main.py" in again.stdout
    assert "uploading" not in again.stderr, again.stderr  # no progress line claims an upload


def test_hil_deploy_sends_nothing_when_a_file_does_not_compile(twin, tmp_path: Path) -> None:
    app = tmp_path / "broken"
    app.mkdir()
    (app / "main.py").write_text("def oops(:\n    pass\n")
    with Repl(twin.url) as repl:
        repl.ensure_friendly_idle()
        before = repl.fs_sha256("/main.py")
    result = hil("deploy", "--port", twin.url, str(app))
    assert result.returncode == 1, result.stderr  # the app's fault, not the bench's
    assert "main.py:1" in result.stderr and "nothing was uploaded" in result.stderr
    with Repl(twin.url) as repl:
        repl.ensure_friendly_idle()
        assert repl.fs_sha256("/main.py") == before
    assert hil("deploy", "--port", twin.url, str(tmp_path / "none")).returncode == 2


def test_hil_deploy_breaks_in_at_boot_past_a_main_py_without_ctrl_c_and_says_so(
        twin, tmp_path: Path) -> None:
    """Over RFC2217 (reset lines): the board is reset and broken into before main.py.

    The app sets up for 100 ms before it disables Ctrl-C, as the suite's case does
    (tests/suite/test_suite_on_twin.py LOCK_MAIN): the twin delivers received bytes in
    4 ms steps, so a main.py whose first line is kbd_intr(-1) can outrun them there,
    where a board's Ctrl-Cs also land in boot.py."""
    lock = (b"import time\ntime.sleep_ms(100)\nimport micropython\nmicropython.kbd_intr(-1)\n"
            b"while True:\n    time.sleep(0.01)\n")
    with Repl(twin.url) as repl:
        repl.ensure_friendly_idle()
        repl.fs_write("/main.py", lock)
        repl.hard_reset()  # main.py runs: Ctrl-C no longer gets in
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.py").write_text("print('fixed')\n")
    result = hil("deploy", "--port", twin.url, "--no-restart", str(app))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sent Ctrl-C during boot" in result.stdout, result.stdout
    assert "uploaded: /main.py" in result.stdout
