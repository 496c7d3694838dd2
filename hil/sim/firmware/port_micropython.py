# Runs INSIDE the twin's MicroPython process: the board's `micropython` module.
#
# The ESP8266 build's names only (py/modmicropython.c at v1.24.1 with the port's
# options: no mem_total/mem_current/mem_peak, which are unix-only MICROPY_MEM_STATS;
# RingIO from v1.23). kbd_intr(c) moves the *virtual* interrupt char the host
# watches on UART RX (ports/esp8266/uart.c raises KeyboardInterrupt for it instead
# of buffering it). The unix port's own kbd_intr is never called: it would
# uninstall the SIGINT handler (unix_mphal.c) and a late signal would kill the board.
import micropython as _m

import hal

const = _m.const
opt_level = _m.opt_level
mem_info = _m.mem_info
qstr_info = _m.qstr_info
stack_use = _m.stack_use
heap_lock = _m.heap_lock
heap_unlock = _m.heap_unlock
schedule = _m.schedule
if tuple(hal.CONFIG.get("version_tuple", (1, 24, 1))) >= (1, 23) and hasattr(_m, "RingIO"):
    RingIO = _m.RingIO


def alloc_emergency_exception_buf(size):
    # the unix port's buffer is static: nothing to allocate
    pass


def kbd_intr(c):
    c = int(c)
    hal.set_intr(c if c >= 0 else -1)
