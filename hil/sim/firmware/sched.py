# Runs INSIDE the twin's MicroPython process.
#
# Soft "interrupts" of the ESP8266 port: machine.Timer(-1) callbacks and Pin
# IRQ handlers. On the board both are queued with mp_sched_schedule() and run
# when the VM next handles pending events: between bytecodes, while sleeping
# (mp_hal_delay_us polls events) and while the REPL waits for input. Here they
# run from the sleep functions (port_time.py), from every pin-bus call and from
# the REPL's input wait (hal.rx_chr). A busy loop with neither (`while True:
# pass`) starves them, unlike on the board: documented limitation.
#
# Pin IRQs: the twin sees a pad change only when it looks, so IRQ pins are read
# at least every IRQ_POLL_MS while anything waits, and on every pin-bus call.
import sys
import time
import hal

IRQ_POLL_MS = 2

timers = []  # active Timer objects (attributes: _due, _period, _cb, _periodic)
irq_pins = []  # Pin objects with an active irq handler
_busy = False


def _report(e):
    # mp_call_function_1_protected prints the exception and carries on.
    import pyexec

    pyexec.print_exception(e)


def service():
    """Run due timer callbacks and pending pin IRQ handlers (not re-entrant)."""
    global _busy
    if _busy or not (timers or irq_pins):
        return
    _busy = True
    try:
        now = time.ticks_ms()
        for t in timers[:]:
            if t._cb is not None and time.ticks_diff(now, t._due) >= 0:
                if t._periodic:
                    t._due = time.ticks_add(t._due, t._period)
                    if time.ticks_diff(now, t._due) > 0:
                        t._due = time.ticks_add(now, t._period)  # late: skip, do not burst
                elif t in timers:
                    timers.remove(t)
                try:
                    t._cb(t)
                except KeyboardInterrupt:
                    raise
                except Exception as e:
                    _report(e)
        for p in irq_pins[:]:
            level = int(hal.call(b"r %d\n" % p._id))
            last = p._irq_last
            p._irq_last = level
            if last is None or last == level:
                continue
            edge = 1 if level else 2  # IRQ_RISING / IRQ_FALLING
            if p._irq_trigger & edge and p._irq_handler is not None:
                try:
                    p._irq_handler(p)
                except KeyboardInterrupt:
                    raise
                except Exception as e:
                    _report(e)
    finally:
        _busy = False


def next_due():
    """ms until something needs service(); -1 if nothing does."""
    if irq_pins:
        return IRQ_POLL_MS
    if not timers:
        return -1
    now = time.ticks_ms()
    best = -1
    for t in timers:
        d = time.ticks_diff(t._due, now)
        if d < 0:
            d = 0
        if best < 0 or d < best:
            best = d
    return best


hal._service = service
hal._next_due = next_due
