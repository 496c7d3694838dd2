# Runs INSIDE the twin's MicroPython process (the board's "firmware"), not on the host.
#
# The hardware abstraction layer: UART0 and the pin bus, as the ESP8266 port's
# esp_mphal.c is for the real firmware.
#
# File descriptors (set up by hil/sim/interpreter.py):
#   0  UART RX: bytes that reached the chip (non-blocking pipe; the host drops
#      bytes beyond the chip's RX capacity while nobody reads, as the FIFO does)
#   1  UART TX: text; the host turns every "\n" into "\r\n", as the ESP8266
#      port's mp_hal_stdout_tx_strn_cooked does for print() and tracebacks
#   3  pin-bus requests (one ASCII line per call), 4  replies (one line each)
#
# Known behaviours modelled:
# - Ctrl-C is only special while Python code runs (pyexec.c sets the interrupt
#   char before executing and clears it after; the UART ISR in
#   ports/esp8266/uart.c then raises KeyboardInterrupt instead of buffering the
#   byte). The host does the ISR's part: it turns the byte into SIGINT while the
#   char is armed (`intr C` on the bus), and the unix port's SIGINT handler
#   raises KeyboardInterrupt.
# - The unix port's own interrupt handler stays installed for the whole run:
#   micropython.kbd_intr(-1) on the unix port would reset SIGINT to SIG_DFL and a
#   late signal would kill the board. The firmware's kbd_intr only moves the
#   *virtual* char (see port_micropython.py).
import gc
import sys
import select
import binascii
import time as _ht  # the unix port's: the host's monotonic clock

CONFIG = {}

_rx = open(0, "rb")
_tx = sys.stdout
_req = open(3, "wb")
_rep = open(4, "rb")
_kbd = open(5, "rb")  # Ctrl-C offers (hil/sim/kbd.py), non-blocking
_poll = select.poll()
_poll.register(_rx, select.POLLIN)
_poll.register(_kbd, select.POLLIN)  # an input wait wakes for a Ctrl-C too
_kpoll = select.poll()
_kpoll.register(_kbd, select.POLLIN)
_kbuf = bytearray(16)
IDLE_MS = 20
idle_collect = False  # True while the REPL (not user code) waits for input: see pyexec.lend
no_take = 0  # 1 while a scheduled callback runs (sched._kick): a KeyboardInterrupt
# raised there would be printed and dropped (mp_call_function_1_protected)
_pos = 0
_intr = -1  # the interrupt char the host currently watches for
_service = None  # sched.service, set by sched.py (timers and pin IRQs while waiting)
_next_due = None  # sched.next_due: ms until the next timer, or -1


_seq = 0
in_call = 0  # 1 while a bus call waits for its reply: sched.py must not start another one
RETRY_MS = 200  # a request whose reply has not come by then is sent again
_rb = bytearray(256)  # reply bytes read and not yet used; the free part is all NULs
_rmv = memoryview(_rb)
_rpoll = select.poll()
_rpoll.register(_rep, select.POLLIN)


def _take(tag):
    """Our reply's value from the buffer, or None; the lines before it are dropped.

    Works on whatever the buffer holds: a Ctrl-C may have cut a line short (see
    call()), so a line may carry two replies ("#7 o#8 ok"); every reply starts
    with "#", which no value contains."""
    end = _rb.find(b"\0")
    if end < 0:
        end = len(_rb)
    nl = _rb.rfind(b"\n", 0, end)
    if nl < 0:
        if end == len(_rb):  # full of garbage without a line end: start over
            _rmv[:] = bytes(len(_rb))
        return None
    found = None
    for piece in bytes(_rmv[:nl]).replace(b"\n", b"#").split(b"#"):
        if piece.startswith(tag):
            found = piece[len(tag):].strip()
    rest = bytes(_rmv[nl + 1:end])
    _rmv[:] = bytes(len(_rb))
    _rmv[: len(rest)] = rest
    return found


def take_ctrl_c():
    """Raise the KeyboardInterrupt the host offered for a Ctrl-C, if any.

    Ordinary Python code at a known place (the start of every pin-bus call,
    every slice of a sleep, an input wait): what the board's VM does between
    bytecodes. The SIGINT the host sends otherwise can strike anywhere."""
    if _intr < 0 or no_take or not _kpoll.poll(0):
        return
    _drain_kbd()
    call(b"took\n")
    raise KeyboardInterrupt


