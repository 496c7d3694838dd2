"""The flash file, SLIP framing and the twin's identity (no IO beyond a temp file)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from hil.sim import slip
from hil.sim.errors import SimFlashError
from hil.sim.flash import FLASH_SIZE, SECTOR, Flash
from hil.sim.identity import Identity


def test_new_flash_is_4mib_erased(tmp_path: Path) -> None:
    with Flash(tmp_path / "flash.bin") as f:
        assert (tmp_path / "flash.bin").stat().st_size == FLASH_SIZE
        assert f.is_erased(0, FLASH_SIZE)


def test_writes_persist_in_the_file(tmp_path: Path) -> None:
    with Flash(tmp_path / "flash.bin") as f:
        f.write(0x123456, b"hello")
    raw = (tmp_path / "flash.bin").read_bytes()
    assert raw[0x123456:0x12345B] == b"hello"
    with Flash(tmp_path / "flash.bin") as f:
        assert f.read(0x123456, 5) == b"hello"


def test_programming_only_clears_bits(tmp_path: Path) -> None:
    with Flash(tmp_path / "flash.bin") as f:
        f.write(0, b"\xf0\x0f")
        f.write(0, b"\x3c\x3c")
        assert f.read(0, 2) == b"\x30\x0c"
        f.erase_sector(0)
        assert f.read(0, 2) == b"\xff\xff"


def test_erase_region_is_sector_aligned(tmp_path: Path) -> None:
    with Flash(tmp_path / "flash.bin") as f:
        f.write(SECTOR - 1, b"\x00\x00")
        f.erase_region(SECTOR, SECTOR)
        assert f.read(SECTOR - 1, 2) == b"\x00\xff"
        with pytest.raises(SimFlashError, match="aligned"):
            f.erase_region(100, SECTOR)


@pytest.mark.parametrize(("addr", "size"), [(FLASH_SIZE - 1, 2), (-1, 1), (FLASH_SIZE, 1)],
                         ids=["straddles-end", "negative", "past-end"])
def test_out_of_range_access_is_refused(tmp_path: Path, addr: int, size: int) -> None:
    with Flash(tmp_path / "flash.bin") as f:
        with pytest.raises(SimFlashError, match="outside"):
            f.read(addr, size)
        with pytest.raises(SimFlashError, match="outside"):
            f.write(addr, b"\x00" * size)


def test_md5_and_erase_all(tmp_path: Path) -> None:
    import hashlib

    with Flash(tmp_path / "flash.bin") as f:
        f.write(0x1000, b"abc")
        assert f.md5(0x1000, 0x1000) == hashlib.md5(b"abc" + b"\xff" * 0xFFD).digest()
        f.erase_all()
        assert f.is_erased(0, FLASH_SIZE)


def test_slip_round_trip_and_fresh_c0_per_frame() -> None:
    payloads = [b"\xc0\xdb plain", b"", b"\xdb\xdc", bytes(range(256))]
    wire = b"noise" + b"".join(slip.encode(p) for p in payloads)
    assert slip.encode(b"a")[:1] == b"\xc0" and slip.encode(b"a")[-1:] == b"\xc0"
    dec = slip.SlipDecoder()
    got = []
    for i in range(0, len(wire), 3):  # split anywhere
        got += dec.feed(wire[i : i + 3])
    assert got == [p for p in payloads if p]


def test_slip_bad_escape_drops_the_frame() -> None:
    dec = slip.SlipDecoder()
    assert dec.feed(b"\xc0ab\xdb\x01cd\xc0\xc0ok\xc0") == [b"ok"]


def test_identity_is_an_esp8266ex_and_stable(tmp_path: Path) -> None:
    path = tmp_path / "twin.json"
    path.write_text('{"other": 1}')
    a = Identity.load_or_create(path)
    b = Identity.load_or_create(path)
    assert a == b
    assert '"other": 1' in path.read_text()
    mac0, mac1, w2, _ = a.efuse
    assert not mac0 & 0x10 and not w2 & (1 << 16)  # not an ESP8285
    assert a.mac[:3] in (bytes.fromhex("18fe34"), bytes.fromhex("acd074"))
    assert a.chip_id == (mac0 >> 24) | ((mac1 & 0xFFFFFF) << 8)


def test_generated_identities_differ() -> None:
    rng = random.Random(1)
    assert Identity.generate(rng) != Identity.generate(rng)
