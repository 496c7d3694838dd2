"""Find the board's port: `auto` (the one USB serial adapter ESP8266 boards carry),
`id:SERIAL` (the adapter with that USB serial number), and a listing for `hil ports`.

USB ids of the adapters on ESP8266 boards:
- WCH CH340G/CH340C 1A86:7523: NodeMCU v3 / "LoLin" boards;
- WCH CH9102F 1A86:55D4: newer NodeMCU and Wemos D1 mini boards (WCH's CH9102
  datasheet; Linux cdc-acm / ch341 drivers list it);
- Silicon Labs CP2102/CP2104 10C4:EA60: NodeMCU DEVKIT 1.0 (its schematic;
  mpremote's transport_serial.py names the same vendor id);
- FTDI FT232R 0403:6001 and FT231X 0403:6015: Adafruit HUZZAH and SparkFun
  ESP8266 Thing boards (their schematics; Linux ftdi_sio).

``id:SERIAL`` matches the USB serial number exactly, on any port, as mpremote's
``connect id:SERIAL`` does (mpremote/commands.py ``do_connect``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import serial.tools.list_ports
from serial.tools.list_ports_common import ListPortInfo

from hil.errors import PortNotFoundError

ADAPTERS: dict[tuple[int, int], str] = {
    (0x1A86, 0x7523): "CH340",
    (0x1A86, 0x55D4): "CH9102",
    (0x10C4, 0xEA60): "CP210x",
    (0x0403, 0x6001): "FTDI FT232R",
    (0x0403, 0x6015): "FTDI FT231X",
}
BY_ID = Path("/dev/serial/by-id")  # udev's stable names (serial number in the name)


@dataclass(frozen=True)
class PortEntry:
    """One serial port as `hil ports` shows it."""

    device: str
    usb_id: str               # "1A86:7523", or "" when not USB
    chip: str                 # "CH340", ..., or "" when not a known ESP8266 adapter
    serial_number: str
    location: str             # USB bus-port path, e.g. "1-1.2:1.0"
    description: str
    by_id: str                # /dev/serial/by-id/... link to it, or ""

    @property
    def candidate(self) -> bool:
        return bool(self.chip)

    def line(self) -> str:
        parts = [self.device, self.usb_id or "not USB"]
        if self.chip:
            parts.append(self.chip)
        parts.append(f"serial {self.serial_number or '?'}")
        parts.append(f"location {self.location or '?'}")
        if self.by_id:
            parts.append(self.by_id)
        return "  ".join(parts)

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "candidate": self.candidate}


def list_ports(ports: Iterable[ListPortInfo] | None = None) -> list[PortEntry]:
    """Every serial port, the ESP8266 adapters first (``ports``: pyserial's comports())."""
    found = list(serial.tools.list_ports.comports() if ports is None else ports)
    links = _by_id_links()
    entries = [_entry(p, links) for p in found]
    return sorted(entries, key=lambda e: (not e.candidate, e.device))


def discover_port(ports: Iterable[ListPortInfo] | None = None) -> str:
    """The device path of the single known adapter; none or several -> PortNotFoundError."""
    entries = list_ports(ports)
    candidates = [e for e in entries if e.candidate]
    if len(candidates) == 1:
        return candidates[0].device
    if not candidates:
        others = ", ".join(f"{e.device} ({e.usb_id or 'not USB'})" for e in entries) or "none"
        known = ", ".join(f"{chip} ({vid:04X}:{pid:04X})" for (vid, pid), chip in ADAPTERS.items())
        raise PortNotFoundError(
            f"--port auto: no USB serial adapter of an ESP8266 board found (known: {known}); "
            f"serial ports present: {others}. Plug the board in with a data cable, or pass "
            f"--port PATH")
    listing = "; ".join(e.line() for e in candidates)
    raise PortNotFoundError(
        f"--port auto: {len(candidates)} candidate boards: {listing}. Pick one: --port PATH, "
        f"--port id:SERIAL, or its /dev/serial/by-id/ name (`hil ports` lists them)")


def discover_ports(ports: Iterable[ListPortInfo] | None = None) -> list[str]:
    """The device paths of every known adapter (``--port auto`` with several boards,
    ``pytest -n N``); none -> PortNotFoundError."""
    candidates = [e.device for e in list_ports(ports) if e.candidate]
    if not candidates:
        discover_port(ports)  # raises, naming the ports that are there
    return candidates


def port_by_serial(serial_number: str, ports: Iterable[ListPortInfo] | None = None) -> str:
    """The device path of the port whose USB serial number is ``serial_number``."""
    entries = list_ports(ports)
    for e in entries:
        if e.serial_number and e.serial_number == serial_number:
            return e.device
    known = ", ".join(f"{e.device} (serial {e.serial_number})" for e in entries
                      if e.serial_number) or "none with a serial number"
    raise PortNotFoundError(
        f"--port id:{serial_number}: no port has USB serial number {serial_number!r}; ports: "
        f"{known}. Check the number with `hil ports`; CH340 adapters often have none: use "
        f"the device path or its /dev/serial/by-path/ name instead")


def resolve_port(spec: str, ports: Iterable[ListPortInfo] | None = None) -> str:
    """``auto`` and ``id:SERIAL`` to a device path; anything else as given."""
    if spec == "auto":
        return discover_port(ports)
    if spec.startswith("id:"):
        return port_by_serial(spec[len("id:"):], ports)
    return spec


def _entry(p: ListPortInfo, links: dict[str, str]) -> PortEntry:
    usb = p.vid is not None and p.pid is not None
    return PortEntry(
        device=p.device,
        usb_id=f"{p.vid:04X}:{p.pid:04X}" if usb else "",
        chip=ADAPTERS.get((p.vid, p.pid), "") if usb else "",
        serial_number=p.serial_number or "",
        location=p.location or "",
        description=p.description if p.description and p.description != "n/a" else "",
        by_id=links.get(os.path.realpath(p.device), ""),
    )


def _by_id_links() -> dict[str, str]:
    """Device path -> its /dev/serial/by-id/ link (udev), where there is one."""
    try:
        return {os.path.realpath(link): str(link) for link in BY_ID.iterdir()}
    except OSError:
        return {}
