# Runs INSIDE the twin's MicroPython process: the REPLs of the board.
#
# A port of shared/runtime/pyexec.c as the ESP8266 port uses it (blocking REPL,
# MICROPY_REPL_EVENT_DRIVEN 0): friendly REPL with paste mode, raw REPL, raw
# paste (v1.14+, window 128 = MICROPY_REPL_STDIN_BUFFER_MAX/2 of 256), and
# parse_compile_execute()'s output conventions (tracebacks, \x04 markers).
#
# Known differences, on purpose:
# - Raw paste reads the whole source (with the same flow control) before it
#   compiles, so a syntax error is reported after the host's \x04, not while
#   the host is still sending; the host sees the same bytes in the same order.
# - Tracebacks drop the frames of this firmware (it is C code on the board).
import sys
import io
import gc as _gc
import micropython
import hal
import readline
import sched  # noqa: E402 - sched imports pyexec too: a cycle that only uses names at run time

FORCED_EXIT = 0x100
MODE_RAW = 0
MODE_FRIENDLY = 1

_FW = hal.CONFIG.get("firmware_dir", "")
_V = tuple(hal.CONFIG.get("version_tuple", (1, 24, 1)))
RAW_PASTE = _V >= (1, 14)
WINDOW = 128

mode = MODE_FRIENDLY
globals_ = None  # the __main__ dict (set by startup.py)


def banner():
    return "%s; %s\r\n" % (hal.CONFIG.get("banner_name", "MicroPython"), hal.CONFIG.get("machine", "")) + (
        'Type "help()" for more information.\r\n'
    )


def format_exception(exc):
    s = io.StringIO()
    sys.print_exception(exc, s)
    out = []
    frames = 0
    for ln in s.getvalue().split("\n"):
        if ln.startswith('  File "'):
            if _FW and ln.startswith('  File "' + _FW):
                continue
            frames += 1
        out.append(ln)
    if frames == 0 and out and out[0].startswith("Traceback"):
        out.pop(0)  # raised by "C code" only: the board prints no traceback header
    return "\n".join(out)


def print_exception(exc, file=None):
    text = format_exception(exc)
    if file is None:
        hal.write(text)
    else:
        file.write(text)


def _run(code, intr):
    """Execute a code object with Ctrl-C armed; returns the exception or None.

    The interrupt char is armed only around the code (pyexec.c) and disarmed
    before returning; a late KeyboardInterrupt is absorbed here: if the code
    had finished it counts as the code's (the board's mp_handle_pending raises
    it the same way), otherwise the first exception wins.
    """
    exc = None
    started = False
    while True:
        try:
            if not started:
                started = True
                _clear_guards()
                if intr >= 0:
                    hal.set_intr(intr)
                exec(code, globals_)
                # pyexec.c calls mp_handle_pending(true) right after the code: a
                # Ctrl-C that came while it ran is its KeyboardInterrupt even when
                # no call point took it (a boot.py busy in gc.collect() is stopped,
                # so main.py is skipped, v1.22+).
                hal.take_ctrl_c()
            hal.disarm()
            if exc is not None:
                _check_heap()
            return exc
        except BaseException as e:  # noqa: B036 - everything the code raises is the board's output
            if exc is None:
                exc = e


def _clear_guards():
    """Flags the firmware holds around its own critical work: a SIGINT (hil/sim/kbd.py)
    between setting one and the `try` that clears it could leave it set for good; no
    firmware work is under way when user code starts, so they start clear."""
    hal.in_call = 0
    hal.no_take = 0
    sched._busy = False


def _check_heap():
    """A SIGINT that struck inside a garbage collection leaves the heap locked (and
    its marks half set): this unix build raises KeyboardInterrupt from the signal
    handler (hil/sim/kbd.py). The chip cannot go on; the host resets it as a
    watchdog would, and says why in its log."""
    micropython.heap_lock()
    if micropython.heap_unlock() > 0:
        hal.call_noreply(b"wdt heap-locked\n")


