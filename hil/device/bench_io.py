# Runs ON THE BOARD (MicroPython, ESP8266). Sent by the suite through the raw REPL.
#
# Small, safe pin operations for the on-board suite (docs/bench.md "Safety"): the
# stimulus probe only as open-drain (a push-pull high fighting a pressed button
# would be a short), probes and free pins as inputs with pull-up, the press
# actuator driven high only for a press. GPIO16 has no pull-up
# (ports/esp8266/machine_pin.c: "Pin(16) doesn't support pull").
import time

import machine

IN = machine.Pin.IN
PULL_UP = machine.Pin.PULL_UP


def pin_in(g, pull=True):
    if pull and g != 16:
        return machine.Pin(g, IN, PULL_UP)
    return machine.Pin(g, IN)


def rest(leds, inputs, stimulus, press):
    # Pins as after a reset: LEDs and probes inputs, the stimulus released
    # (high impedance), the actuator off (D8 also has a pull-down on the board).
    for g in leds:
        machine.Pin(g, IN)
    for g in inputs:
        pin_in(g)
    if stimulus >= 0:
        machine.Pin(stimulus, IN)
    if press >= 0:
        machine.Pin(press, machine.Pin.OUT, value=0)


def window(g, n=40, period_ms=5, pull=True):
    # n reads spaced period_ms apart: a worn contact flickers, a floating
    # input wanders; one read would hide both.
    p = pin_in(g, pull)
    out = bytearray(n)
    for i in range(n):
        out[i] = p.value()
        time.sleep_ms(period_ms)
    return bytes(out)


def windows(pins, n=40, period_ms=5):
    ps = [pin_in(g) for g in pins]
    out = [bytearray(n) for _ in pins]
    for i in range(n):
        for j in range(len(ps)):
            out[j][i] = ps[j].value()
        time.sleep_ms(period_ms)
    return [bytes(b) for b in out]


def stimulus(stim, button, others, n=40, period_ms=5):
    # P1: open-drain low pulls row A (the button's D5 side) to 0; D5 must
    # follow, and no other pin may (a misplaced W1 shows up as another drop).
    pins = [button] + list(others)
    idle = windows(pins, n, period_ms)
    s = machine.Pin(stim, machine.Pin.OPEN_DRAIN, value=1)
    try:
        s.value(0)
        time.sleep_ms(10)
        low = windows(pins, n, period_ms)
    finally:
        s.value(1)
        machine.Pin(stim, IN)
    time.sleep_ms(10)
    after = windows(pins, n, period_ms)
    return (idle, low, after)


def press(g, on):
    machine.Pin(g, machine.Pin.OUT, value=1 if on else 0)


def levels(pins):
    # Pad levels without reconfiguring the pins (Pin(id) leaves the mode as is).
    return [machine.Pin(g).value() for g in pins]


def led_readback(leds):
    # Write each LED pin 0 then 1 and read the pad back: a damaged output
    # reads another value than written (stuck-led). Active-low LEDs light
    # for a moment; the pins end as inputs, as after reset.
    out = []
    for g in leds:
        p = machine.Pin(g, machine.Pin.OUT, value=0)
        time.sleep_ms(2)
        a = p.value()
        p.value(1)
        time.sleep_ms(2)
        out.append((a, p.value()))
        machine.Pin(g, IN)
    return out


def survey(button, stim, others, ground, rail, act, leds, n=40, period_ms=5):
    # Every unattended reading of docs/bench.md's catalogue in one call.
    r = {"idle": window(button, n, period_ms)}
    if stim >= 0:
        idle, low, _ = stimulus(stim, button, others, n, period_ms)
        r["stim"] = low[0]
        r["others_idle"] = idle[1:]
        r["others_low"] = low[1:]
    if ground >= 0:
        r["p2"] = window(ground, n, period_ms)
    if rail >= 0:
        r["p3"] = window(rail, n, period_ms)
    if act >= 0:
        press(act, 1)
        try:
            time.sleep_ms(20)
            r["pressed"] = window(button, n, period_ms)
        finally:
            press(act, 0)
    r["leds"] = led_readback(leds)
    pin_in(button)
    return r
