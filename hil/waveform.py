"""Waveforms measured on the board: analysis of the LED blink, VCD and a plot.

The board's sampler (hil/device/sampler.py) records changes only: (ms since
start, bitmask of the sampled pins). A ``Trace`` is that record made explicit;
``check_blink`` says, in words a person can act on, how the LEDs differ from
the app's promise (antiphase, one cycle per second). Plots are SVG files
written directly (``plot``), so no plotting library is installed for them.
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
    halves = tuple(_blink_halves(trace.half_periods(ch), tolerance_s)
                   for ch in range(len(trace.names)))
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


def _blink_halves(halves: list[float], tolerance_s: float) -> tuple[float, ...]:
    """The half cycles of the blink: a first one shorter than the tolerance is the app's
    set-up, not a blink. ``Pin(g, Pin.OUT)`` drives the latch's level (0 after reset) and
    the loop's first ``led.on()`` follows a few statements later (firmware/main.py): a
    sampler tick between the two records two edges that close (on the twin under host
    load, tens of ms). A blink that really flickers shows more than one short interval."""
    if halves and halves[0] < tolerance_s:
        return tuple(halves[1:])
    return tuple(halves)


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
    """A step plot of every channel, written as an SVG file; returns its path.

    Drawn directly (no plotting library): one lane per channel with its name,
    the levels 0 and 1, the marks (a press) as red dashed lines, and a time
    axis in seconds. Any browser shows it; pytest-html and the run's report
    inline it.
    """
    path = Path(path)
    if path.suffix.lower() != ".svg":
        raise ValueError(f"plot writes SVG: name the file *.svg, not {path.name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(svg_plot(trace, title or "pin levels measured on the board"))
    return path


# Layout of the SVG plot, in pixels.
_LEFT, _RIGHT, _TOP, _LANE, _GAP, _AXIS = 150, 20, 40, 50, 14, 44
_WIDTH = 900


def svg_plot(trace: Trace, title: str) -> str:
    """The SVG text of ``plot``."""
    from xml.sax.saxutils import escape

    end_s = max(trace.end_ms, 1) / 1000
    plot_w = _WIDTH - _LEFT - _RIGHT
    height = _TOP + len(trace.names) * (_LANE + _GAP) + _AXIS

    def x(t_s: float) -> float:
        return round(_LEFT + plot_w * t_s / end_s, 1)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}" '
           f'viewBox="0 0 {_WIDTH} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{_WIDTH}" height="{height}" fill="white"/>',
           f'<text x="{_WIDTH / 2}" y="22" text-anchor="middle" font-size="15">'
           f'{escape(title)}</text>']
    bottom = height - _AXIS
    step = _tick_step(end_s)
    tick = 0.0
    while tick <= end_s + 1e-9:  # grid and time axis
        out.append(f'<line x1="{x(tick)}" y1="{_TOP - 6}" x2="{x(tick)}" y2="{bottom}" '
                   f'stroke="#ddd"/>')
        out.append(f'<text x="{x(tick)}" y="{bottom + 16}" text-anchor="middle">'
                   f'{tick:g}</text>')
        tick += step
    out.append(f'<text x="{_LEFT + plot_w / 2}" y="{height - 8}" text-anchor="middle">'
               f'time since sampling started (s)</text>')
    for ch, name in enumerate(trace.names):
        top = _TOP + ch * (_LANE + _GAP)
        y1, y0 = top + 6, top + _LANE - 6  # level 1 up, level 0 down
        out.append(f'<text x="{_LEFT - 30}" y="{top + _LANE / 2 + 4}" text-anchor="end">'
                   f'{escape(name)}</text>')
        out.append(f'<text x="{_LEFT - 8}" y="{y1 + 4}" text-anchor="end" fill="#666">1</text>')
        out.append(f'<text x="{_LEFT - 8}" y="{y0 + 4}" text-anchor="end" fill="#666">0</text>')
        points: list[str] = []
        level = None
        for t, mask in trace.changes:
            new = (mask >> ch) & 1
            y = y1 if new else y0
            if level is not None and new != level:
                points.append(f"{x(t / 1000)},{y1 if level else y0}")
            points.append(f"{x(t / 1000)},{y}")
            level = new
        if level is not None:
            points.append(f"{x(end_s)},{y1 if level else y0}")
        out.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#1f77b4" '
                   f'stroke-width="2"/>')
    for label, t in trace.marks:
        out.append(f'<line x1="{x(t / 1000)}" y1="{_TOP - 6}" x2="{x(t / 1000)}" y2="{bottom}" '
                   f'stroke="red" stroke-dasharray="5,4"/>')
        near_end = x(t / 1000) > _WIDTH - _RIGHT - 80  # the label goes left of the line
        out.append(f'<text x="{x(t / 1000) + (-4 if near_end else 4)}" y="{_TOP - 10}" '
                   f'fill="red" text-anchor="{"end" if near_end else "start"}">'
                   f'{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _tick_step(span_s: float) -> float:
    """A round tick spacing giving about 5 to 12 ticks over ``span_s``."""
    for step in (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60):
        if span_s / step <= 12:
            return step
    return span_s / 10
