# Runs ON THE BOARD (MicroPython, ESP8266). Sent by the suite through the raw REPL.
#
# A virtual timer (machine.Timer(-1): a software timer of the ESP8266 port, its
# callback scheduled like a soft IRQ; MicroPython docs, esp8266 quickref
# "Timers") samples pins while the app under test owns the REPL, and records
# only the changes (time, bitmask) in buffers allocated before it starts, so the
# callback allocates as little as possible on a ~36 kB heap. It can also drive
# the bench's press actuator at a given time, because while the app's loop
# runs the host cannot send any command.
#
# Pins are read with Pin(id) (no mode): that returns the pin without
# reconfiguring it (ports/esp8266/machine_pin.c, mode -1 = unchanged), so the
# sampler observes the app's outputs without touching them.
#
# Plain functions and module globals, no class: the host sends this file one
# top-level statement at a time (the raw REPL compiles a paste as a whole and
# a big class does not fit a small heap).
import array
import time

import machine

_s = {}


def s_setup(pins, period_ms=5, size=256, press=-1, press_at_ms=-1, press_ms=0):
    _s["pins"] = [machine.Pin(g) for g in pins]
    _s["period"] = period_ms
    t = array.array("i")
    for _ in range(size):
        t.append(0)  # no [0] * size list: a pointer per item would not fit the heap
    _s["t"] = t
    _s["v"] = bytearray(size)
    # n, lost, samples, last, t0, now, pressed_at, released_at
    _s["k"] = [0, 0, 0, -1, 0, 0, -1, -1]
    _s["press"] = machine.Pin(press, machine.Pin.OUT, value=0) if press >= 0 else None
    _s["at"] = press_at_ms
    _s["end"] = press_at_ms + press_ms
    _s["tim"] = None


def s_press(k, now):
    p = _s["press"]
    if k[6] < 0 and now >= _s["at"]:
        p.value(1)
        k[6] = now
    elif k[6] >= 0 and k[7] < 0 and now >= _s["end"]:
        p.value(0)
        k[7] = now


def s_record(k, now, m):
    k[3] = m
    if k[0] < len(_s["v"]):
        _s["t"][k[0]] = now
        _s["v"][k[0]] = m
        k[0] += 1
    else:
        k[1] += 1


def s_tick(_t):
    k = _s["k"]
    now = time.ticks_diff(time.ticks_ms(), k[4])
    k[5] = now
    if _s["press"] is not None:
        s_press(k, now)
    m = 0
    i = 0
    for pin in _s["pins"]:
        m |= pin.value() << i
        i += 1
    k[2] += 1
    if m != k[3]:
        s_record(k, now, m)


def s_start():
    _s["k"][4] = time.ticks_ms()
    s_tick(None)
    tim = machine.Timer(-1)
    _s["tim"] = tim
    tim.init(period=_s["period"], mode=machine.Timer.PERIODIC, callback=s_tick)


def s_stop():
    k = _s["k"]
    if _s["tim"] is not None:
        _s["tim"].deinit()
    p = _s["press"]
    if p is not None:
        p.value(0)
        if k[6] >= 0 and k[7] < 0:
            k[7] = time.ticks_diff(time.ticks_ms(), k[4])
    k[5] = time.ticks_diff(time.ticks_ms(), k[4])


def s_dump():
    # A literal the host reads with ast.literal_eval:
    # (now, samples, lost, pressed_at, released_at, [(ms, bitmask), ...])
    k = _s["k"]
    return (k[5], k[2], k[1], k[6], k[7], [(_s["t"][i], _s["v"][i]) for i in range(k[0])])
