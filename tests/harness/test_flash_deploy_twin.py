"""flash_firmware and deploy_app against the twin (real esptool API, real pty / RFC2217)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from hil.deploy import deploy_app
from hil.errors import CompileError, ImageError
from hil.flash import flash_firmware, read_mac
from hil.repl import Repl

pytestmark = [pytest.mark.twin, pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parents[2]


def twin_image(tmp_path: Path, version: str) -> Path:
    from hil.sim.image import make_image  # the twin's image maker (tests may use the twin)

    p = tmp_path / f"ESP8266_GENERIC-{version}.bin"
    p.write_bytes(make_image(version))
    return p


def flash_file(twin) -> Path:
    return Path(twin.state_dir) / "flash.bin"


def test_flash_auto_always_never(fresh_twin, tmp_path: Path) -> None:
    img = twin_image(tmp_path, "v1.22.0")
    seen: list[tuple[int, int]] = []
    first = flash_firmware(fresh_twin.pty, img, progress=lambda done, total: seen.append((done, total)))
    assert first.written and first.chip.startswith("ESP8266") and first.image.version == "v1.22.0"
    assert seen and seen[-1][0] == seen[-1][1]  # progress reached the end
    with Repl(fresh_twin.pty) as r:  # the board boots the new image
        assert r.version() == "v1.22.0"
    again = flash_firmware(fresh_twin.pty, img)
    assert not again.written and "already holds" in again.reason
    assert again.mac == first.mac
    assert flash_firmware(fresh_twin.pty, img, mode="always").written
    newer = twin_image(tmp_path, "v1.24.1")
    never = flash_firmware(fresh_twin.pty, newer, mode="never")
    assert not never.written and never.mac == first.mac
    with Repl(fresh_twin.pty) as r:
        assert r.version() == "v1.22.0"  # never means never


def test_corrupt_image_touches_nothing(fresh_twin, tmp_path: Path) -> None:
    before = hashlib.sha256(flash_file(fresh_twin).read_bytes()).hexdigest()
    bad = twin_image(tmp_path, "v1.24.1")
    data = bytearray(bad.read_bytes())
    data[64] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(ImageError):
        flash_firmware(fresh_twin.pty, bad)
    assert hashlib.sha256(flash_file(fresh_twin).read_bytes()).hexdigest() == before
    with Repl(fresh_twin.pty) as r:  # and the board still runs
        assert r.version().startswith("v1.")


def test_read_mac_matches_flash_result(fresh_twin, tmp_path: Path) -> None:
    mac = read_mac(fresh_twin.pty)
    assert len(mac.split(":")) == 6
    assert flash_firmware(fresh_twin.pty, twin_image(tmp_path, "v1.24.1"), mode="never").mac == mac


def test_deploy_uploads_skips_and_leaves_other_files(fresh_twin, tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.py").write_text("print('app v1')\n")
    (app / "lib").mkdir()
    (app / "lib" / "helper.py").write_text("X = 1\n")
    with Repl(fresh_twin.pty) as r:
        r.ensure_friendly_idle()
        r.fs_write("/keep.txt", b"operator data")
        first = deploy_app(r, app)
        assert first.uploaded == ("/lib/helper.py", "/main.py") and first.skipped == ()
        second = deploy_app(r, app)
        assert second.uploaded == () and set(second.skipped) == {"/lib/helper.py", "/main.py"}
        (app / "main.py").write_text("print('app v2')\n")
        third = deploy_app(r, app)
        assert third.uploaded == ("/main.py",)
        assert r.fs_read("/main.py") == b"print('app v2')\n"
        assert r.fs_read("/keep.txt") == b"operator data"  # left alone
        assert "app v2" in r.soft_reset(run_main=True)  # the board runs it at boot


def test_deploy_refuses_broken_code_and_uploads_nothing(fresh_twin, tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.py").write_text("while True\n    pass\n")
    with Repl(fresh_twin.pty) as r:
        r.ensure_friendly_idle()
        before = r.fs_listdir("/")
        with pytest.raises(CompileError, match="main.py:1"):
            deploy_app(r, app)
        assert r.fs_listdir("/") == before


def test_deploy_the_real_app(fresh_twin) -> None:
    with Repl(fresh_twin.pty) as r:
        r.ensure_friendly_idle()
        result = deploy_app(r, REPO / "firmware")
        assert "/main.py" in result.uploaded
        assert r.fs_sha256("/main.py") == hashlib.sha256(
            (REPO / "firmware" / "main.py").read_bytes()).hexdigest()


@pytest.mark.slow
def test_flash_over_rfc2217_resets_through_the_lines(fresh_twin, tmp_path: Path) -> None:
    img = twin_image(tmp_path, "v1.22.0")
    result = flash_firmware(fresh_twin.url, img)
    assert result.written
    assert not flash_firmware(fresh_twin.url, img).written
    with Repl(fresh_twin.url) as r:
        assert r.version() == "v1.22.0"


def test_old_firmware_without_raw_paste(fresh_twin, tmp_path: Path) -> None:
    """v1.10 has no raw-paste (pre-1.14): mpremote's classic raw-REPL fallback carries on."""
    flash_firmware(fresh_twin.pty, twin_image(tmp_path, "v1.10"))
    with Repl(fresh_twin.pty) as r:
        assert r.version() == "v1.10"
        assert r.exec("print('classic')") == "classic\n"  # short code: plain raw REPL anyway
        # longer code tries raw-paste first (hil/repl/repl.py SHORT_CODE)
        assert r.exec("x = 'a long enough line to need raw-paste on a board that has it'\n"
                      "print('classic', len(x))") == "classic 59\n"
        assert r._t.use_raw_paste is False  # the fallback really happened
        app = tmp_path / "app"
        app.mkdir()
        (app / "main.py").write_text("print('old board')\n" * 40)  # > one 256-byte chunk
        assert deploy_app(r, app).uploaded == ("/main.py",)
        assert r.fs_read("/main.py") == (app / "main.py").read_bytes()


def test_flashing_a_held_port_is_board_busy(fresh_twin, tmp_path: Path) -> None:
    from hil.errors import PortBusyError

    img = twin_image(tmp_path, "v1.22.0")
    with Repl(fresh_twin.pty) as r:
        # In use first: the twin counts pty clients through inotify, which merges
        # two IN_OPEN events that arrive before it reads them (see the report).
        r.ensure_friendly_idle()
        with pytest.raises(PortBusyError, match="board busy"):
            flash_firmware(fresh_twin.pty, img, mode="always")
        assert r.version() == "v1.24.1"  # the session was not disturbed, nothing written


def test_an_interrupted_esptool_session_leaves_the_board_out_of_the_loader(
        fresh_twin, tmp_path: Path) -> None:
    """Ctrl-C in the middle of a write over RFC2217 (reset lines): the board is reset after."""
    img = twin_image(tmp_path, "v1.24.1")

    def ctrl_c(done: int, total: int) -> None:
        raise KeyboardInterrupt

    boots = fresh_twin.state()["boot_count"]
    with pytest.raises(KeyboardInterrupt):
        flash_firmware(fresh_twin.url, img, mode="always", progress=ctrl_c)
    state = fresh_twin.state()
    assert state["boot"] not in ("rom", "stub"), state["boot"]
    assert state["boot_count"] > boots