def _drain_kbd():
    while _kbd.readinto(_kbuf):  # None once empty (non-blocking)
        pass


# The board's clock (esp_mphal.c mp_hal_ticks_ms/us): the host's monotonic clock
# minus the time the host provably did not run this process. An ESP8266 runs
# its app alone on its CPU: sleep_ms wakes on time and a GPIO register write
# takes microseconds. Here a loaded host can leave the process unscheduled for
# 100 ms and more (a wake-up from a sleep that comes late, a pin-bus reply from
# a host thread that did not run); on the host's clock the app would then seem
# to keep the wrong time, a false app failure. So such a stall (at least
# STALL_MS) is taken out of the board's clock: the app and the sampler
# (hil/device/sampler.py), which both read this clock, see the board's time.
# Each stall is reported to the host (`stall MS`): the twin's state counts them.
# A stall inside pure computation (a busy loop reading ticks_ms) cannot be told
# from the computation itself: the loop may read the clock before any of the
# checks above runs, so that one stays on the board's clock.
STALL_MS = 10
_MASK = _ht.ticks_add(0, -1)  # ticks wrap at this build's period
_stolen_ms = 0  # host ms this process was stalled, taken out of the clock
_held_until = _ht.ticks_ms()  # host ms up to which stalls are taken out


def ticks_ms():
    return (_ht.ticks_ms() - _stolen_ms) & _MASK


def ticks_us():
    return (_ht.ticks_us() - _stolen_ms * 1000) & _MASK


def host_ms():
    """The host's clock, to time a wait that must not count stalls (sleeps, bus calls)."""
    return _ht.ticks_ms()


def stalled(since, expected_ms):
    """A wait that began at host_ms() `since` and should have taken `expected_ms`:
    a lateness of at least STALL_MS is the host's, not the board's (see above)."""
    hold(_ht.ticks_diff(_ht.ticks_ms(), since) - expected_ms)


def hold(late_ms):
    """Take a host stall of `late_ms` (ending now) out of the board's clock (if at least
    STALL_MS). One stall can be seen twice: the unix port's sleep_ms runs scheduled
    callbacks (sched._kick) while it waits, so a timer's lateness is held inside the
    sleep, and the same sleep then wakes late. Only the part after the last stall counts."""
    global _stolen_ms, _held_until
    now = _ht.ticks_ms()
    late_ms = min(late_ms, _ht.ticks_diff(now, _held_until))
    if late_ms >= STALL_MS:
        _stolen_ms += late_ms
        _held_until = now
        try:
            call(b"stall %d\n" % late_ms)
        except MemoryError:
            pass  # only the report is lost (the user's heap is full); the clock is held


def call(msg):
    """One pin-bus request -> its reply value (bytes).

    The host turns Ctrl-C into SIGINT, and this unix build raises the
    KeyboardInterrupt from the signal handler itself (MICROPY_ASYNC_KBD_INTR,
    on where threads run without a GIL): at any machine instruction, inside a
    read() that has just returned bytes as well. So bytes of a reply can be lost,
    and no reader can prevent it. Instead nothing depends on them:
    - every request carries a tag (#N) that the host echoes; replies of other
      tags (left by a call that a KeyboardInterrupt cut short) are dropped;
    - a request whose reply has not come within RETRY_MS is sent again, byte for
      byte; the host answers a repeat of its last request from its cache without
      doing it twice (a `tx` is not printed twice);
    - a KeyboardInterrupt while waiting is held until the reply is in, then raised.
    """
    global _seq, in_call
    take_ctrl_c()
    ki = None
    t0 = _ht.ticks_ms()
    _seq = (_seq + 1) & 0xFFFF
    tag = b"%d " % _seq
    req = b"#" + tag + msg
    in_call = 1
    try:
        sent = False
        while True:
            try:
                if not sent:
                    _req.write(req)
                    sent = True
                if _rpoll.poll(RETRY_MS):
                    n = _rep.readinto(_rmv[max(0, _rb.find(b"\0")):])
                    if n == 0:
                        return b""  # the host is gone (the process is being killed)
                    r = _take(tag)
                    if r is not None:
                        break
                else:
                    sent = False  # no reply: send it again
            except KeyboardInterrupt as e:
                ki = e
    finally:
        in_call = 0
    if msg[:1] in b"cwr" and ki is None:  # a pin operation (cfg, w, r): microseconds on a board
        stalled(t0, 0)
    if ki is not None:
        raise ki
    return r


