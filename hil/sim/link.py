"""Link faults: what a bad USB cable, a flaky hub or a weak supply does to the bench.

Each fault is `KIND:RATE` (`hil sim --link-fault`, `POST /link`, `Twin(link_faults=...)`):

| kind | RATE means | effect |
|---|---|---|
| `garble` | probability per byte (0..1) | one random bit of the byte is flipped, both directions |
| `drop` | probability per byte (0..1) | the byte is lost, both directions |
| `unplug` | N seconds (> 0) | N s after it is set (and N s after every replug) the USB cable is pulled for `UNPLUG_SECONDS`: the pty and the RFC2217 port vanish, the board loses power; then it is plugged back (power-on boot) |
| `brownout` | mean resets per second (> 0) | the supply dips at random moments (a Poisson process: intervals are exponential with mean 1/RATE): the chip resets with rst cause 1 |

Per-byte faults hit the bytes on the wire, between the host's tool and the
chip's UART: after the pty/RFC2217 layer and before any baud-mismatch
decoding, so a garbled byte in an RFC2217 stream is a garbled serial byte,
never a broken Telnet sequence. Hits are drawn as geometric gaps between
bad bytes (exact for any rate, and cheap at 1e-4).

Why an unplug cuts power: a NodeMCU is powered from the same USB cable, so
pulling it stops the chip; plugging it back is a power-on boot (rst cause 1).
A replugged pty is a new `/dev/pts/N` (as a replugged adapter may be a new
`/dev/ttyUSBn`); the `--link` symlink follows it, as udev's by-id names do.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from hil.sim.errors import SimUsageError

KINDS = ("garble", "drop", "unplug", "brownout")
PER_BYTE = ("garble", "drop")
UNPLUG_SECONDS = 1.0  # how long the cable stays out (a USB re-enumeration takes about this)


class UnknownLinkFaultError(SimUsageError):
    """A link fault kind that does not exist; the message lists the valid ones."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        super().__init__(f"unknown link fault {', '.join(names)}; valid kinds: {', '.join(KINDS)} (as KIND:RATE)")


@dataclass(frozen=True)
class LinkFault:
    kind: str
    rate: float

    def spec(self) -> str:
        return f"{self.kind}:{self.rate:g}"


def parse_spec(spec: str) -> LinkFault:
    """`"garble:1e-4"` -> LinkFault; raises SimUsageError (UnknownLinkFaultError) with the fix."""
    if not isinstance(spec, str):
        raise SimUsageError(f"a link fault is a string KIND:RATE, not {type(spec).__name__}")
    kind, sep, rate_text = spec.strip().partition(":")
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise UnknownLinkFaultError([kind or spec])
    if not sep:
        raise SimUsageError(f"link fault {spec!r} has no rate: write {kind}:RATE ({_rate_help(kind)})")
    try:
        rate = float(rate_text)
    except ValueError:
        raise SimUsageError(f"link fault {spec!r}: {rate_text!r} is not a number ({_rate_help(kind)})") from None
    if not math.isfinite(rate) or rate < 0 or (kind in PER_BYTE and rate > 1) or (kind not in PER_BYTE and rate == 0):
        raise SimUsageError(f"link fault {spec!r}: rate out of range ({_rate_help(kind)})")
    return LinkFault(kind, rate)


def _rate_help(kind: str) -> str:
    return {
        "garble": "probability per byte, 0..1, e.g. garble:1e-4",
        "drop": "probability per byte, 0..1, e.g. drop:1e-4",
        "unplug": "seconds until the cable is pulled, > 0, e.g. unplug:30",
        "brownout": "mean resets per second, > 0, e.g. brownout:0.05",
    }[kind]


def clear_kind(spec: str) -> str:
    """The kind named by a `clear` entry: `"garble"` or `"garble:1e-4"` (the rate is ignored)."""
    if not isinstance(spec, str):
        raise SimUsageError(f"a link fault to clear is a kind name, not {type(spec).__name__}")
    kind = spec.strip().partition(":")[0].strip().lower()
    if kind not in KINDS:
        raise UnknownLinkFaultError([kind or spec])
    return kind


def _gap(rng: random.Random, p: float) -> int:
    """Clean bytes before the next hit, for a per-byte hit probability `p` (geometric)."""
    if p <= 0:
        return 1 << 62
    if p >= 1:
        return 0
    return int(math.log(1.0 - rng.random()) / math.log1p(-p))


