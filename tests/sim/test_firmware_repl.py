"""The twin's firmware seen from the UART: byte-exact REPL behaviour over the Twin's real pty.

Each test talks to a Twin (real `micropython` unix port inside) through pyserial on the
pty, exactly as a terminal program would; expected bytes come from
docs/protocols.md §2-§4 and MicroPython's pyexec.c/readline.c.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from terminal import Term

pytestmark = pytest.mark.slow  # starts MicroPython / tool processes

BANNER = b'MicroPython v1.24.1 on 2024-11-29; ESP module with ESP8266\r\nType "help()" for more information.\r\n'
BLINK_MAIN = (Path(__file__).resolve().parents[2] / "firmware" / "main.py").read_text()


def test_first_boot_creates_the_filesystem_and_boot_py(term: Term) -> None:
    term.send(b"\x02")  # Ctrl-B: banner again
    assert term.until(b">>> ") == b"\r\n" + BANNER + b">>> "
    out = term.line("import os; os.listdir('/')")
    assert out == b"import os; os.listdir('/')\r\n['boot.py']\r\n>>> "
    term.send(b"\x01")
    term.until(b"raw REPL; CTRL-B to exit\r\n>")
    out, err = term.raw_exec("print(open('boot.py').read())")
    assert err == b""
    assert b"import os, machine\r\n#os.dupterm(None, 1) # disable REPL on UART(0)\r\n" in out


def test_friendly_repl_results_tracebacks_and_continuation(term: Term) -> None:
    assert term.line("1+1") == b"1+1\r\n2\r\n>>> "
    assert term.line("None") == b"None\r\n>>> "
    assert term.line("1/0") == (
        b"1/0\r\nTraceback (most recent call last):\r\n"
        b'  File "<stdin>", line 1, in <module>\r\nZeroDivisionError: divide by zero\r\n>>> '
    )
    # a compound statement: "... " prompts with 4-space auto-indent (readline.c)
    term.send(b"for i in range(2):\r")
    assert term.until(b"...     ") == b"for i in range(2):\r\n...     "
    term.send(b"print(i)\r\r\r\r")
    out = term.until(b">>> ")
    assert out.endswith(b"0\r\n1\r\n>>> ")
    # Ctrl-C on a non-empty line cancels it; a bare "\n" is not Enter before v1.25
    term.send(b"x = 5\x03")
    assert term.until(b">>> ") == b"x = 5\r\n>>> "
    term.send(b"'a'\n")
    term.send(b"\r")
    assert term.until(b">>> ") == b"'a'\r\n'a'\r\n>>> "


def test_machine_pin_errors_as_on_the_esp8266(term: Term) -> None:
    out = term.line("from machine import Pin; Pin(6)")
    assert out.endswith(b"ValueError: invalid pin\r\n>>> ")
    assert b"port_machine" not in out  # the firmware's frames are C on the board
    out = term.line("Pin(16, Pin.IN, Pin.PULL_UP)")
    assert out.endswith(b"ValueError: Pin(16) doesn't support pull\r\n>>> ")
    assert term.line("hasattr(Pin, 'PULL_DOWN'), hasattr(Pin(2), 'toggle')").endswith(b"(False, False)\r\n>>> ")
    out = term.line("Pin(14).irq(lambda p: 0, hard=True)")
    assert out.endswith(b"ValueError: hard IRQ not supported\r\n>>> ")
    assert term.line("Pin(14, Pin.IN, Pin.PULL_UP).value()").endswith(b"1\r\n>>> ")
    out = term.line("import sys, os; sys.platform, os.uname().sysname, os.uname().release")
    assert out.endswith(b"('esp8266', 'esp8266', '2.2.0-dev(9422289)')\r\n>>> ")


def test_paste_mode_echo_and_run(term: Term) -> None:
    term.send(b"\x05")
    assert term.until(b"=== ") == b"\r\npaste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== "
    term.send(b"x = 6\rprint(x * 7)\r\x04")
    out = term.until(b">>> ")
    assert out == b"x = 6\r\n=== print(x * 7)\r\n=== \r\n42\r\n>>> "


def test_raw_repl_raw_paste_and_soft_reset(term: Term) -> None:
    term.send(b"\r\x01")
    term.until(b"raw REPL; CTRL-B to exit\r\n>")
    assert term.raw_exec("print(1+1)") == (b"2\r\n", b"")
    out, err = term.raw_exec("x")
    assert out == b""
    assert err == (
        b'Traceback (most recent call last):\r\n  File "<stdin>", line 1, in <module>\r\n'
        b"NameError: name 'x' isn't defined\r\n"
    )
    term.send(b"\x05A\x01")
    assert term.until(b"\x01", 5) == b"R\x01"
    assert term.until(b"\x01") == b"\x80\x00\x01"  # window 128, then one more window free
    term.send(b"y = 41\nprint(y + 1)\x04")
    assert term.until(b">") == b"\x0442\r\n\x04\x04>"
    term.send(b"\x04")  # Ctrl-D on an empty buffer: soft reset, main.py not run
    assert term.until(b">") == b"OK\r\nMPY: soft reboot\r\nraw REPL; CTRL-B to exit\r\n>"
    assert term.raw_exec("print('y' in globals())") == (b"False\r\n", b"")
    term.send(b"\x02")
    assert term.until(b">>> ") == b"\r\n" + BANNER + b">>> "


def test_ctrl_c_interrupts_a_busy_loop_and_timers_run_while_sleeping(term: Term) -> None:
    term.send(b"while True: pass\r\r")
    term.until(b"while True: pass\r\n... \r\n")
    term.send(b"\x03")
    out = term.until(b">>> ")
    assert out.endswith(b'  File "<stdin>", line 1, in <module>\r\nKeyboardInterrupt: \r\n>>> ')
    term.send(b"\x05")
    term.until(b"=== ")
    term.send(
        b"import machine, time\rn = [0]\rdef cb(t):\r    n[0] += 1\r\rt = machine.Timer(-1)\r"
        b"t.init(period=10, mode=machine.Timer.PERIODIC, callback=cb)\r"
        b"time.sleep_ms(300)\rt.deinit()\rprint(n[0] > 5)\r\x04"
    )
    assert term.until(b">>> ").endswith(b"True\r\n>>> ")


def test_chapter_session_import_main_ctrl_c_blink_and_soft_reset(term: Term) -> None:
    term.send(b"\x01")
    term.until(b"raw REPL; CTRL-B to exit\r\n>")
    assert term.raw_exec(f"f = open('main.py', 'w'); f.write({BLINK_MAIN!r}); f.close()")[1] == b""
    term.send(b"\x02")
    term.until(b">>> ")
    # Ctrl-D: soft reset runs main.py, which loops while the button is released
    term.send(b"\x04")
    assert term.until(b"MPY: soft reboot\r\n") == b"\r\nMPY: soft reboot\r\n"
    out = term.interrupt()
    assert b'  File "main.py", line ' in out and b"KeyboardInterrupt: \r\n" in out
    assert out.endswith(BANNER + b">>> ")
    # import main: runs the loop again (main.py is a module now)
    term.send(b"import main\r")
    term.until(b"import main\r\n")
    out = term.interrupt()
    assert out.startswith(b'Traceback (most recent call last):\r\n  File "<stdin>", line 1, in <module>\r\n')
    assert b'  File "main.py", line 13, in blink\r\n' in out or b'  File "main.py", line 16, in blink\r\n' in out
    # interrupted, the import failed: import it again and stop it with the button
    term.send(b"import main\r")
    term.until(b"import main\r\n")
    term.twin.press(True)
    try:
        assert term.until(b">>> ") == b">>> "
    finally:
        term.twin.press(False)
    assert term.line("import main") == b"import main\r\n>>> "  # cached now: returns at once
    for call in ("main.blink()", "from main import blink"):
        term.send(call.encode() + b"\r")
        if call == "from main import blink":
            assert term.until(b">>> ") == b"from main import blink\r\n>>> "
            term.send(b"blink()\r")
        term.until(b"()\r\n")
        assert term.interrupt().endswith(b"KeyboardInterrupt: \r\n>>> ")