def call_noreply(msg):
    """A request after which the host kills the process (reset, soft reset)."""
    _req.write(msg)
    while True:
        _rpoll.poll(-1)
        _rep.readinto(_rmv)


def set_intr(c):
    """Tell the host which RX byte raises KeyboardInterrupt (-1: none)."""
    global _intr
    if c >= 0:
        _intr = c
        call(b"intr %d\n" % c)
        return
    # A Ctrl-C that came before stays owed: on the board kbd_intr(-1) only sets
    # mp_interrupt_char (shared/runtime/interrupt_char.c); a KeyboardInterrupt the
    # UART already scheduled (mp_sched_keyboard_interrupt) is still raised. So a
    # main.py that disables Ctrl-C at once can still be broken into at boot.
    call(b"intr -1\n")  # takes what was offered so far (its start), with the old char
    try:
        take_ctrl_c()  # and what the host offered until it answered (rx and intr share a lock)
    finally:
        _intr = -1
        _drain_kbd()  # nothing more can be owed now


def intr_char():
    return _intr


def disarm():
    """Code finished: Ctrl-C is an ordinary byte again.

    A SIGINT the host sent before it saw `intr -1` is already pending in the VM
    when the reply arrives (kill() happens before the host answers); it is raised
    at the next check and swallowed here, so it cannot hit the REPL itself.
    """
    while True:
        try:
            set_intr(-1)
            for _ in (0, 1):  # a backward jump: the VM raises a pending exception here
                pass
            return
        except KeyboardInterrupt:
            pass


def write(s):
    """Text to UART TX (cooked by the host: "\n" -> "\r\n")."""
    _tx.write(s)


def write_raw(b):
    """Bytes to UART TX exactly as given (mp_hal_stdout_tx_strn: no cooking)."""
    if b:
        call(b"tx " + binascii.hexlify(b) + b"\n")


def any_rx():
    return _pos < _len


# RX bytes read from the pipe and not yet used: one buffer for the whole run, so
# the firmware's reading never leaves objects on the user's heap (startup.py).
_rxb = bytearray(256)
_len = 0


def _fill(timeout):
    global _len, _pos
    n = _rx.readinto(_rxb)  # None: nothing there (non-blocking pipe)
    if n is None:
        if idle_collect and (timeout < 0 or timeout > IDLE_MS) and not _poll.poll(IDLE_MS):
            # The REPL's garbage (pyexec.lend), once the line has been quiet for a
            # while: never between the bytes of a paste, which the FIFO must take.
            gc.collect()
        _poll.poll(timeout)
        n = _rx.readinto(_rxb)
    if n == 0:
        # The host closed the UART: the chip is gone.
        raise SystemExit
    if n:
        _len = n
        _pos = 0
        return True
    return False


def rx_chr():
    """The next RX byte, waiting for it; timers and pin IRQs run meanwhile
    (esp_mphal.c: mp_hal_stdin_rx_chr -> MICROPY_EVENT_POLL_HOOK -> mp_handle_pending)."""
    global _pos
    while _pos >= _len:
        take_ctrl_c()  # code reading the UART (input()) is interrupted here
        t = _next_due() if _next_due is not None else -1
        if not _fill(t) and _service is not None:
            _service()
    c = _rxb[_pos]
    _pos += 1
    return c


def rx_pending():
    """Bytes read from the pipe but not yet consumed (kept across a soft reset)."""
    return bytes(_rxb[_pos:_len])


def rx_preload(b):
    global _len, _pos
    b = b[: len(_rxb)]
    _rxb[: len(b)] = b
    _len = len(b)
    _pos = 0


def read_bytes(n):
    """n bytes from RX (sys.stdin.buffer.read)."""
    out = bytearray()
    while len(out) < n:
        out.append(rx_chr())
    return bytes(out)


def tx(s):
    """Text exactly as given (mp_hal_stdout_tx_str): "\r\n" is sent as is, a lone
    "\n" stays a lone "\n" (sent raw, because fd 1 is cooked by the host)."""
    if s.count("\n") != s.count("\r\n"):
        write_raw(s.encode())
    else:
        _tx.write(s.replace("\r\n", "\n"))
