"""Waveforms measured on the board: analysis of the LED blink, VCD and a plot.

The board's sampler (hil/device/sampler.py) records changes only: (ms since
start, bitmask of the sampled pins). A ``Trace`` is that record made explicit;
``check_blink`` says, in words a person can act on, how the LEDs differ from
the app's promise (antiphase, one cycle per second). Plots are made with
matplotlib's Agg backend (no display needed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Trace:
    """Levels of named pins over time, from the board's own sampler."""

    names: tuple[str, ...]                      # one per bit, e.g. ("D4/GPIO2", "D0/GPIO16")
    changes: tuple[tuple[int, int], ...]        # (ms since start, bitmask), first at 0
    end_ms: int                                 # when sampling stopped
    samples: int = 0                            # timer ticks seen (sampling health)
    lost: int = 0                               # changes not recorded (buffer full)
    marks: tuple[tuple[str, int], ...] = ()     # e.g. (("press", 1500), ("release", 2600))

    def level(self, channel: int, t_ms: float) -> int | None:
        """The channel's level at ``t_ms`` (None before the first sample)."""
        value = None
        for t, mask in self.changes:
            if t > t_ms:
                break
            value = (mask >> channel) & 1
        return value

    def edges(self, channel: int) -> list[tuple[int, int]]:
        """(ms, new level) of every change of one channel, after its first sample."""
        out: list[tuple[int, int]] = []
        last = None
        for t, mask in self.changes:
            v = (mask >> channel) & 1
            if last is not None and v != last:
                out.append((t, v))
            last = v
        return out

    def select(self, channels: tuple[int, ...]) -> Trace:
        """The same record with only ``channels`` (renumbered from 0)."""
        changes: list[tuple[int, int]] = []
        for t, mask in self.changes:
            m = sum(((mask >> ch) & 1) << i for i, ch in enumerate(channels))
            if not changes or changes[-1][1] != m:
                changes.append((t, m))
        return Trace(tuple(self.names[ch] for ch in channels), tuple(changes), self.end_ms,
                     self.samples, self.lost, self.marks)

    def half_periods(self, channel: int) -> list[float]:
        """Seconds between consecutive edges of one channel (whole half cycles only)."""
        e = [t for t, _ in self.edges(channel)]
        return [(b - a) / 1000 for a, b in zip(e, e[1:])]


@dataclass(frozen=True)
class BlinkCheck:
    problems: tuple[str, ...]
    half_periods: tuple[tuple[float, ...], ...]   # per channel
    overlap_s: float                              # time both pins had the same level

    @property
    def ok(self) -> bool:
        return not self.problems


def check_blink(trace: Trace, *, half_cycle_s: float, tolerance_s: float,
                active_low: tuple[bool, ...], settle_s: float | None = None) -> BlinkCheck:
    """Antiphase, half cycle within tolerance, levels meaning lit/dark as the profile says."""
    problems: list[str] = []
    settle = tolerance_s if settle_s is None else settle_s
    halves = tuple(tuple(trace.half_periods(ch)) for ch in range(len(trace.names)))
    for ch, name in enumerate(trace.names):
        edges = trace.edges(ch)
        if not edges:
            level = trace.level(ch, trace.end_ms)
            state = "unknown"
            if level is not None:
                lit = (level == 0) if active_low[ch] else (level == 1)
                state = f"{level} ({'lit' if lit else 'dark'})"
            problems.append(f"LED {name} never changed in {trace.end_ms / 1000:.1f} s: stuck "
                            f"at {state}")
            continue
        if len(edges) < 3:
            problems.append(f"LED {name} changed only {len(edges)} time(s) in "
                            f"{trace.end_ms / 1000:.1f} s; a {2 * half_cycle_s:.1f} s cycle "
                            f"needs more")
        bad = [h for h in halves[ch] if abs(h - half_cycle_s) > tolerance_s]
        if bad:
            problems.append(
                f"LED {name}: half cycles {_fmt(bad)} s outside {half_cycle_s:.2f} "
                f"+/- {tolerance_s:.2f} s (all: {_fmt(halves[ch])})")
    overlap = 0.0
    if len(trace.names) >= 2:
        overlap = _same_level_s(trace, 0, 1, settle)
        if overlap > 0:
            problems.append(f"LEDs {trace.names[0]} and {trace.names[1]} had the same level for "
                            f"{overlap:.2f} s away from the switching instants: not antiphase "
                            f"(one must be lit while the other is dark)")
    return BlinkCheck(tuple(problems), halves, overlap)


def _same_level_s(trace: Trace, a: int, b: int, settle_s: float) -> float:
    """Time both channels were equal, ignoring ``settle_s`` after any edge of either."""
    settle_ms = settle_s * 1000
    edge_times = sorted(t for ch in (a, b) for t, _ in trace.edges(ch))
    total = 0.0
    points = list(trace.changes) + [(trace.end_ms, None)]
    for (t, mask), (t_next, _) in zip(points, points[1:]):
        if mask is None or ((mask >> a) & 1) != ((mask >> b) & 1):
            continue
        if edge_times and t_next <= edge_times[0]:
            continue  # before the app's first write: the pins were still at rest
        # exclude the settle window after the latest edge at or before t
        start = t
        recent = [e for e in edge_times if e <= t]
        if recent and t - recent[-1] < settle_ms:
            start = min(t_next, recent[-1] + settle_ms)
        total += max(0.0, t_next - start)
    return total / 1000


def _fmt(values) -> str:
    return ", ".join(f"{v:.3f}" for v in values)


def write_vcd(trace: Trace, path: Path) -> Path:
    """A VCD file (1 ms timescale) that GTKWave and PulseView open."""
    from vcd import VCDWriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        w = VCDWriter(f, timescale="1 ms", date="today")
        vars_ = [w.register_var("board", _vcd_name(n), "wire", size=1) for n in trace.names]
        for t, mask in trace.changes:
            for ch, var in enumerate(vars_):
                w.change(var, t, (mask >> ch) & 1)
        w.close(trace.end_ms)  # the record ends where sampling stopped
    return path


def _vcd_name(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name)


def plot(trace: Trace, path: Path, title: str = "") -> Path:
    """A step plot of every channel (PNG or SVG, from the suffix)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = len(trace.names)
    fig, axes = plt.subplots(n, 1, sharex=True, figsize=(9, 1.3 * n + 0.8), squeeze=False)
    for ch, name in enumerate(trace.names):
        ax = axes[ch][0]
        xs = [t / 1000 for t, _ in trace.changes] + [trace.end_ms / 1000]
        ys = [(m >> ch) & 1 for _, m in trace.changes]
        ys = ys + ys[-1:]
        ax.step(xs, ys, where="post")
        ax.set_ylim(-0.2, 1.2)
        ax.set_yticks([0, 1])
        ax.set_ylabel(name, rotation=0, ha="right", va="center")
        for label, t in trace.marks:
            ax.axvline(t / 1000, color="red", linestyle="--", linewidth=0.8)
            if ch == 0:
                ax.annotate(label, (t / 1000, 1.1), color="red", fontsize=8)
    axes[-1][0].set_xlabel("time since sampling started (s)")
    fig.suptitle(title or "pin levels measured on the board")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
