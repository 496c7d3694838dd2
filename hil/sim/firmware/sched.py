# Runs INSIDE the twin's MicroPython process.
#
# Soft "interrupts" of the ESP8266 port: machine.Timer(-1) callbacks and Pin
# IRQ handlers. On the board both are queued with mp_sched_schedule() and run
# when the VM next handles pending events: between bytecodes, while sleeping
# (mp_hal_delay_us polls events) and while the REPL waits for input.
#
# Here a ticker thread (the unix port's _thread) wakes when the next timer is
# due and queues service() with micropython.schedule(): the VM runs it at the
# next branch of whatever runs, `while True: pass` included, as on the board
# (py/scheduler.c runs scheduled callbacks on the main thread only). service()
# also runs from the sleeps (port_time.py), after every pin call and while the
# REPL waits for input (hal.rx_chr). It never starts inside a pin-bus call
# (hal.in_call): the call's own service() afterwards does the work.
#
# Pin IRQs: the twin sees a pad change only when it looks, so IRQ pins are read
# at least every IRQ_POLL_MS while anything waits, and on every pin-bus call.
import time

import _thread
import micropython

import hal
import pyexec

IRQ_POLL_MS = 2
QUEUE_DEPTH = 4  # py/mpconfig.h MICROPY_SCHEDULER_DEPTH (the ESP8266 port keeps the default)
TICK_MAX_MS = 20  # the ticker looks at least this often (a timer added meanwhile)

timers = []  # active Timer objects (attributes: _due, _period, _cb, _periodic)
irq_pins = []  # Pin objects with an active irq handler
_busy = False


def _report(e):
    # mp_call_function_1_protected prints the exception and carries on.
    pyexec.print_exception(e)


def service():
    """Run due timer callbacks and pending pin IRQ handlers (not re-entrant)."""
    global _busy
    if _busy:
        return
    if not (timers or irq_pins):
        _st[0] = 0
        return
    _busy = True
    try:
        now = hal.ticks_ms()  # the board's clock
        # A timer overdue by STALL_MS or more: the host ran neither the ticker nor the VM
        # in time (the board's os_timer fires on time, its VM runs the callback at the next
        # bytecode). That is a host stall: the board's clock is held (hal.hold), so the
        # timer is on time and no callback is dropped for it.
        late = 0
        for t in timers:
            if t._cb is not None:
                late = max(late, time.ticks_diff(now, t._due))
        if late >= hal.STALL_MS:
            hal.hold(late)
            now = hal.ticks_ms()
        for t in timers[:]:
            if t._cb is not None and time.ticks_diff(now, t._due) >= 0:
                runs = 1
                if t._periodic:
                    # Late by less than a stall (above): the board's os_timer went on
                    # firing, each firing a queued callback, up to the schedule queue's
                    # depth (MICROPY_SCHEDULER_DEPTH, 4); later ones were dropped.
                    late = time.ticks_diff(now, t._due) // t._period
                    runs = min(1 + late, QUEUE_DEPTH)
                    t._due = time.ticks_add(t._due, t._period * (1 + late))
                elif t in timers:
                    timers.remove(t)
                while runs:
                    runs -= 1
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
        arm()


# Shared with the ticker thread through buffers only (no dict, list or object of
# the main thread is touched from there: the unix port runs threads without a GIL).
_st = bytearray(3)  # [0] timers or IRQs active, [1] service() queued and not yet run, [2] ticker started
_wait = bytearray(1)  # ms the ticker sleeps next (1..TICK_MAX_MS)
# time.sleep(float) is a real select() sleep on the unix port (time.sleep_ms polls
# every 0.5 ms); the floats are made here, so the ticker never allocates.
_SLEEPS = tuple(i / 1000 for i in range(TICK_MAX_MS + 1))


def _ticker(sleep, sleeps, schedule, kick, st, wait):
    while True:
        sleep(sleeps[wait[0]])
        if st[0] and not st[1]:
            st[1] = 1
            try:
                schedule(kick, None)
            except RuntimeError:  # the schedule queue is full (the user's own schedule() calls)
                st[1] = 0


def _kick(_):
    """What the ticker queued: service() at the VM's next branch."""
    _st[1] = 0
    if hal.in_call or _busy:
        return  # the running call is followed by service() (port_machine), or we are in it
    hal.no_take = 1  # an exception raised in here would be printed and dropped
    try:
        service()
    except KeyboardInterrupt:
        # A Ctrl-C (SIGINT) that struck while service() ran: have the host offer it
        # again, to be raised in the code that runs (hal.take_ctrl_c).
        hal.call(b"kbd\n")
    finally:
        hal.no_take = 0


def arm():
    """A timer or IRQ was added or has run: tell the ticker when to look next."""
    d = next_due()
    if d < 0:
        _st[0] = 0
        _wait[0] = TICK_MAX_MS
        return
    _wait[0] = max(1, min(d, TICK_MAX_MS))
    _st[0] = 1
    if not _st[2]:
        _st[2] = 1
        _thread.start_new_thread(_ticker, (time.sleep, _SLEEPS, micropython.schedule, _kick, _st, _wait))


def stop():
    """Soft reset: nothing more to schedule (the process ends next)."""
    _st[0] = 0


def next_due():
    """ms until something needs service(); -1 if nothing does."""
    if irq_pins:
        return IRQ_POLL_MS
    if not timers:
        return -1
    now = hal.ticks_ms()  # the board's clock
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