SCRATCH = 24 * 1024  # bytes of the heap set aside (startup.py) lent to the REPL's own work
_BLOCK = 32 if sys.maxsize > 2**32 else 16  # py/gc.c BYTES_PER_BLOCK
_lent = None  # (first lent index, user's free bytes) while the REPL works in the set-aside part


def lend():
    """The REPL reads and compiles a command in the top of the set-aside part.

    On the board the REPL's line editing and the compiler's work live in C
    buffers or are short-lived; here they are Python objects, twice a board's size
    on this 64-bit interpreter, and the allocator is first fit after a collection:
    whatever the REPL keeps (history, the compiled code) would land in the middle
    of the user's share and cut it up. So the top of the set-aside part, right
    below the user's share, is freed meanwhile (it is what first fit takes), the
    REPL collects its garbage while it waits for input (hal.idle_collect), and
    reclaim() takes back what the REPL did not keep before the user's code runs."""
    global _lent
    if _lent is not None:
        return
    _gc.collect()
    fill = getattr(hal, "set_aside", None)
    if not fill:
        return
    f0 = _gc.mem_free()
    n = len(fill)
    lo = max(n // 2, n - SCRATCH // _BLOCK)  # the first ones fill holes among the firmware
    i = lo
    while i < n:  # the last ones made sit highest: right below the user's share
        fill[i] = None
        i += 1
    _gc.collect()
    _lent = (lo, f0)
    hal.idle_collect = True


def reclaim():
    """Before the user's code runs: the user's share is what it was before lend()."""
    global _lent
    hal.idle_collect = False
    if _lent is None:
        return
    lo, f0 = _lent
    _lent = None
    fill = hal.set_aside
    _gc.collect()
    extra = (_gc.mem_free() - f0) // _BLOCK
    i = lo
    n = len(fill)
    while extra > 0 and i < n:  # first fit: back into the lent part, around what the REPL kept
        if fill[i] is None:
            fill[i] = (i,)
            extra -= 1
        i += 1


def execute(src, kind, filename="<stdin>", print_eof=False, no_interrupt=False):
    """parse_compile_execute: 0 ran cleanly, 1 raised (printed), FORCED_EXIT on SystemExit.

    `src` may come in a one-item list that this empties: then the caller holds no
    reference to the text, and it is collected before the code runs."""
    ret = 0
    exc = None
    if isinstance(src, list):
        src = src.pop()
    try:
        if isinstance(src, (bytes, bytearray)):
            src = bytes(src).decode()
        if kind == "exec":
            globals_["__file__"] = filename  # MICROPY_MODULE___FILE__
        # The REPL's own garbage (readline, the source text) is C buffers on the
        # board: collected here, it neither counts in the user's heap nor leaves
        # the user's objects scattered over it (startup.py _set_aside_the_users_heap).
        code = compile(src, filename, kind)
        src = None
        reclaim()
    except BaseException as e:  # SyntaxError, MemoryError, KeyboardInterrupt
        exc = e
    if exc is None:
        exc = _run(code, -1 if no_interrupt else 3)
    if exc is None:
        if print_eof:
            hal.tx("\x04")
    else:
        if print_eof:
            hal.tx("\x04")
        if isinstance(exc, SystemExit):
            ret = FORCED_EXIT
        else:
            print_exception(exc)
            ret = 1
    if print_eof:
        hal.tx("\x04")
    return ret


def exec_file(name, no_interrupt=False):
    """pyexec_file_if_exists(): 0 if it ran cleanly or is absent, else as execute()."""
    lend()
    try:
        with open(name) as f:
            src = f.read()
    except OSError:
        return 0
    src = [src]
    return execute(src, "exec", name, no_interrupt=no_interrupt)


def _raw_paste():
    """do_reader_stdin('A'): the raw-paste protocol of pyexec.c."""
    hal.tx("R\x01")
    hal.write_raw(bytes((WINDOW & 0xFF, WINDOW >> 8, 1)))
    remain = WINDOW
    buf = bytearray()
    while True:
        c = hal.rx_chr()
        if c == 3 or c == 4:
            hal.tx("\x04")  # end acknowledged
            if c == 3:
                hal.tx("\x04")
                hal.write("KeyboardInterrupt: \n")
                hal.tx("\x04")
                return 0
            break
        buf.append(c)
        remain -= 1
        if remain == 0:
            hal.write_raw(b"\x01")
            remain = WINDOW
    buf = [buf]
    return execute(buf, "exec", print_eof=True)


def raw_repl():
    """pyexec_raw_repl(): returns 0 to switch to friendly mode, FORCED_EXIT to soft reset."""
    global mode
    hal.tx("raw REPL; CTRL-B to exit\r\n")
    while True:
        lend()
        line = bytearray()
        hal.tx(">")
        while True:
            c = hal.rx_chr()
            if c == 1:  # Ctrl-A
                if RAW_PASTE and len(line) == 2 and line[0] == 5:
                    if line[1] != 65:  # "A"
                        hal.tx("R\x00")
                        ret = 0
                    else:
                        ret = _raw_paste()
                    if ret & FORCED_EXIT:
                        return ret
                    line = bytearray()
                    hal.tx(">")
                    continue
                hal.tx("raw REPL; CTRL-B to exit\r\n")
                line = bytearray()
                hal.tx(">")
                continue
            elif c == 2:  # Ctrl-B
                hal.tx("\r\n")
                mode = MODE_FRIENDLY
                return 0
            elif c == 3:  # Ctrl-C: clear
                line = bytearray()
            elif c == 4:  # Ctrl-D: run
                break
            else:
                line.append(c)
        hal.tx("OK")
        if not line:
            hal.tx("\r\n")
            return FORCED_EXIT
        line = [line]
        ret = execute(line, "exec", print_eof=True)
        if ret & FORCED_EXIT:
            return ret


def input(prompt=""):
    # builtins.input on the board: readline with the prompt, Ctrl-C raises
    r = readline.readline("", prompt)
    if r == 3:
        hal.tx("\r\n")
        raise KeyboardInterrupt
    if r == 4 and not readline.line:
        raise EOFError
    return readline.line


def friendly_repl():
    """pyexec_friendly_repl(): returns 0 to switch to raw mode, FORCED_EXIT to soft reset."""
    global mode
    hal.tx(banner())
    while True:
        lend()
        ret = readline.readline("", ">>> ")
        kind = "single"
        if ret == 1:  # Ctrl-A
            hal.tx("\r\n")
            mode = MODE_RAW
            return 0
        elif ret == 2:  # Ctrl-B
            hal.tx("\r\n")
            hal.tx(banner())
            continue
        elif ret == 3:
            hal.tx("\r\n")
            continue
        elif ret == 4:
            hal.tx("\r\n")
            return FORCED_EXIT
        elif ret == 5:
            hal.tx("\r\npaste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== ")
            buf = bytearray()
            cancelled = False
            while True:
                c = hal.rx_chr()
                if c == 3:
                    hal.tx("\r\n")
                    cancelled = True
                    break
                elif c == 4:
                    hal.tx("\r\n")
                    break
                buf.append(c)
                if c == 13:
                    hal.tx("\r\n=== ")
                else:
                    hal.write_raw(bytes((c,))) if c == 10 else hal.tx(chr(c))
            if cancelled:
                continue
            src = bytes(buf).decode().replace("\r\n", "\n").replace("\r", "\n")
            kind = "exec"
        else:
            src = readline.line
            if not src:
                continue
            while readline.continue_with_input(src):
                src += "\n"
                r = readline.readline(src, "... ")
                src = readline.line
                if r == 3:
                    hal.tx("\r\n")
                    src = None
                    break
                elif r == 4:
                    break
            if src is None:
                continue
        readline.line = ""
        src = [src]
        ret = execute(src, kind)
        if ret & FORCED_EXIT:
            return ret
