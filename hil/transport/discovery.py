"""Find the one USB serial adapter of the kind ESP8266 boards carry.

NodeMCU boards use a WCH CH340 (USB id 1A86:7523) or a Silicon Labs CP2102
(10C4:EA60) (NodeMCU DEVKIT schematics; mpremote's transport_serial.py names
the same CP210x vendor id).
"""

from __future__ import annotations

import serial.tools.list_ports

from hil.errors import PortNotFoundError

ADAPTERS: dict[tuple[int, int], str] = {
    (0x1A86, 0x7523): "CH340",
    (0x10C4, 0xEA60): "CP210x",
}


def discover_port() -> str:
    """The device path of the single CH340/CP210x adapter; none or several -> error."""
    ports = list(serial.tools.list_ports.comports())
    candidates = [p for p in ports if (p.vid, p.pid) in ADAPTERS]
    if len(candidates) == 1:
        return candidates[0].device
    if not candidates:
        others = ", ".join(f"{p.device} ({_usb_id(p)})" for p in ports) or "none"
        raise PortNotFoundError(
            "--port auto: no CH340 (1A86:7523) or CP210x (10C4:EA60) USB serial adapter "
            f"found; serial ports present: {others}. Plug the board in with a data cable, "
            "or pass --port PATH")
    listing = ", ".join(f"{p.device} ({ADAPTERS[(p.vid, p.pid)]}, serial "
                        f"{p.serial_number or '?'})" for p in candidates)
    raise PortNotFoundError(
        f"--port auto: several candidate boards: {listing}; pass --port with the one to use")


def _usb_id(p: serial.tools.list_ports_common.ListPortInfo) -> str:
    if p.vid is None:
        return "not USB"
    return f"{p.vid:04X}:{p.pid:04X}"


def find_by_serial(serial_number: str) -> str:
    """The device path of the USB serial adapter with this serial number (stable across
    replugs and hubs, unlike /dev/ttyUSB0)."""
    ports = list(serial.tools.list_ports.comports())
    for p in ports:
        if p.serial_number and p.serial_number == serial_number:
            return p.device
    listing = ", ".join(f"{p.device} (serial {p.serial_number or 'none'})" for p in ports) \
        or "none"
    raise PortNotFoundError(
        f"--port {serial_number}: no USB serial adapter with that serial number; serial ports "
        f"present: {listing}. Plug the board in, or pass a device path or rfc2217:// URL")
