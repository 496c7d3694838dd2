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
import array
import time

import machine


class Sampler:
    def __init__(self, pins, period_ms=5, size=256, press=-1, press_at_ms=-1, press_ms=0):
        self.pins = [machine.Pin(g) for g in pins]
        self.period = period_ms
        self.t = array.array("i", [0] * size)
        self.v = bytearray(size)
        self.n = 0
        self.lost = 0
        self.samples = 0
        self.last = -1
        self.t0 = 0
        self.now = 0
        self.press = machine.Pin(press, machine.Pin.OUT, value=0) if press >= 0 else None
        self.press_at = press_at_ms
        self.press_end = press_at_ms + press_ms
        self.pressed_at = -1
        self.released_at = -1
        self.tim = None
        self.cb = self._tick  # one bound method, made once

    def _tick(self, _t):
        now = time.ticks_diff(time.ticks_ms(), self.t0)
        self.now = now
        p = self.press
        if p is not None:
            if self.pressed_at < 0 and now >= self.press_at:
                p.value(1)
                self.pressed_at = now
            elif self.pressed_at >= 0 and self.released_at < 0 and now >= self.press_end:
                p.value(0)
                self.released_at = now
        m = 0
        i = 0
        for pin in self.pins:
            m |= pin.value() << i
            i += 1
        self.samples += 1
        if m != self.last:
            self.last = m
            if self.n < len(self.v):
                self.t[self.n] = now
                self.v[self.n] = m
                self.n += 1
            else:
                self.lost += 1

    def start(self):
        self.t0 = time.ticks_ms()
        self._tick(None)
        self.tim = machine.Timer(-1)
        self.tim.init(period=self.period, mode=machine.Timer.PERIODIC, callback=self.cb)

    def stop(self):
        if self.tim is not None:
            self.tim.deinit()
        if self.press is not None:
            self.press.value(0)
            if self.pressed_at >= 0 and self.released_at < 0:
                self.released_at = time.ticks_diff(time.ticks_ms(), self.t0)
        self.now = time.ticks_diff(time.ticks_ms(), self.t0)

    def dump(self):
        # A literal the host reads with ast.literal_eval.
        return (self.now, self.samples, self.lost, self.pressed_at, self.released_at,
                [(self.t[i], self.v[i]) for i in range(self.n)])
