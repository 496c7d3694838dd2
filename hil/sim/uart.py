"""UART0 of the twin: bytes move at the baud rate, and a baud mismatch garbles them.

Known behaviours modelled:

- 8N1 framing: 10 bit times per byte, so 115200 baud moves 11520 bytes/s.
  Pacing uses monotonic deadlines per chunk (a few ms of bytes at a time),
  never a sleep per byte; the average rate is exact because each deadline
  starts where the previous one ended.
- A receiver at another baud than the sender samples the line at the wrong
  times. `garble()` simulates exactly that on the bit stream (start bit edge,
  mid-bit sampling, framing error -> NUL as Linux delivers it in raw mode), so
  the ROM's 74880-baud boot text looks at 115200 the way it does on a real
  terminal: deterministic garbage, about 1.5 bytes per byte sent.
- The chip's baud changes (ROM boot text -> firmware at 115200, stub
  CHANGE_BAUDRATE) take effect after the bytes already queued at the old
  rate have left, as the reply to CHANGE_BAUDRATE goes out at the old rate.
- Link faults (hil/sim/link.py) hit bytes on the wire, before the receiver
  decodes them: a flipped or lost byte, both directions.
- The host side of each endpoint (pty termios, RFC2217 SET_BAUDRATE) is read
  per chunk, so a client that switches baud is followed at once.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from hil.sim.link import LinkFaults

DEFAULT_BAUD = 115200
BITS_PER_BYTE = 10  # start + 8 data + stop
CHUNK_SECONDS = 0.004  # granularity of pacing: bytes released at most every 4 ms
BAUD_TOLERANCE = 0.03  # UARTs resynchronise on every start bit: ~3 % error still works


class HostEndpoint(Protocol):
    """The host end of a cable (pty or RFC2217 client)."""

    name: str

    @property
    def baud(self) -> int: ...

    def deliver(self, data: bytes) -> None: ...


def same_baud(a: int, b: int) -> bool:
    return abs(a - b) <= BAUD_TOLERANCE * max(a, b)


def garble(data: bytes, tx_baud: int, rx_baud: int) -> bytes:
    """What a receiver at `rx_baud` decodes from `data` sent at `tx_baud` (8N1)."""
    if same_baud(tx_baud, rx_baud):
        return bytes(data)
    bits: list[int] = []
    for b in data:
        bits.append(0)
        bits.extend((b >> i) & 1 for i in range(8))
        bits.append(1)
    n = len(bits)
    tx = 1.0 / tx_baud
    rx = 1.0 / rx_baud

    def level(t: float) -> int:
        i = int(t / tx)
        return bits[i] if i < n else 1

    out = bytearray()
    i = 0  # next tx bit index where a start edge may be found
    end = n * tx
    t = 0.0
    while True:
        # wait for the line to go low (start bit)
        i = max(i, int(t / tx))
        while i < n and bits[i] != 0:
            i += 1
        if i >= n:
            break
        start = max(t, i * tx)
        if level(start + 0.5 * rx) != 0:  # glitch, not a start bit
            t = start + 0.5 * rx
            continue
        value = 0
        for k in range(8):
            value |= level(start + (k + 1.5) * rx) << k
        stop = level(start + 9.5 * rx)
        out.append(value if stop else 0)  # framing error: Linux raw mode reads NUL
        t = start + 9.5 * rx
        if t >= end:
            break
    return bytes(out)


class _PacedLine:
    """One direction of the cable: a queue drained at the sender's baud by one thread."""

    def __init__(
        self,
        name: str,
        deliver: Callable[[bytes, int, str], None],
        resolve_baud: Callable[[int], int] = lambda b: b,
    ) -> None:
        self._deliver = deliver
        self._resolve_baud = resolve_baud
        self._items: deque[tuple[bytes, int, str] | Callable[[], None]] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._t = 0.0  # when the wire is free again
        self._thread = threading.Thread(target=self._run, name=f"uart-{name}", daemon=True)
        self._thread.start()

    def put(self, data: bytes, baud: int, tag: str) -> None:
        if not data:
            return
        with self._cond:
            self._items.append((bytes(data), baud, tag))
            self._cond.notify()

    def marker(self, fn: Callable[[], None]) -> None:
        """Run `fn` once everything queued before it has been sent."""
        with self._cond:
            self._items.append(fn)
            self._cond.notify()

    def purge(self) -> None:
        """Drop bytes not yet on the wire (markers still run: baud changes must not be lost)."""
        with self._cond:
            kept = [it for it in self._items if callable(it)]
            self._items.clear()
            self._items.extend(kept)

    def pending(self) -> int:
        with self._cond:
            return sum(len(it[0]) for it in self._items if not callable(it))

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=2.0)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._items and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                item = self._items.popleft()
                if callable(item):
                    chunk = None
                else:
                    data, queued_baud, tag = item
                    baud = self._resolve_baud(queued_baud)
                    size = max(1, int(baud / BITS_PER_BYTE * CHUNK_SECONDS))
                    chunk = data[:size]
                    if len(data) > size:
                        self._items.appendleft((data[size:], queued_baud, tag))
                    # the wire is busy until the last bit of this chunk is out
                    self._t = max(self._t, time.monotonic()) + len(chunk) * BITS_PER_BYTE / baud
                    deadline = self._t
                    while not self._closed:
                        left = deadline - time.monotonic()
                        if left <= 0:
                            break
                        self._cond.wait(left)
                    if self._closed:
                        return
            try:
                if chunk is None:
                    item()  # type: ignore[operator]
                else:
                    self._deliver(chunk, baud, tag)
            except Exception:  # a broken consumer must not stop the line
                import logging

                logging.getLogger(__name__).exception("uart delivery failed")


