# Runs INSIDE the twin's MicroPython process: the board's `micropython` module.
#
# kbd_intr(c) moves the *virtual* interrupt char the host watches on UART RX
# (ports/esp8266/uart.c raises KeyboardInterrupt for it instead of buffering
# it). The unix port's own kbd_intr is never called: it would uninstall the
# SIGINT handler (unix_mphal.c) and a late signal would kill the board.
from micropython import *  # noqa: F401,F403
import hal


def kbd_intr(c):
    c = int(c)
    hal.set_intr(c if c >= 0 else -1)
