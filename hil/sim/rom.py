"""The ESP8266 serial bootloader (ROM) and esptool's flasher stub, sans-IO.

Bytes from the UART go in through ``RomLoader.rx``; replies come out through
``on_tx``. Nothing here blocks, sleeps or owns a thread: pacing, baud rates on
the wire and the reset lines belong to the chip model (``hil/sim/chip.py``).

Known behaviours modelled (docs/protocols.md §1; esptool 5.6 ``loader.py``,
``targets/esp8266.py``, ``cmds.py``):

- SLIP frames, each with its own leading C0 (``hil/sim/slip.py``).
- Replies are ``01 op len u32-value data status(2)``. The ROM's ``value`` is a
  stale ``0x20120707`` except for READ_REG (3P forum captures); the stub's is 0,
  which is how esptool tells a running stub from the ROM at SYNC.
- Status bytes: ROM ``[1, code]`` (0x05 invalid message, 0x07 checksum error);
  stub ``[code, 0]`` with esptool's 0xC0..0xC9 / 0xFF codes. Checked against
  esptool (espressif/esptool bb72741): ``loader.py check_command`` takes the
  two bytes after the response data, fails when the first is non-zero, and
  ``util.py FatalError.WithResult`` reads them big-endian (``struct.unpack(">H")``)
  into its table: ``0x1xx`` ROM codes (0x105 "format of the received message is
  invalid", 0x107 "Checksum error") and ``0xC000``..``0xC900``/``0xFF00`` stub
  codes, which is exactly ``[1, code]`` and ``[code, 0]``.
- SYNC is answered 8 times: esptool reads one reply and then 7 more
  (``loader.py sync``: ``for _ in range(7): self.command()``).
- Unknown or unsupported commands: the ROM answers the same opcode with status
  ``01 05``; esptool reports that as FatalError 0x105. UNVERIFIED on silicon
  (docs/protocols.md §7 item 1), and esptool's sources expect something else of
  the ESP8266 ROM: ``loader.py command()`` raises UnsupportedCommandError only for a
  ``[!=0, 0x05]`` reply under *another* opcode than the request's, and drains 8
  such replies ("Unsupported command response is sent 8 times"), and
  ``cmds.py detect_chip`` says "UnsupportedCommandError: ESP8266/ESP32 ROM". Both
  are caught where esptool sends them (GET_SECURITY_INFO at connect: ``except
  (UnsupportedCommandError, FatalError)``); the twin keeps the same opcode and one
  reply because that path costs esptool a 0.2 s drain per command, and which
  opcode the ROM puts there is in no source we have. The stub answers ``FF 00``
  ("Command not implemented", esptool util.py).
- ROM flashing erases every sector covered by ``n_blocks * block_size`` at
  FLASH_BEGIN (a simplification of the ROM's erase-size quirk that esptool
  pre-distorts; docs/protocols.md §1.8). FLASH_BEGIN(0, 0) just attaches the flash.
- The stub is "running" once MEM_END jumps into code uploaded with MEM_DATA: it
  then says ``OHAI``. Its contents are not checked (the twin cannot run Xtensa code).
- FLASH_END / FLASH_DEFL_END: 0 = reboot, 1 = run user code (ROM) or stay (stub)
  (esptool ``flash_finish``: ``pkt = int(not reboot)``; docs/protocols.md §1.6). A
  reboot leaves the strapping pins as they were latched, so the chip comes back
  in the ROM loader; RUN_USER_CODE (stub) and FLASH_END(1) (ROM) boot the
  firmware through ``on_run_user_code``.
- CHANGE_BAUDRATE: the reply goes out at the old rate, then ``on_baud(new)``.
- READ_FLASH: ``block_size`` frames, at most ``max_unacked`` of them ahead of the
  host's 4-byte acks, then a 16-byte MD5 frame (docs/protocols.md §1.10).
- SPI0 "user command" registers answer RDID (0x9F) and SFDP (0x5A) like a
  Winbond W25Q32 (4 MiB) so esptool detects the flash size (docs/protocols.md §1.9).
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from hil.sim import slip
from hil.sim.errors import SimFlashError
from hil.sim.flash import SECTOR, Flash
from hil.sim.identity import Identity

# Opcodes (esptool ESPLoader.ESP_CMDS)
FLASH_BEGIN = 0x02
FLASH_DATA = 0x03
FLASH_END = 0x04
MEM_BEGIN = 0x05
MEM_END = 0x06
MEM_DATA = 0x07
SYNC = 0x08
WRITE_REG = 0x09
READ_REG = 0x0A
SPI_SET_PARAMS = 0x0B
SPI_ATTACH = 0x0D
CHANGE_BAUDRATE = 0x0F
FLASH_DEFL_BEGIN = 0x10
FLASH_DEFL_DATA = 0x11
FLASH_DEFL_END = 0x12
SPI_FLASH_MD5 = 0x13
GET_SECURITY_INFO = 0x14
ERASE_FLASH = 0xD0
ERASE_REGION = 0xD1
READ_FLASH = 0xD2
RUN_USER_CODE = 0xD3

ROM_OPS = frozenset(
    {FLASH_BEGIN, FLASH_DATA, FLASH_END, MEM_BEGIN, MEM_END, MEM_DATA, SYNC, WRITE_REG, READ_REG}
)

SYNC_PAYLOAD = b"\x07\x07\x12\x20" + b"\x55" * 32
SYNC_REPLIES = 8  # esptool: one command() then 7 more reads (loader.py sync())
ROM_STALE_VALUE = 0x20120707
CHECKSUM_SEED = 0xEF

# ROM error codes (second status byte; esptool util.py: 0x01xx)
ROM_INVALID_MSG = 0x05
# 0x106 is esptool's "Message is ok, but the running result is wrong" (util.py); that
# the ROM gives it for flash access out of range is UNVERIFIED (no source says which
# ROM operation yields it).
ROM_RESULT_WRONG = 0x06
ROM_CHECKSUM = 0x07
# Stub error codes (first status byte; esptool util.py: 0xC0xx..0xFFxx)
STUB_BAD_DATA_LEN = 0xC0
STUB_BAD_CHECKSUM = 0xC1
STUB_BAD_BLOCKSIZE = 0xC2
STUB_FAILED_SPI_OP = 0xC4
STUB_NOT_IN_FLASH_MODE = 0xC6
STUB_INFLATE_ERROR = 0xC7
STUB_TOO_MUCH_DATA = 0xC9
STUB_NOT_IMPLEMENTED = 0xFF

# Registers
CHIP_DETECT_MAGIC_REG = 0x40001000
CHIP_DETECT_MAGIC = 0xFFF0C101  # esptool ESP8266ROM.MAGIC_VALUE
UART_CLKDIV_REG = 0x60000014
UART_CLKDIV_115200 = 0x1C4  # a real 26 MHz chip at 115200 (3P esptool GH397)
SPI0 = 0x60000200
SPI_CMD = SPI0 + 0x00
SPI_ADDR = SPI0 + 0x04
SPI_USR = SPI0 + 0x1C
SPI_USR1 = SPI0 + 0x20
SPI_USR2 = SPI0 + 0x24
SPI_W0 = SPI0 + 0x40
SPI_CMD_USR = 1 << 18
SPI_USR_ADDR = 1 << 30
SPI_USR_MISO = 1 << 28

# Winbond W25Q32 (ESP-12E/F modules): JEDEC id EF 40 16 -> W0 = mfr | type<<8 | cap<<16
W25Q32_RDID = 0x1640EF


def _w25q32_sfdp() -> bytes:
    """A JESD216 SFDP table: header, one parameter header, basic flash parameters.

    Only the signature (esptool checks 0x50444653 at address 0) and the density
    word matter to clients; the rest follows JESD216 rev 1.0 layout.
    """
    t = bytearray(b"\xff" * 256)
    t[0:8] = b"SFDP" + bytes((0x00, 0x01, 0x00, 0xFF))  # rev 1.0, 1 parameter header
    t[8:16] = bytes((0x00, 0x00, 0x01, 0x09, 0x80, 0x00, 0x00, 0xFF))  # JEDEC basic, 9 dwords @0x80
    t[0x80:0x84] = bytes((0xE5, 0x20, 0xF1, 0xFF))
    t[0x84:0x88] = struct.pack("<I", 32 * 1024 * 1024 - 1)  # density in bits - 1
    return bytes(t)


W25Q32_SFDP = _w25q32_sfdp()


@dataclass
class _Download:
    """An open FLASH_BEGIN / FLASH_DEFL_BEGIN / MEM_BEGIN session."""

    kind: str  # "flash", "defl" or "mem"
    offset: int
    size: int
    block_size: int
    limit: int = 0  # bytes from offset that may be written
    written: int = 0
    inflater: object | None = None


@dataclass
class _Read:
    offset: int
    length: int
    block_size: int
    window: int
    sent: int = 0
    acked: int = 0
    md5: object = field(default_factory=hashlib.md5)


class RomLoader:
    """The bootloader side of esptool's serial protocol, ROM first, stub after upload."""

    def __init__(
        self,
        flash: Flash,
        identity: Identity,
        *,
        on_tx: Callable[[bytes], None],
        on_baud: Callable[[int], None],
        on_run_user_code: Callable[[], None],
        on_reboot: Callable[[], None] | None = None,
        baud: int = 115200,
    ) -> None:
        self.flash = flash
        self.identity = identity
        self._on_tx = on_tx
        self._on_baud = on_baud
        self._on_run_user_code = on_run_user_code
        self._on_reboot = on_reboot
        self.baud = baud
        self._decoder = slip.SlipDecoder()
        self.stub = False
        self._regs: dict[int, int] = {}
        self._download: _Download | None = None
        self._ram: list[tuple[int, bytes]] = []
        self._read: _Read | None = None
        self.halted = False  # after run-user-code / reboot: the owner takes over

    # -- public ---------------------------------------------------------------------------

    def rx(self, data: bytes) -> None:
        """Bytes that reached the chip's UART RX while it runs the bootloader."""
        for frame in self._decoder.feed(data):
            if self.halted:
                return  # the chip has left the loader; later bytes are not ours
            self._frame(frame)

    def reset(self) -> None:
        """Chip reset: back to a fresh ROM loader (the stub lived in RAM)."""
        self._decoder.reset()
        self.stub = False
        self._regs.clear()
        self._download = None
        self._ram.clear()
        self._read = None
        self.halted = False

    # -- framing --------------------------------------------------------------------------

    def _frame(self, frame: bytes) -> None:
        if self._read is not None:
            if len(frame) == 4:
                self._read_ack(struct.unpack("<I", frame)[0])
                return
            self._read = None  # the host gave up reading; treat as a new command
        if len(frame) < 8 or frame[0] != 0x00:
            return  # esptool's own reader also skips these; the ROM ignores them
        op, size, chk = struct.unpack_from("<BHI", frame, 1)
        data = frame[8:]
        if len(data) != size:
            self._fail(op, ROM_INVALID_MSG, STUB_BAD_DATA_LEN)
            return
        handler = self._handlers().get(op)
        if handler is None or (not self.stub and op not in ROM_OPS):
            self._fail(op, ROM_INVALID_MSG, STUB_NOT_IMPLEMENTED)
            return
        try:
            handler(op, data, chk)
        except SimFlashError:
            self._fail(op, ROM_RESULT_WRONG, STUB_FAILED_SPI_OP)
        except struct.error:
            self._fail(op, ROM_INVALID_MSG, STUB_BAD_DATA_LEN)

    def _handlers(self) -> dict[int, Callable[[int, bytes, int], None]]:
        return {
            SYNC: self._sync,
            READ_REG: self._read_reg_cmd,
            WRITE_REG: self._write_reg_cmd,
            FLASH_BEGIN: self._flash_begin,
            FLASH_DATA: self._flash_data,
            FLASH_END: self._flash_end,
            MEM_BEGIN: self._mem_begin,
            MEM_DATA: self._mem_data,
            MEM_END: self._mem_end,
            SPI_SET_PARAMS: self._ok,
            SPI_ATTACH: self._ok,
            CHANGE_BAUDRATE: self._change_baud,
            FLASH_DEFL_BEGIN: self._flash_begin,
            FLASH_DEFL_DATA: self._flash_data,
            FLASH_DEFL_END: self._flash_end,
            SPI_FLASH_MD5: self._md5,
            ERASE_FLASH: self._erase_flash,
            ERASE_REGION: self._erase_region,
            READ_FLASH: self._read_flash,
            RUN_USER_CODE: self._run_user_code,
        }

    def _send(self, payload: bytes) -> None:
        self._on_tx(slip.encode(payload))

    def _reply(self, op: int, value: int | None = None, data: bytes = b"", status: bytes = b"\0\0") -> None:
        if value is None:
            value = 0 if self.stub else ROM_STALE_VALUE
        body = data + status
        self._send(struct.pack("<BBHI", 0x01, op, len(body), value) + body)

    def _fail(self, op: int, rom_code: int, stub_code: int) -> None:
        status = bytes((stub_code, 0)) if self.stub else bytes((1, rom_code))
        self._reply(op, status=status)

    def _checksum_ok(self, op: int, payload: bytes, chk: int) -> bool:
        acc = CHECKSUM_SEED
        for b in payload:
            acc ^= b
        if acc != chk & 0xFF:
            self._fail(op, ROM_CHECKSUM, STUB_BAD_CHECKSUM)
            return False
        return True

    # -- commands -------------------------------------------------------------------------

    def _ok(self, op: int, data: bytes, chk: int) -> None:
        self._reply(op)

    def _sync(self, op: int, data: bytes, chk: int) -> None:
        if data != SYNC_PAYLOAD:
            self._fail(op, ROM_INVALID_MSG, STUB_BAD_DATA_LEN)
            return
        for _ in range(SYNC_REPLIES):
            self._reply(op)

    def _read_reg_cmd(self, op: int, data: bytes, chk: int) -> None:
        (addr,) = struct.unpack_from("<I", data)
        self._reply(op, value=self.read_reg(addr))

    def _write_reg_cmd(self, op: int, data: bytes, chk: int) -> None:
        if len(data) % 16 or not data:
            self._fail(op, ROM_INVALID_MSG, STUB_BAD_DATA_LEN)
            return
        for i in range(0, len(data), 16):
            addr, value, mask, _delay_us = struct.unpack_from("<IIII", data, i)
            self.write_reg(addr, value, mask)
        self._reply(op)

    def _flash_begin(self, op: int, data: bytes, chk: int) -> None:
        erase_size, n_blocks, block_size, offset = struct.unpack_from("<IIII", data)
        defl = op == FLASH_DEFL_BEGIN
        if self.stub:
            # The stub gets the exact byte count and erases what it will write.
            size = erase_size
            if block_size == 0 or block_size > 0x10000:
                self._fail(op, ROM_INVALID_MSG, STUB_BAD_BLOCKSIZE)
                return
        else:
            # ROM: erase every sector covered by the blocks (esptool pre-distorts
            # erase_size for the ROM's erase bug; the blocks are the truth).
            size = n_blocks * block_size
        if offset + max(size, n_blocks * block_size if not defl else 0) > self.flash.size:
            self._fail(op, ROM_RESULT_WRONG, STUB_FAILED_SPI_OP)
            return
        if size:
            start = offset - offset % SECTOR
            end = -(-(offset + size) // SECTOR) * SECTOR
            self.flash.erase_region(start, end - start)
        self._download = _Download(
            kind="defl" if defl else "flash",
            offset=offset,
            size=size,
            block_size=block_size,
            limit=size if defl else max(size, n_blocks * block_size),
            inflater=zlib.decompressobj() if defl else None,
        )
        self._reply(op)

    def _data_block(self, op: int, data: bytes, chk: int) -> tuple[int, bytes] | None:
        """(seq, payload) of a FLASH/MEM/DEFL_DATA block, or None after the error reply."""
        length, seq, _, _ = struct.unpack_from("<IIII", data)
        payload = data[16:]
        if len(payload) != length:
            self._fail(op, ROM_INVALID_MSG, STUB_BAD_DATA_LEN)
            return None
        if not self._checksum_ok(op, payload, chk):
            return None
        return seq, payload

    def _flash_data(self, op: int, data: bytes, chk: int) -> None:
        block = self._data_block(op, data, chk)
        if block is None:
            return
        seq, payload = block
        dl = self._download
        want = "defl" if op == FLASH_DEFL_DATA else "flash"
        if dl is None or dl.kind != want:
            self._fail(op, ROM_RESULT_WRONG, STUB_NOT_IN_FLASH_MODE)
            return
        if want == "defl":
            try:
                out = dl.inflater.decompress(payload)  # type: ignore[union-attr]
            except zlib.error:
                self._fail(op, ROM_RESULT_WRONG, STUB_INFLATE_ERROR)
                return
            addr = dl.offset + dl.written
        else:
            out = payload
            addr = dl.offset + seq * dl.block_size
        if addr + len(out) > dl.offset + dl.limit or addr + len(out) > self.flash.size:
            self._fail(op, ROM_RESULT_WRONG, STUB_TOO_MUCH_DATA)
            return
        self.flash.write(addr, out)
        dl.written = max(dl.written, addr + len(out) - dl.offset)
        self._reply(op)

    def _flash_end(self, op: int, data: bytes, chk: int) -> None:
        (stay,) = struct.unpack_from("<I", data) if len(data) >= 4 else (0,)
        self._download = None
        self._reply(op)
        if not stay:
            self._reboot()
        elif not self.stub:
            self._leave(self._on_run_user_code)

    def _mem_begin(self, op: int, data: bytes, chk: int) -> None:
        size, _blocks, block_size, offset = struct.unpack_from("<IIII", data)
        self._download = _Download("mem", offset, size, block_size)
        self._reply(op)

    def _mem_data(self, op: int, data: bytes, chk: int) -> None:
        block = self._data_block(op, data, chk)
        if block is None:
            return
        seq, payload = block
        dl = self._download
        if dl is None or dl.kind != "mem":
            self._fail(op, ROM_RESULT_WRONG, STUB_NOT_IN_FLASH_MODE)
            return
        self._ram.append((dl.offset + seq * dl.block_size, payload))
        self._reply(op)

    def _mem_end(self, op: int, data: bytes, chk: int) -> None:
        no_jump, entry = struct.unpack_from("<II", data)
        self._download = None
        self._reply(op)
        if no_jump:
            return
        if any(a <= entry < a + len(d) for a, d in self._ram):
            # esptool's stub starts, re-initialises the UART and greets.
            self.stub = True
            self._ram.clear()
            self._send(b"OHAI")
        # A jump anywhere else would run whatever is in RAM; the twin cannot,
        # so it stays in the loader (a real chip would most likely crash).

    def _change_baud(self, op: int, data: bytes, chk: int) -> None:
        new, _old = struct.unpack_from("<II", data)
        if not 300 <= new <= 4_000_000:
            self._fail(op, ROM_INVALID_MSG, STUB_BAD_DATA_LEN)
            return
        self._reply(op)  # still at the old rate
        self.baud = new
        self._on_baud(new)

    def _md5(self, op: int, data: bytes, chk: int) -> None:
        addr, size, _, _ = struct.unpack_from("<IIII", data)
        self._reply(op, data=self.flash.md5(addr, size))

    def _erase_flash(self, op: int, data: bytes, chk: int) -> None:
        self.flash.erase_all()
        self._reply(op)

    def _erase_region(self, op: int, data: bytes, chk: int) -> None:
        offset, size = struct.unpack_from("<II", data)
        if offset % SECTOR or size % SECTOR:
            self._fail(op, ROM_INVALID_MSG, STUB_BAD_DATA_LEN)
            return
        self.flash.erase_region(offset, size)
        self._reply(op)

    def _read_flash(self, op: int, data: bytes, chk: int) -> None:
        offset, length, block_size, window = struct.unpack_from("<IIII", data)
        if offset + length > self.flash.size:
            self._fail(op, ROM_RESULT_WRONG, STUB_FAILED_SPI_OP)
            return
        if block_size == 0 or block_size > 0x10000 or window == 0:
            self._fail(op, ROM_INVALID_MSG, STUB_BAD_BLOCKSIZE)
            return
        self._reply(op)
        self._read = _Read(offset, length, block_size, window)
        self._pump_read()

    def _pump_read(self) -> None:
        rd = self._read
        assert rd is not None
        if rd.length == 0:
            self._read = None
            self._send(rd.md5.digest())  # type: ignore[attr-defined]
            return
        while rd.sent < rd.length and rd.sent - rd.acked < rd.window * rd.block_size:
            n = min(rd.block_size, rd.length - rd.sent)
            chunk = self.flash.read(rd.offset + rd.sent, n)
            rd.md5.update(chunk)  # type: ignore[attr-defined]
            rd.sent += n
            self._send(chunk)

    def _read_ack(self, acked: int) -> None:
        rd = self._read
        assert rd is not None
        rd.acked = max(rd.acked, min(acked, rd.sent))
        if rd.acked >= rd.length:
            self._read = None
            self._send(rd.md5.digest())  # type: ignore[attr-defined]
        else:
            self._pump_read()

    def _run_user_code(self, op: int, data: bytes, chk: int) -> None:
        # No reply: esptool sends it with wait_response=False (loader.py soft_reset).
        self._leave(self._on_run_user_code)

    # -- leaving the loader ---------------------------------------------------------------

    def _reboot(self) -> None:
        """Software reset: the straps are still latched for download, so: ROM again."""
        if self._on_reboot is not None:
            self._leave(self._on_reboot)
        else:
            self.reset()

    def _leave(self, callback: Callable[[], None]) -> None:
        self.halted = True
        callback()

    # -- registers ------------------------------------------------------------------------

    def read_reg(self, addr: int) -> int:
        if addr == CHIP_DETECT_MAGIC_REG:
            return CHIP_DETECT_MAGIC
        efuse = self.identity.read_efuse(addr)
        if efuse is not None:
            return efuse
        if addr == UART_CLKDIV_REG:
            # The divider follows the baud (UART clock fixed); esptool reads it
            # at 115200 to tell a 26 MHz crystal from a 40 MHz one.
            return UART_CLKDIV_115200 * 115200 // self.baud
        return self._regs.get(addr, 0)

    def write_reg(self, addr: int, value: int, mask: int = 0xFFFFFFFF) -> None:
        old = self._regs.get(addr, 0)
        self._regs[addr] = (old & ~mask | value & mask) & 0xFFFFFFFF
        if addr == SPI_CMD and self._regs[addr] & SPI_CMD_USR:
            self._spi_user_command()
            self._regs[addr] &= ~SPI_CMD_USR  # done at once

    def _spi_user_command(self) -> None:
        usr = self._regs.get(SPI_USR, 0)
        usr1 = self._regs.get(SPI_USR1, 0)
        opcode = self._regs.get(SPI_USR2, 0) & 0xFF
        miso_bits = ((usr1 >> 8) & 0x1FF) + 1 if usr & SPI_USR_MISO else 0
        addr_len = ((usr1 >> 26) & 0x3F) + 1 if usr & SPI_USR_ADDR else 0
        addr = self._regs.get(SPI_ADDR, 0) >> (32 - addr_len) if addr_len else 0
        mask = (1 << miso_bits) - 1 if miso_bits < 32 else 0xFFFFFFFF
        if opcode == 0x9F:  # RDID
            result = W25Q32_RDID
        elif opcode == 0x5A:  # RDSFDP
            raw = W25Q32_SFDP[addr : addr + 4] if addr < len(W25Q32_SFDP) else b""
            result = int.from_bytes(raw.ljust(4, b"\xff"), "little")
        elif opcode in (0x05, 0x35, 0x15):  # status registers: idle, no protection
            result = 0
        else:  # 0x66/0x99 (soft reset) and others: no data
            return
        self._regs[SPI_W0] = result & mask
