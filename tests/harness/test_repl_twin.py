"""Repl against the twin: real pty / RFC2217, real MicroPython interpreter on the other side."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hil.errors import (
    BoardTimeoutError,
    DeviceError,
    LineSpeedError,
    PortBusyError,
    PortGoneError,
)
from hil.repl import DeviceFileNotFoundError, Repl, State
from hil.transport import open_port

pytestmark = [pytest.mark.twin, pytest.mark.timeout(120)]

LOOP_MAIN = b"import time\nprint('MAIN RAN')\nwhile True:\n    time.sleep(0.05)\n"


@pytest.fixture
def repl(module_twin) -> Iterator[Repl]:
    with Repl(module_twin.pty) as r:
        r.ensure_friendly_idle()
        yield r
        # leave no main.py behind for the next test
        if "main.py" in r.fs_listdir("/"):
            r.fs_remove("/main.py")


def test_exec_and_eval(repl: Repl) -> None:
    assert repl.exec("print(1 + 1)") == "2\n"
    assert repl.eval("[1, 'a', {2: b'x'}, None]") == [1, "a", {2: b"x"}, None]
    assert repl.eval("len(sys.version) > 0 if 'sys' in globals() else True") is True


def test_device_exception_carries_name_and_traceback(repl: Repl) -> None:
    with pytest.raises(DeviceError) as e:
        repl.exec("print('before')\n1/0")
    assert e.value.exc_name == "ZeroDivisionError"
    assert "Traceback" in e.value.traceback and "<stdin>" in e.value.traceback
    assert e.value.stdout == "before\n"  # type: ignore[attr-defined]
    assert repl.exec("print(3)") == "3\n"  # the REPL is usable afterwards


def test_exec_timeout_says_what_and_interrupt_recovers(repl: Repl) -> None:
    with pytest.raises(BoardTimeoutError) as e:
        repl.exec("print('spinning')\nwhile True:\n    pass", timeout=1.0)
    assert "running code" in str(e.value) and "spinning" in str(e.value)
    assert repl.state is State.RUNNING
    assert "spinning" in repl.interrupt()
    assert repl.exec("print('alive')") == "alive\n"


def test_start_wait_and_interrupt(repl: Repl) -> None:
    repl.start("import time\nfor i in range(3):\n    print(i)\n    time.sleep(0.05)")
    assert repl.wait(10) == "0\n1\n2\n"
    repl.start("import time\nprint('looping')\nwhile True:\n    time.sleep(0.05)")
    assert repl.interrupt() == "looping\n"
    assert repl.eval("6 * 7") == 42


def test_entry_past_a_main_py_that_loops_forever(repl: Repl) -> None:
    repl.fs_write("/main.py", LOOP_MAIN)
    boot = repl.soft_reset(run_main=True)
    assert "MAIN RAN" in boot
    assert repl.state is State.BOOTING
    assert repl.exec("print('in')") == "in\n"  # Ctrl-C got past main.py


def test_raw_soft_reset_does_not_run_main(repl: Repl) -> None:
    repl.fs_write("/main.py", b"print('MAIN RAN')\n")
    repl.exec("x = 5")
    assert "MAIN RAN" not in repl.soft_reset()
    assert repl.eval("'x' in globals()") is False  # the interpreter was reset
    assert "MAIN RAN" in repl.soft_reset(run_main=True)
    assert repl.state is State.FRIENDLY  # main.py ended: at the prompt


def test_hard_reset_without_reset_lines_uses_machine_reset(repl: Repl) -> None:
    repl.exec("x = 5")
    repl.hard_reset()
    assert repl.eval("'x' in globals()") is False
    assert repl.version().startswith("v1.")


def test_banner_and_version(repl: Repl) -> None:
    banner = repl.read_banner()
    assert banner.startswith("MicroPython v") and banner.endswith("with ESP8266")
    assert banner.split()[1] == repl.version()


def test_file_operations(repl: Repl) -> None:
    data = bytes(range(256)) * 3 + b"end"
    repl.fs_write("/blob.bin", data)
    try:
        assert "blob.bin" in repl.fs_listdir("/")
        assert repl.fs_read("/blob.bin") == data
        import hashlib
        assert repl.fs_sha256("/blob.bin") == hashlib.sha256(data).hexdigest()
    finally:
        repl.fs_remove("/blob.bin")
    assert "blob.bin" not in repl.fs_listdir("/")
    assert repl.fs_sha256("/blob.bin") is None
    with pytest.raises(FileNotFoundError):
        repl.fs_read("/blob.bin")
    with pytest.raises(DeviceFileNotFoundError):
        repl.fs_remove("/blob.bin")


def test_second_session_is_board_busy(repl: Repl, module_twin) -> None:
    with pytest.raises(PortBusyError, match="board busy"):
        Repl(module_twin.pty)
    assert repl.exec("print('still mine')") == "still mine\n"


def test_port_is_released_after_an_error(module_twin) -> None:
    with pytest.raises(DeviceError), Repl(module_twin.pty) as r:
        r.exec("raise ValueError('boom')")
    with pytest.raises(BoardTimeoutError), Repl(module_twin.pty) as r:
        r.exec("import time\ntime.sleep(5)", timeout=0.5)
    open_port(module_twin.pty).close()  # nobody holds it
    with Repl(module_twin.pty) as r:  # and the board is reachable again
        assert r.exec("print('ok')") == "ok\n"


def test_main_py_that_swallows_ctrl_c_is_a_clear_error(fresh_twin) -> None:
    with Repl(fresh_twin.pty) as r:
        r.ensure_friendly_idle()
        r.fs_write("/main.py", b"import time\nwhile True:\n    try:\n        time.sleep(0.05)\n"
                               b"    except KeyboardInterrupt:\n        pass\n")
        r.soft_reset(run_main=True)
        with pytest.raises(BoardTimeoutError, match="kbd_intr"):
            r.ensure_friendly_idle(timeout=4.0)
    open_port(fresh_twin.pty).close()  # released even so


@pytest.mark.parametrize("via", ["pty", "url"], ids=["pty", "rfc2217"])
def test_unplugged_board_is_port_gone(fresh_twin, via: str) -> None:
    r = Repl(getattr(fresh_twin, via))
    try:
        r.ensure_friendly_idle()
        fresh_twin.stop()  # the cable is pulled
        with pytest.raises(PortGoneError, match="unplugged"):
            r.exec("print(1)", timeout=5)
    finally:
        r.close()
    r.close()  # idempotent


SWALLOW_MAIN = (b"import time\nprint('BOOTED')\nwhile True:\n    try:\n        time.sleep(0.05)\n"
                b"    except KeyboardInterrupt:\n        pass\n")


def test_rfc2217_hard_reset_uses_the_reset_line(fresh_twin) -> None:
    """Over RFC2217 the RTS line resets the chip: it gets past a main.py Ctrl-C cannot stop."""
    with Repl(fresh_twin.url) as r:
        r.ensure_friendly_idle()
        r.fs_write("/main.py", SWALLOW_MAIN)
        r.fs_write("/boot.py", b"")  # nothing slow before main.py
        boot = r.hard_reset()
        assert "BOOTED" in boot
        assert r.state is State.BOOTING
        with pytest.raises(BoardTimeoutError, match="kbd_intr"):
            r.ensure_friendly_idle(timeout=3.0, break_in=False)
    # clean up through the bootloader-free way: a fresh session cannot stop main.py
    # either, which is exactly the known limit the message names.


def test_wait_for_main_py_after_reset(repl: Repl) -> None:
    repl.fs_write("/main.py", b"import time\ntime.sleep(2)\nprint('done')\n")
    repl.soft_reset(run_main=True)
    assert repl.state is State.BOOTING  # silent for longer than the boot quiet time
    assert repl.wait(10).strip() == "done"
    assert repl.state is State.FRIENDLY
    repl.fs_write("/main.py", b"import time\ntime.sleep(2)\nprint('about to fail')\n1/0\n")
    repl.soft_reset(run_main=True)
    with pytest.raises(DeviceError) as e:
        repl.wait(10)
    assert e.value.exc_name == "ZeroDivisionError" and "main.py" in e.value.traceback
    assert repl.exec("print('usable')") == "usable\n"


@pytest.mark.twin(erased=True)
def test_a_boot_looping_board_is_garbage_on_the_line_not_a_main_py_problem(twin) -> None:
    """No firmware: the ROM's 74880-baud messages in a loop; the error says so, not kbd_intr."""
    with Repl(twin.url) as r, pytest.raises(LineSpeedError, match="boot-loops") as e:
        r.ensure_friendly_idle()
    assert "kbd_intr" not in str(e.value)