class Uart:
    """UART0 between the chip and the host endpoints (pty, RFC2217)."""

    def __init__(
        self,
        chip_rx: Callable[[bytes, str], None],
        baud: int = DEFAULT_BAUD,
        *,
        watch_host: Callable[[bytes, str], bool] | None = None,
    ) -> None:
        """`watch_host(data, source)` sees host bytes as sent (before any baud garbling),
        like an operator watching the host tool; returning True drops them."""
        self._chip_rx = chip_rx
        self._watch_host = watch_host
        # Noise on the wire (hil/sim/link.py): garbled or dropped bytes, both directions.
        self.link: LinkFaults | None = None
        self._chip_baud = baud
        self._endpoints: list[HostEndpoint] = []
        self._lock = threading.Lock()
        # The chip's TX queue holds baud 0: "the chip's baud when the byte leaves".
        self._to_host = _PacedLine("tx", self._deliver_to_host, lambda b: b or self._chip_baud)
        self._to_chip = _PacedLine("rx", self._deliver_to_chip)

    @property
    def chip_baud(self) -> int:
        return self._chip_baud

    def attach(self, endpoint: HostEndpoint) -> None:
        with self._lock:
            self._endpoints.append(endpoint)

    def detach(self, endpoint: HostEndpoint) -> None:
        with self._lock:
            if endpoint in self._endpoints:
                self._endpoints.remove(endpoint)

    def from_chip(self, data: bytes) -> None:
        """The chip transmits (queued behind earlier bytes and baud changes)."""
        self._to_host.put(data, 0, "chip")

    def from_host(self, data: bytes, baud: int, source: str) -> None:
        """A host endpoint sent `data` at `baud`."""
        self._to_chip.put(data, baud, source)

    def set_chip_baud(self, baud: int, *, after_tx: bool = True) -> None:
        """The chip reprograms its UART divider; by default after its queued TX has left."""
        if baud <= 0:
            raise ValueError(f"baud must be positive, not {baud}")

        def apply() -> None:
            self._chip_baud = baud

        if after_tx:
            self._to_host.marker(apply)
        else:
            apply()

    def after_tx(self, fn: Callable[[], None]) -> None:
        """Call `fn` (on the TX thread) once everything the chip queued so far is on the wire."""
        self._to_host.marker(fn)

    def purge_to_host(self) -> None:
        self._to_host.purge()

    def purge_to_chip(self) -> None:
        self._to_chip.purge()

    def tx_pending(self) -> int:
        return self._to_host.pending()

    def close(self) -> None:
        self._to_host.close()
        self._to_chip.close()

    def _deliver_to_host(self, data: bytes, baud: int, tag: str) -> None:
        chip = self._chip_baud
        if self.link is not None:
            data = self.link.corrupt(data, "tx")
        with self._lock:
            endpoints = list(self._endpoints)
        for ep in endpoints:
            ep.deliver(garble(data, chip, ep.baud))

    def _deliver_to_chip(self, data: bytes, baud: int, source: str) -> None:
        if self._watch_host is not None and self._watch_host(data, source):
            return
        if self.link is not None:
            data = self.link.corrupt(data, "rx")
        self._chip_rx(garble(data, baud, self._chip_baud), source)
