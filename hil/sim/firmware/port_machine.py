# Runs INSIDE the twin's MicroPython process: the ESP8266 port's `machine` module.
#
# Sources: ports/esp8266/machine_pin.c, modmachine.c, machine_rtc.c,
# esp_mphal.h; docs/protocols.md §4. Every pad access goes over the
# pin bus to the host's breadboard (`cfg`, `w`, `r`), so the bench decides what
# a pad reads.
import hal
import sched
import time as _t
import port_time

_VALID = (0, 1, 2, 3, 4, 5, 9, 10, 12, 13, 14, 15, 16)  # machine_pin.c pyb_pin_obj[]
_MODES = {0: "in", 1: "out", 2: "od"}


def _version():
    return tuple(hal.CONFIG.get("version_tuple", (1, 24, 1)))


def _pin_id(pin_id):
    if not isinstance(pin_id, int):
        if _version() < (1, 22):
            # v1.19: mp_obj_get_int() on the id
            raise TypeError("can't convert %s to int" % type(pin_id).__name__)
        raise ValueError("invalid pin")
    if pin_id not in _VALID:
        raise ValueError("invalid pin")
    return pin_id


class _PinIrq:
    def __init__(self, pin):
        self._pin = pin

    def __call__(self):
        h = self._pin._irq_handler
        if h is not None:
            h(self._pin)

    def trigger(self, new=None):
        old = self._pin._irq_trigger
        if new is not None:
            self._pin._irq_trigger = new
        return old


_pins = {}


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1
    IRQ_RISING = 1
    IRQ_FALLING = 2

    def __new__(cls, pin_id, *args, **kw):
        # The port has one static object per pad: Pin(2) is Pin(2).
        g = _pin_id(pin_id)
        p = _pins.get(g)
        if p is None:
            p = object.__new__(cls)
            p._id = g
            p._mode = 0
            p._latch = 0
            p._irq_handler = None
            p._irq_trigger = 3
            p._irq_last = None
            p._irq_obj = None
            _pins[g] = p
        return p

    def __init__(self, pin_id, *args, **kw):
        # Pin(id) alone returns the pad without reconfiguring it (mp_pin_make_new).
        if args or kw:
            self.init(*args, **kw)

    def init(self, mode=None, pull=None, *, value=None):
        if mode is None:
            raise TypeError("'mode' argument required")
        mode = int(mode)
        pull_up = False
        if pull is not None:
            pull = int(pull)
            if self._id == 16:
                raise ValueError("Pin(16) doesn't support pull")
            pull_up = bool(pull & 1)
        self._mode = mode
        v = b"-"
        if value is not None:
            self._latch = 1 if value else 0
            v = b"1" if self._latch else b"0"
        hal.call(b"cfg %d %s %d %s\n" % (self._id, _MODES.get(mode, "in").encode(), pull_up, v))
        sched.service()

    def value(self, v=None):
        if v is None:
            sched.service()
            return int(hal.call(b"r %d\n" % self._id))
        v = 1 if v else 0
        # pin_set(): an input ignores writes (latch unchanged), except GPIO16,
        # whose RTC output register is written whatever the mode.
        if self._mode != 0 or self._id == 16:
            self._latch = v
            hal.call(b"w %d %d\n" % (self._id, v))
        sched.service()

    def __call__(self, v=None):
        return self.value(v)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def irq(self, handler=None, trigger=3, *, hard=False):
        if self._id == 16:
            raise OSError("pin does not have IRQ capabilities")
        if hard:
            raise ValueError("hard IRQ not supported")
        self._irq_handler = handler
        self._irq_trigger = trigger
        if handler is not None:
            self._irq_last = int(hal.call(b"r %d\n" % self._id))
            if self not in sched.irq_pins:
                sched.irq_pins.append(self)
            sched.arm()
        elif self in sched.irq_pins:
            sched.irq_pins.remove(self)
        if self._irq_obj is None:
            self._irq_obj = _PinIrq(self)
        return self._irq_obj

    def __repr__(self):
        return "Pin(%d)" % self._id


