# Runs ON THE BOARD (MicroPython, ESP8266). The one board-side module for bench
# readings: the suite's tests, its failure messages and `hil diagnose` all send
# this file (hil.device.load) and call these functions through hil.diagnose.probe.
#
# Safety (docs/bench.md "Safety"): the stimulus only as open-drain (a push-pull
# high fighting a pressed button would be a short), probes and free pins only
# as inputs, the press actuator high only for the length of one window, and
# every pin put back by rest(). GPIO16 has no pull-up (docs/protocols.md §4;
# ports/esp8266/machine_pin.c: "Pin(16) doesn't support pull").
#
# Pull-ups, the same for every caller: at rest only the button has its pull-up
# (as the app configures it) and every other pin is a plain input; a window
# pulls up the pins it reads, and rest() takes those pull-ups off again. A free
# pin left pulled up on D5's net would hide a D5 pull-up that does not work
# (no-pullup), so D5's idle reading is taken from rest.
#
# Windows come back as "0101..." text: n reads period_ms apart, because a worn
# contact flickers and a floating input wanders, and one read would hide both.
import time

import machine

Pin = machine.Pin


def pin_in(g, pull=True):
    # 16: the chip's pin without a pull-up (hil/chip/esp8266.py NO_INTERNAL_PULL;
    # this file runs on the board and cannot import it)
    if pull and g != 16:
        return Pin(g, Pin.IN, Pin.PULL_UP)
    return Pin(g, Pin.IN)


def windows(pins, n=50, period_ms=10, pull=True):
    ps = [pin_in(g, pull) for g in pins]
    out = [bytearray(n) for _ in pins]
    for i in range(n):
        for j in range(len(ps)):
            out[j][i] = 48 + ps[j].value()
        time.sleep_ms(period_ms)
    return [bytes(b).decode() for b in out]


def stimulus(stim, pins, n=50, period_ms=10):
    # P1: open-drain low pulls row A to GND (value 1 = high impedance, never a
    # driven high); the windows show which pins followed. Released in finally,
    # so an exception never leaves row A held low.
    s = Pin(stim, Pin.OPEN_DRAIN, value=1)
    try:
        s.value(0)
        time.sleep_ms(5)
        out = windows(pins, n, period_ms)
    finally:
        s.value(1)
        Pin(stim, Pin.IN)
    return out


def press(g, on):
    # The press actuator (docs/bench.md "Press source"): high presses.
    Pin(g, Pin.OUT, value=1 if on else 0)


def pressed(act, pins, n=50, period_ms=10):
    # Windows while the actuator holds the button: high only for this window,
    # then low and back to an input (the board's pull-down on GPIO15 keeps it off).
    press(act, 1)
    try:
        time.sleep_ms(20)
        out = windows(pins, n, period_ms)
    finally:
        press(act, 0)
        Pin(act, Pin.IN)
    return out


def led(g):
    # Write 0 and 1 as the app does (Pin(g, OUT)), read the pad back each time
    # (value() reads the pad in every mode), then leave the pin an input, as
    # after reset. A damaged output reads another value than written (stuck-led).
    p = Pin(g, Pin.OUT, value=0)
    time.sleep_ms(2)
    a = p.value()
    p.value(1)
    time.sleep_ms(2)
    b = p.value()
    Pin(g, Pin.IN)
    return (a, b)


def levels(pins):
    # Pad levels without reconfiguring anything (Pin(id) keeps the mode).
    return [Pin(g).value() for g in pins]


def rest(button, inputs, stim, act):
    # The button as the app configures it, every other pin a plain input (as
    # after reset), the stimulus released, the actuator off.
    pin_in(button)
    for g in inputs:
        Pin(g, Pin.IN)
    if stim >= 0:
        Pin(stim, Pin.IN)
    if act >= 0:
        Pin(act, Pin.OUT, value=0)
        Pin(act, Pin.IN)
