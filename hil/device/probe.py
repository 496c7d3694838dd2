# Runs ON THE BOARD (MicroPython, ESP8266). Sent by hil.diagnose.probe through
# the raw REPL; every name starts with dg_ so it never clobbers bench_io's.
#
# Safety (docs/bench.md "Safety"): the stimulus only as open-drain
# (a push-pull high fighting a pressed button would be a short), probes and
# free pins only as inputs with pull-up, the press actuator high only for the
# length of one window, LED pins written only as the app writes them, and
# every pin put back at the end (dg_rest). GPIO16 has no pull-up
# (ports/esp8266/machine_pin.c: "Pin(16) doesn't support pull").
import time

import machine

Pin = machine.Pin


def dg_in(g, pull=True):
    if pull and g != 16:
        return Pin(g, Pin.IN, Pin.PULL_UP)
    return Pin(g, Pin.IN)


def dg_windows(pins, n=50, period_ms=10, pull=True):
    # n reads of each pin, period_ms apart, as "0101..." text: a worn contact
    # flickers, a floating input wanders; one read would hide both.
    ps = [dg_in(g, pull) for g in pins]
    out = [bytearray(n) for _ in pins]
    for i in range(n):
        for j in range(len(ps)):
            out[j][i] = 48 + ps[j].value()
        time.sleep_ms(period_ms)
    return [bytes(b).decode() for b in out]


def dg_stimulus(stim, pins, n=50, period_ms=10):
    # P1: open-drain low pulls row A to GND (value 1 = high impedance, never a
    # driven high); the reads show which pins followed. Released in finally,
    # so an exception never leaves row A held low.
    s = Pin(stim, Pin.OPEN_DRAIN, value=1)
    try:
        s.value(0)
        time.sleep_ms(5)
        out = dg_windows(pins, n, period_ms)
    finally:
        s.value(1)
        Pin(stim, Pin.IN)
    return out


def dg_pressed(press, pins, n=50, period_ms=10):
    # The press actuator (D8 through a transistor, docs/bench.md "Press source"):
    # high only while this window runs, then low and back to an input (the
    # board's pull-down on GPIO15 keeps it off).
    a = Pin(press, Pin.OUT, value=1)
    try:
        time.sleep_ms(20)
        out = dg_windows(pins, n, period_ms)
    finally:
        a.value(0)
        Pin(press, Pin.IN)
    return out


def dg_led(g):
    # Write 0 and 1 as the app does (Pin(g, OUT)), read the pad back each time
    # (value() reads the pad level in every mode: machine_pin.c), then put the
    # level back as it was.
    before = Pin(g).value()
    p = Pin(g, Pin.OUT, value=0)
    time.sleep_ms(2)
    a = p.value()
    p.value(1)
    time.sleep_ms(2)
    b = p.value()
    p.value(before)
    return (a, b)


def dg_levels(pins):
    # Pad levels without reconfiguring anything (Pin(id) keeps the mode).
    return [Pin(g).value() for g in pins]


def dg_rest(button, inputs, stim, press):
    # The button as the app configures it, probes and free pins as plain
    # inputs (as after reset), the stimulus released, the actuator off.
    dg_in(button)
    for g in inputs:
        Pin(g, Pin.IN)
    if stim >= 0:
        Pin(stim, Pin.IN)
    if press >= 0:
        Pin(press, Pin.OUT, value=0)
        Pin(press, Pin.IN)
