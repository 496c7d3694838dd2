"""The ESP8266 on a NodeMCU (ESP-12E/F, 4 MB flash): pins, labels, straps, pulls, LEDs, flash.

Constants only, no behaviour. Sources: MicroPython ``ports/esp8266/machine_pin.c``
(valid pins, pulls; docs/protocols.md §4), the Arduino core's
``variants/nodemcu/pins_arduino.h`` (labels, LEDs), the ROM's boot modes
(docs/protocols.md §2.1), MicroPython ``ports/esp8266/modules/flashbdev.py``
(filesystem layout), and docs/bench.md "The board".
"""

from __future__ import annotations

NAME = "ESP8266"
BOARD = "NodeMCU (ESP-12E/F)"

# -- pins --------------------------------------------------------------------------
# machine.Pin accepts these ids; others raise ValueError("invalid pin").
VALID_PINS = frozenset({0, 1, 2, 3, 4, 5, 9, 10, 12, 13, 14, 15, 16})
# The NodeMCU's silk-screen labels.
LABELS: dict[int, str] = {
    16: "D0", 5: "D1", 4: "D2", 0: "D3", 2: "D4", 14: "D5", 12: "D6", 13: "D7", 15: "D8",
    3: "RX", 1: "TX", 9: "SD2", 10: "SD3",
}
GPIO_OF_LABEL: dict[str, int] = {label: g for g, label in LABELS.items()}
UART_PINS = frozenset({1, 3})  # UART0, the REPL
FLASH_PINS = frozenset({9, 10})  # wired to the flash chip on most modules
# Pins a bench may use for its own wiring (everything but the UART and the flash).
USABLE_PINS = VALID_PINS - UART_PINS - FLASH_PINS

# Boot straps, read at reset: GPIO0 low = serial bootloader (the FLASH button),
# GPIO2 must be high, GPIO15 must be low (boot mode (x, y), docs/protocols.md §2.1).
STRAP_PINS = frozenset({0, 2, 15})
FLASH_STRAP = 0  # where a button held at reset enters the bootloader
# The NodeMCU's board resistors that keep the straps right at reset.
BOARD_PULL_UP = frozenset({0, 2})
BOARD_PULL_DOWN = frozenset({15})
# GPIO16 lives in the RTC block: no internal pull-up ("Pin(16) doesn't support pull").
NO_INTERNAL_PULL = frozenset({16})

# On-board LEDs: the ESP-12 module's on GPIO2, the NodeMCU's on GPIO16; both
# light when the pin is 0 (active-low).
LEDS: dict[int, bool] = {2: True, 16: True}  # gpio -> active_low

# -- flash ---------------------------------------------------------------------------
FLASH_SIZE = 0x400000  # 4 MiB: the ESP-12E/F's 32 Mbit part
FIRMWARE_OFFSET = 0x0  # MicroPython's firmware.bin is written at 0
# LittleFS2 (block size 4096) over [FS_START, FS_END): the last 20 KiB are the
# SDK's parameter sectors (flashbdev.py, boards with >= 1 MiB flash).
FS_START = 0x100000
FS_END = 0x3FB000
SECTOR_SIZE = 0x1000


def label(gpio: int) -> str:
    """The board's name for a pin: its silk-screen label, else GPIO<n>."""
    return LABELS.get(gpio, f"GPIO{gpio}")