if _version() >= (1, 25):

    def _toggle(self):
        # v1.25+: inverts the output latch (machine_pin.c pyb_pin_toggle)
        self.value(1 - self._latch)

    Pin.toggle = _toggle


class Signal:
    def __init__(self, pin, *args, invert=False, **kw):
        if not isinstance(pin, Pin):
            pin = Pin(pin, *args, **kw)
        elif args or kw:
            pin.init(*args, **kw)
        self._pin = pin
        self._invert = bool(invert)

    def value(self, v=None):
        if v is None:
            return self._pin.value() ^ self._invert
        self._pin.value((1 if v else 0) ^ self._invert)

    def __call__(self, v=None):
        return self.value(v)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)


class Timer:
    # ports/esp8266/machine_timer.c: os_timer based "virtual" timers, callbacks scheduled.
    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, timer_id=-1, **kw):
        self._id = timer_id
        self._cb = None
        self._period = 0
        self._due = 0
        self._periodic = True
        if kw:
            self.init(**kw)

    def init(self, *, mode=1, period=-1, tick_hz=1000, freq=-1, callback=None):
        self.deinit()
        if freq > 0:
            ms = 1000 / freq
        else:
            ms = period * 1000 / tick_hz
        self._period = max(1, int(ms))
        self._periodic = mode == Timer.PERIODIC
        self._cb = callback
        self._due = _t.ticks_add(hal.ticks_ms(), self._period)
        sched.timers.append(self)
        sched.arm()

    def deinit(self):
        if self in sched.timers:
            sched.timers.remove(self)

    def __repr__(self):
        return "Timer(%d)" % self._id if self._id != -1 else "Timer(-1)"


class RTC:
    def datetime(self, dt=None):
        if dt is None:
            y, mo, d, h, mi, s, wd, _ = port_time.gmtime()
            return (y, mo, d, wd, h, mi, s, 0)
        y, mo, d, _wd, h, mi, s = dt[:7]
        port_time._rtc_set(port_time.mktime((y, mo, d, h, mi, s, 0, 0)))

    def memory(self, data=None):
        global _rtc_mem
        if data is None:
            return _rtc_mem
        _rtc_mem = bytes(data)


_rtc_mem = b""


class ADC:
    # The NodeMCU's A0; nothing is wired to it on the reference bench.
    def __init__(self, adc_id=0):
        if adc_id not in (0, 1):
            raise ValueError("invalid ADC id")
        self._id = adc_id

    def read(self):
        return 65535 if self._id == 1 else 0

    def read_u16(self):
        return 0


# reset causes: ports/esp8266/modmachine.c (SDK rst_reason values)
PWRON_RESET = 0
WDT_RESET = 1
SOFT_RESET = 4
DEEPSLEEP_RESET = 5
HARD_RESET = 6
DEEPSLEEP = 4

_freq = 80000000


def reset():
    # The chip restarts: the host kills this process and boots a new one.
    hal.call_noreply(b"reset\n")


def soft_reset():
    raise SystemExit


def reset_cause():
    return hal.CONFIG.get("reset_cause", HARD_RESET)


def freq(f=None):
    global _freq
    if f is None:
        return _freq
    if f not in (80000000, 160000000):
        raise ValueError("frequency can only be either 80Mhz or 160MHz")
    _freq = f


def unique_id():
    return bytes(hal.CONFIG.get("unique_id", [0, 0, 0, 0]))


def idle():
    port_time.sleep_ms(0)


def lightsleep(ms=None):
    if ms is not None:
        port_time.sleep_ms(ms)


def disable_irq():
    return 0


def enable_irq(state=0):
    pass


def time_pulse_us(pin, pulse_level, timeout_us=1000000):
    t0 = hal.ticks_us()
    while pin.value() != pulse_level:
        if _t.ticks_diff(hal.ticks_us(), t0) > timeout_us:
            return -2
    t1 = hal.ticks_us()
    while pin.value() == pulse_level:
        if _t.ticks_diff(hal.ticks_us(), t1) > timeout_us:
            return -1
    return _t.ticks_diff(hal.ticks_us(), t1)
