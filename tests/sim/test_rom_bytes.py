"""RomLoader against byte streams recorded from real ESP8266s (docs/protocols.md §1.2, §1.4).

Sans-IO: bytes in, bytes out, no port. The end-to-end behaviour with esptool is
in test_esptool_pty.py / test_esptool_rfc2217.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hil.sim.flash import Flash
from hil.sim.identity import Identity
from hil.sim.rom import RomLoader


@pytest.fixture
def rom(tmp_path: Path) -> tuple[RomLoader, list[bytes]]:
    out: list[bytes] = []
    loader = RomLoader(Flash(tmp_path / "flash.bin"), Identity((0x120000AB, 0x0000CDEF, 0, 0)),
                       on_tx=out.append, on_baud=lambda b: None, on_run_user_code=lambda: None)
    return loader, out


def test_sync_reply_is_byte_exact_and_repeated(rom: tuple[RomLoader, list[bytes]]) -> None:
    loader, out = rom
    sync = bytes.fromhex("c0000824000000000007071220") + b"\x55" * 32 + b"\xc0"
    loader.rx(b"\r\n>>> " + sync)  # stray bytes before the frame are ignored
    # A real chip's reply (3P: ESP8266 factory flasher expects exactly this frame).
    assert out == [bytes.fromhex("c001080200070712200000c0")] * 8


def test_read_reg_reply_has_value_and_two_status_bytes(rom: tuple[RomLoader, list[bytes]]) -> None:
    loader, out = rom
    loader.rx(bytes.fromhex("c0000a040000000000" "14000060" "c0"))  # READ_REG 0x60000014
    # Shape of a real reply (3P esptool GH397): 01 0a 0200 c4010000 0000
    assert out == [bytes.fromhex("c0010a0200c40100000000c0")]


def test_efuses_give_the_documented_mac(rom: tuple[RomLoader, list[bytes]]) -> None:
    loader, _ = rom
    # docs/protocols.md §1.5 (RUN): mac0=0x120000AB, mac1=0xCDEF -> 18:fe:34:cd:ef:12
    assert loader.identity.mac_str == "18:fe:34:cd:ef:12"
    assert loader.read_reg(0x3FF00050) == 0x120000AB
    assert loader.read_reg(0x40001000) == 0xFFF0C101


def test_split_frames_and_escapes(rom: tuple[RomLoader, list[bytes]]) -> None:
    loader, out = rom
    # WRITE_REG of a value containing C0 and DB bytes, fed one byte at a time.
    frame = bytes.fromhex("c00009100000000000" "04020060" "dbdcdbdd0000" "ffffffff" "00000000c0")
    for b in frame:
        loader.rx(bytes([b]))
    assert out == [bytes.fromhex("c00109020007071220" "0000c0")]
    assert loader.read_reg(0x60000204) == 0x0000DBC0


def test_stub_only_command_in_rom_gets_invalid_message(rom: tuple[RomLoader, list[bytes]]) -> None:
    loader, out = rom
    loader.rx(bytes.fromhex("c000d0000000000000c0"))  # ERASE_FLASH: the stub's, not the ROM's
    assert out == [bytes.fromhex("c001d00200070712200105c0")]


def test_bad_checksum_reply_matches_a_real_rom(rom: tuple[RomLoader, list[bytes]]) -> None:
    loader, out = rom
    loader.rx(bytes.fromhex("c00002100000000000" "00040000" "01000000" "00040000" "00000000c0"))
    out.clear()
    block = b"\x11" * 0x400
    header = (0x400).to_bytes(4, "little") + bytes(12)
    payload = header + block
    loader.rx(b"\xc0\x00\x03" + len(payload).to_bytes(2, "little") + bytes(4) + payload + b"\xc0")
    # 3P (esp8266.com t=18659): C0 01 03 02 00 07 07 12 20 01 07 C0
    assert out == [bytes.fromhex("c00103020007071220" "0107c0")]
