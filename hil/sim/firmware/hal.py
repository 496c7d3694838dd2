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
import sys
import select
import binascii

CONFIG = {}

_rx = open(0, "rb")
_tx = sys.stdout
_req = open(3, "wb")
_rep = open(4, "rb")
_poll = select.poll()
_poll.register(_rx, select.POLLIN)
_pos = 0
_intr = -1  # the interrupt char the host currently watches for
_service = None  # sched.service, set by sched.py (timers and pin IRQs while waiting)
_next_due = None  # sched.next_due: ms until the next timer, or -1


_seq = 0
in_call = 0  # 1 while a bus call waits for its reply: sched.py must not start another one
_b1 = bytearray(1)
_line = bytearray(128)  # the reply being read; kept across a KeyboardInterrupt
_line_mv = memoryview(_line)
_n = 0


def _reply():
    """The next whole reply line from fd 4 (without its newline); b"" when the host is gone.

    One byte per read(), stored before any branch: the VM raises a pending
    KeyboardInterrupt only at a branch (py/vm.c pending_exception_check) or when
    read() itself fails with EINTR, having taken nothing from the pipe
    (MP_HAL_RETRY_SYSCALL). So a Ctrl-C can never eat a byte of a reply, as
    readline() could (it drops the bytes it had collected: the pin-bus race).
    A reply never contains a NUL: a NUL read back means end of file.
    """
    global _n
    while True:
        _b1[0] = 0
        _rep.readinto(_b1)
        _line[_n] = _b1[0]
        _n += 1
        if _line[_n - 1] == 10:
            r = bytes(_line_mv[: _n - 1])
            _n = 0
            return r
        if _line[_n - 1] == 0:
            _n = 0
            return b""
        if _n == len(_line):
            _n = 0  # no reply is this long: a broken host; start over


def call(msg):
    """One pin-bus request -> its reply line (without the newline).

    The host turns Ctrl-C into SIGINT, so a KeyboardInterrupt can land anywhere
    in here; the request/reply pairs must never get out of step:
    - every request carries a tag (#N) that the host echoes; a whole reply with
      another tag is the leftover of a call that a KeyboardInterrupt cut short
      after its write, and is dropped;
    - replies are read without ever losing a byte (_reply);
    - a KeyboardInterrupt while waiting is held until the reply is in, then raised.
    """
    global _seq, in_call
    ki = None
    _seq = (_seq + 1) & 0xFFFF
    tag = b"#%d " % _seq
    in_call = 1
    try:
        _req.write(tag + msg)
        while True:
            try:
                r = _reply()
            except KeyboardInterrupt as e:
                ki = e
                continue
            if not r or r.startswith(tag):  # b"": the host is gone (the process is being killed)
                break
    finally:
        in_call = 0
    if ki is not None:
        raise ki
    return r[len(tag):] if r else r


def call_noreply(msg):
    """A request after which the host kills the process (reset, soft reset)."""
    _req.write(msg)
    while True:
        _reply()


def set_intr(c):
    """Tell the host which RX byte raises KeyboardInterrupt (-1: none)."""
    global _intr
    _intr = c
    call(b"intr %d\n" % c)


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
