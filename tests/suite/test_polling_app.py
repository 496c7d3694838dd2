"""The suite's LED test measures an app that polls without sleeping (issue 11).

The board's sampler is a Timer(-1); on the board its callbacks run between the
app's bytecodes, so an app that never sleeps and never touches a pin between
its LED changes is measured like one that sleeps. The twin must do the same.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_suite_on_twin import LEDS, run_suite

pytestmark = pytest.mark.slow

POLLING_MAIN = """\
import machine
import time

LED_PIN = 2  # D4
LED2_PIN = 16  # D0
BUTTON_PIN = 14  # D5


def blink():
    led = machine.Pin(LED_PIN, machine.Pin.OUT)
    led2 = machine.Pin(LED2_PIN, machine.Pin.OUT)
    button = machine.Pin(BUTTON_PIN, machine.Pin.IN, machine.Pin.PULL_UP)
    t0 = time.ticks_ms()
    phase = -1
    while True:  # polls the clock: no sleep, no pin call between the LED changes
        p = (time.ticks_diff(time.ticks_ms(), t0) // 500) & 1
        if p != phase:
            phase = p
            if not button.value():
                break
            if p == 0:
                led.on()
                led2.off()
            else:
                led.off()
                led2.on()
    led.on()
    led2.on()


blink()
"""


def test_the_led_test_measures_an_app_that_never_sleeps(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.py").write_text(POLLING_MAIN)
    run = run_suite(tmp_path, f"--app-dir={app}", select=LEDS)
    assert run.outcomes.get(LEDS) == "passed", run.describe()
    assert run.returncode == 0, run.describe()
