"""Which port is the board: `auto`, `id:SERIAL`, and `hil ports`.

No USB adapter is plugged into the machine that runs the tests, so the
discovery logic is fed pyserial ListPortInfo objects as pyserial's own
comports() builds them (the sysfs fields filled in), one per adapter kind.
`hil ports` itself runs against the machine's real ports.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from serial.tools.list_ports_common import ListPortInfo

from hil.errors import PortNotFoundError
from hil.transport.discovery import discover_port, list_ports, port_by_serial, resolve_port


def usb_port(device: str, vid: int, pid: int, serial_number: str | None = None,
             location: str = "1-1.2:1.0") -> ListPortInfo:
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid, info.pid, info.serial_number, info.location = vid, pid, serial_number, location
    info.description = "USB Serial"
    return info


UART = ListPortInfo("/dev/ttyS0", skip_link_detection=True)  # the PC's own UART: not USB


@pytest.mark.parametrize(("vid", "pid", "chip"), [
    (0x1A86, 0x7523, "CH340"), (0x1A86, 0x55D4, "CH9102"), (0x10C4, 0xEA60, "CP210x"),
    (0x0403, 0x6001, "FTDI FT232R"), (0x0403, 0x6015, "FTDI FT231X"),
])
def test_auto_picks_the_one_adapter_of_each_kind(vid: int, pid: int, chip: str) -> None:
    ports = [UART, usb_port("/dev/ttyUSB3", vid, pid, "A1B2"),
             usb_port("/dev/ttyACM0", 0x2341, 0x0043)]  # an Arduino Uno: not a candidate
    assert discover_port(ports) == "/dev/ttyUSB3"
    (entry,) = [e for e in list_ports(ports) if e.candidate]
    assert entry.chip == chip and entry.usb_id == f"{vid:04X}:{pid:04X}"


def test_auto_with_several_lists_them_all_and_says_how_to_pick() -> None:
    ports = [usb_port("/dev/ttyUSB0", 0x1A86, 0x7523, None, "1-1:1.0"),
             usb_port("/dev/ttyACM1", 0x1A86, 0x55D4, "5434012345", "1-2:1.0")]
    with pytest.raises(PortNotFoundError) as e:
        discover_port(ports)
    text = str(e.value)
    assert "2 candidate boards" in text
    assert "/dev/ttyUSB0  1A86:7523  CH340  serial ?  location 1-1:1.0" in text
    assert "/dev/ttyACM1  1A86:55D4  CH9102  serial 5434012345  location 1-2:1.0" in text
    assert "--port id:SERIAL" in text and "hil ports" in text


def test_auto_with_none_names_the_known_adapters_and_the_ports_present() -> None:
    with pytest.raises(PortNotFoundError) as e:
        discover_port([UART, usb_port("/dev/ttyACM0", 0x2341, 0x0043)])
    text = str(e.value)
    for known in ("CH340 (1A86:7523)", "CH9102 (1A86:55D4)", "CP210x (10C4:EA60)",
                  "(0403:6001)", "(0403:6015)"):
        assert known in text
    assert "/dev/ttyS0 (not USB)" in text and "/dev/ttyACM0 (2341:0043)" in text


def test_id_picks_by_usb_serial_number_as_mpremote_does() -> None:
    ports = [usb_port("/dev/ttyUSB0", 0x10C4, 0xEA60, "0001"),
             usb_port("/dev/ttyUSB1", 0x10C4, 0xEA60, "0002")]
    assert resolve_port("id:0002", ports) == "/dev/ttyUSB1"
    assert port_by_serial("0001", ports) == "/dev/ttyUSB0"
    assert resolve_port("/dev/ttyUSB7", ports) == "/dev/ttyUSB7"  # a path is kept as given
    with pytest.raises(PortNotFoundError, match=r"no port has USB serial number '0003'.*"
                                                r"/dev/ttyUSB0 \(serial 0001\)"):
        resolve_port("id:0003", ports)


def _hil(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hil.cli", *args], capture_output=True,
                          text=True, timeout=60, check=False)


def test_hil_ports_runs_and_lists_the_machines_ports() -> None:
    result = _hil("ports", "--all", "--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert sorted(p["device"] for p in listed) == sorted(e.device for e in list_ports())
    for p in listed:
        assert set(p) >= {"device", "usb_id", "chip", "serial_number", "location", "by_id",
                          "candidate"}
    plain = _hil("ports")
    assert plain.returncode == 0, plain.stderr
    if not any(p["candidate"] for p in listed):
        assert "no USB serial adapter of an ESP8266 board found" in plain.stdout


def test_auto_for_several_workers_takes_every_adapter() -> None:
    from hil.transport.discovery import discover_ports

    ports = [UART, usb_port("/dev/ttyUSB1", 0x1A86, 0x7523, None, "1-2:1.0"),
             usb_port("/dev/ttyUSB0", 0x10C4, 0xEA60, "0001", "1-1:1.0"),
             usb_port("/dev/ttyACM0", 0x2341, 0x0043)]  # an Arduino Uno: not a candidate
    assert discover_ports(ports) == ["/dev/ttyUSB0", "/dev/ttyUSB1"]
    with pytest.raises(PortNotFoundError, match="no USB serial adapter"):
        discover_ports([UART])
