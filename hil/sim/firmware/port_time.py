# Runs INSIDE the twin's MicroPython process: the board's `time` module.
#
# Everything of the unix port's time module, except:
# - the sleeps run timer callbacks and pin IRQs while they wait (sched.py), as
#   the ESP8266's mp_hal_delay_us handles pending events;
# - time()/localtime()/gmtime()/mktime() use the ESP8266's epoch (2000-01-01)
#   and the RTC (machine.RTC().datetime(...) sets it; it starts at the epoch);
# - ticks_ms/ticks_us (and everything above) read the board's clock, hal.ticks_ms:
#   the host's minus the time the host did not run the process (hal.stalled).
from time import *  # noqa: F401,F403  ticks_add, ticks_diff, ...
import time as _t
import sched

import hal

ticks_ms = hal.ticks_ms
ticks_us = hal.ticks_us

EPOCH_2000 = 946684800  # seconds from 1970-01-01 to 2000-01-01 (the unix port uses 1970)

_rtc_base = 0  # seconds since 2000 at _rtc_t0
_rtc_t0 = hal.ticks_ms()


SLICE_MS = 10  # a sleep looks for an offered Ctrl-C this often (hal.take_ctrl_c)


def sleep_ms(ms):
    ms = int(ms)
    if ms <= 0:
        hal.take_ctrl_c()
        sched.service()
        return
    deadline = _t.ticks_add(hal.ticks_ms(), ms)
    while True:
        hal.take_ctrl_c()
        sched.service()
        left = _t.ticks_diff(deadline, hal.ticks_ms())
        if left <= 0:
            return
        nxt = sched.next_due()
        if 0 <= nxt < left:
            left = nxt if nxt > 0 else 1
        if left > SLICE_MS and hal.intr_char() >= 0:
            left = SLICE_MS
        since = hal.host_ms()
        _t.sleep_ms(left)
        hal.stalled(since, left)  # a late wake-up is the host's, not the board's


def sleep_us(us):
    us = int(us)
    if us >= 1000 and (sched.timers or sched.irq_pins):
        sleep_ms(us // 1000)
        us %= 1000
    if us > 0:
        _t.sleep_us(us)


def sleep(s):
    if isinstance(s, int):
        sleep_ms(s * 1000)
    else:
        us = int(s * 1000000)
        sleep_ms(us // 1000)
        if us % 1000:
            _t.sleep_us(us % 1000)


def time():
    return _rtc_base + _t.ticks_diff(hal.ticks_ms(), _rtc_t0) // 1000


def time_ns():
    return (_rtc_base * 1000 + _t.ticks_diff(hal.ticks_ms(), _rtc_t0)) * 1000000


def gmtime(secs=None):
    if secs is None:
        secs = time()
    return _t.gmtime(int(secs) + EPOCH_2000)


localtime = gmtime


def mktime(tup):
    # seconds from 2000-01-01, UTC (the host's mktime would apply its time zone)
    y, m, d, hh, mm, ss = tup[0], tup[1], tup[2], tup[3], tup[4], tup[5]
    days = 0
    for yy in range(2000, y):
        days += 366 if (yy % 4 == 0 and (yy % 100 != 0 or yy % 400 == 0)) else 365
    mdays = (31, 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    for i in range(m - 1):
        days += mdays[i]
    days += d - 1
    return ((days * 24 + hh) * 60 + mm) * 60 + ss


def _rtc_set(secs2000):
    global _rtc_base, _rtc_t0
    _rtc_base = secs2000
    _rtc_t0 = hal.ticks_ms()