class LinkFaults:
    """The active link faults, the per-byte corruption, and the timers for unplug/brownout.

    `on_unplug()`, `on_replug()` and `on_brownout()` are called on this object's own
    thread (never while its lock is held). Once `set()` returns, no brownout of the
    previous setting happens any more (an action in flight is waited for).
    """

    def __init__(
        self,
        faults: list[str] | tuple[str, ...] = (),
        *,
        on_unplug: Callable[[], None] | None = None,
        on_replug: Callable[[], None] | None = None,
        on_brownout: Callable[[], None] | None = None,
        seed: int | None = None,
    ) -> None:
        parsed = [parse_spec(s) for s in faults]
        self._rates: dict[str, float] = {f.kind: f.rate for f in parsed}
        self._rng = random.Random(seed)
        self._lock = threading.Condition()
        self._on_unplug = on_unplug
        self._on_replug = on_replug
        self._on_brownout = on_brownout
        # clean bytes left before the next hit, per (kind, direction)
        self._left: dict[tuple[str, str], int] = {}
        self.counts = {"garbled": 0, "dropped": 0, "unplugs": 0, "brownouts": 0}
        self.plugged = True
        self._next_unplug: float | None = None
        self._next_replug: float | None = None
        self._next_brownout: float | None = None
        self._thread: threading.Thread | None = None
        self._acting = threading.Lock()  # held while an action (unplug, replug, brownout) runs
        self._epoch = 0  # bumped by set(): a brownout drawn before a set() is dropped
        self._stopping = False
        self._reschedule(set(self._rates))

    # -- configuration -------------------------------------------------------------------

    def set(self, set_: list[str] | tuple[str, ...] = (), clear: list[str] | tuple[str, ...] = ()) -> list[str]:
        """Apply `clear` (kind names) then `set` (KIND:RATE); all checked before any change."""
        kinds = [clear_kind(s) for s in clear]
        new = [parse_spec(s) for s in set_]
        # After set() returns no action of the old setting may still run: wait for one in flight.
        with self._acting, self._lock:
            for k in kinds:
                self._rates.pop(k, None)
            for f in new:
                self._rates[f.kind] = f.rate
            self._epoch += 1
            self._reschedule(set(kinds) | {f.kind for f in new})
            self._lock.notify_all()
            return self.active()

    def active(self) -> list[str]:
        return [LinkFault(k, self._rates[k]).spec() for k in KINDS if k in self._rates]

    def describe(self) -> dict[str, object]:
        with self._lock:
            return {"faults": self.active(), "plugged": self.plugged, **self.counts}

    def _reschedule(self, changed: set[str]) -> None:
        now = time.monotonic()
        for kind in changed & set(PER_BYTE):
            for d in ("tx", "rx"):
                self._left.pop((kind, d), None)
        if "unplug" in changed:
            n = self._rates.get("unplug")
            if self.plugged:
                self._next_unplug = now + n if n else None
            else:
                # cleared while out: plug back now; a new N counts from the replug
                self._next_replug = now if n is None else self._next_replug
                self._next_unplug = None
        if "brownout" in changed:
            r = self._rates.get("brownout")
            self._next_brownout = now + self._rng.expovariate(r) if r else None

    # -- per-byte faults (called by the UART, one thread per direction) -----------------

    def corrupt(self, data: bytes, direction: str) -> bytes:
        """`data` as it arrives over the faulty wire (`direction` "tx" chip->host, "rx" host->chip)."""
        rates = self._rates
        if not data or not ("garble" in rates or "drop" in rates):
            return data
        with self._lock:
            out = bytearray(data)
            p = rates.get("garble")
            if p:
                for i in self._hits("garble", direction, p, len(out)):
                    out[i] ^= 1 << self._rng.randrange(8)
                    self.counts["garbled"] += 1
            p = rates.get("drop")
            if p:
                hits = self._hits("drop", direction, p, len(out))
                for i in reversed(hits):
                    del out[i]
                self.counts["dropped"] += len(hits)
            return bytes(out)

    def _hits(self, kind: str, direction: str, p: float, n: int) -> list[int]:
        key = (kind, direction)
        i = self._left.get(key)
        if i is None:
            i = _gap(self._rng, p)
        hits = []
        while i < n:
            hits.append(i)
            i += 1 + _gap(self._rng, p)
        self._left[key] = i - n
        return hits

    # -- timers ---------------------------------------------------------------------------

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="link-faults", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)
        self._thread = None

    def _run(self) -> None:
        while True:
            with self._lock:
                if self._stopping:
                    return
                now = time.monotonic()
                due = [t for t in (self._next_unplug, self._next_replug, self._next_brownout) if t is not None]
                if not due or min(due) > now:
                    self._lock.wait(None if not due else min(due) - now)
                    continue
                action, epoch = None, self._epoch
                if self._next_replug is not None and self._next_replug <= now:
                    self._next_replug = None
                    self.plugged = True
                    n = self._rates.get("unplug")
                    self._next_unplug = now + n if n else None
                    action = self._on_replug
                elif self._next_unplug is not None and self._next_unplug <= now:
                    self._next_unplug = None
                    self.plugged = False
                    self.counts["unplugs"] += 1
                    self._next_replug = now + UNPLUG_SECONDS
                    action = self._on_unplug
                elif self._next_brownout is not None and self._next_brownout <= now:
                    r = self._rates.get("brownout")
                    self._next_brownout = now + self._rng.expovariate(r) if r else None
                    if self.plugged:  # no power, no brownout
                        action = self._on_brownout
            if action is None:
                continue
            with self._acting:
                if action is self._on_brownout:
                    with self._lock:
                        if epoch != self._epoch or not self.plugged:
                            continue  # cleared (or unplugged) since it was drawn: it never happened
                        self.counts["brownouts"] += 1
                try:
                    action()
                except Exception:  # a failing hook must not stop the timers
                    import logging

                    logging.getLogger(__name__).exception("link fault action failed")
