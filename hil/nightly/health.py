"""Bench health over nights: what drifts or newly flickers, in words a person acts on.

Pure: history lines in (hil/nightly/history.py), findings, text and SVG out.
Tonight is the last line; it is compared with the nights before it (up to
``window``). Flicker counts (``{"count", "of"}``: reads that went the wrong
way) are flagged when they are new, or much more frequent than before;
numbers when they leave the spread of the nights before; tables (the
short-press table) when an entry changes from what the nights before agreed on.
Each flag names the likely worn part, before the suite fails on it.
"""

from __future__ import annotations

import html
import statistics
from dataclasses import dataclass

# Flicker counts: figure kind (before the ".") -> what was read, what to do.
# The parts are the reference bench's (docs/bench.md "The wiring, named").
COUNTS = {
    "released_reads": ("{pin} read 0 in {count} of {of} released reads",
                       "a contact on W1 or the button is wearing"),
    "pressed_reads": ("{pin} read 1 in {count} of {of} pressed reads",
                      "the button's contact is wearing: it does not always close"),
    "stimulus_reads": ("{pin} read 1 in {count} of {of} reads while P1 pulled row A low",
                       "W1 or a contact in row A is loose"),
    "ground_reads": ("P2 ({pin}, row B) read 1 in {count} of {of} reads",
                     "W2 or its contacts in row B or the rail's far half are loose"),
    "rail_reads": ("P3 ({pin}, the rail's far half) read 1 in {count} of {of} reads",
                   "the bridge between the rail's halves or W3 is loose"),
}

# Numbers: kind -> (label, unit, smallest change worth a flag, direction, what to do).
# direction +1: only a rise is bad; 0: either way.
NUMBERS = {
    "led_half_period_s": ("LED {pin} half period", "s", 0.01, 0,
                          "the app's timing or the board's clock changed: check the firmware "
                          "and the app's sleep"),
    "led_jitter_ms": ("LED {pin} jitter", "ms", 5.0, +1,
                      "the board's timer runs late more often: check the firmware and what "
                      "else runs on the board"),
    "press_to_stop_s": ("press-to-stop latency", "s", 0.1, +1,
                        "the press actuator or the button answers later: check the solenoid "
                        "and the button"),
    "repl_round_trip_ms": ("REPL round trip", "ms", 20.0, +1,
                           "the serial link is slower: check the USB cable, hub and adapter"),
    "flash_s": ("flash time", "s", 5.0, +1,
                "flashing takes longer: check the USB cable and the board's flash chip"),
    "deploy_s": ("deploy time", "s", 2.0, +1,
                 "uploads take longer: check the USB link and the board's free space"),
}
MIN_NIGHTS = 3  # nights before tonight needed to call a number's spread
REL = 0.05      # a change under 5% of the usual value is never flagged


@dataclass(frozen=True)
class Finding:
    figure: str
    kind: str   # new-flicker | more-flicker | drift | table-change
    text: str


def _split(name: str) -> tuple[str, str]:
    kind, _, pin = name.partition(".")
    return kind, pin


def is_count(v: object) -> bool:
    return isinstance(v, dict) and "count" in v and "of" in v


def is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def plotted(v: object) -> float | None:
    """A figure as one number for a plot: counts as the share of reads that went wrong."""
    if is_number(v):
        return float(v)
    if is_count(v):
        return v["count"] / v["of"] if v["of"] else 0.0
    return None


def describe(name: str, v: object) -> str:
    """A figure's value in words (no judgement)."""
    kind, pin = _split(name)
    if is_count(v):
        what = COUNTS.get(kind, ("{name}: {count} of {of}", ""))[0]
        return what.format(pin=pin or "?", name=name, **v)
    if is_number(v):
        label, unit = NUMBERS[kind][:2] if kind in NUMBERS else (name, "")
        return f"{label.format(pin=pin)} {v:g} {unit}".rstrip()
    if isinstance(v, dict):
        return f"{name}: " + ", ".join(f"{k}: {_word(x)}" for k, x in v.items())
    return f"{name}: {v}"


def _word(x: object) -> str:
    return {True: "seen", False: "missed"}.get(x, str(x)) if isinstance(x, bool) else str(x)


def analyse(nights: list[dict], window: int = 30) -> list[Finding]:
    """Findings for tonight (the last night) against up to ``window`` nights before."""
    if not nights:
        return []
    tonight = nights[-1].get("figures") or {}
    before = [n.get("figures") or {} for n in nights[-window - 1:-1]]
    out: list[Finding] = []
    for name in sorted(tonight):
        v = tonight[name]
        prev = [b[name] for b in before if name in b]
        if is_count(v):
            out += _counts(name, v, [p for p in prev if is_count(p)])
        elif is_number(v):
            out += _number(name, float(v), [float(p) for p in prev if is_number(p)])
        elif isinstance(v, dict):
            out += _table(name, v, [p for p in prev if isinstance(p, dict)])
    return out


def _counts(name: str, v: dict, prev: list[dict]) -> list[Finding]:
    if not v["count"] or v["count"] >= v["of"]:
        # Every read wrong is not a wearing part but a fault: the suite's failed
        # test and the diagnosis name it (a dead button is not "wearing").
        return []
    kind, _ = _split(name)
    advice = COUNTS.get(kind, ("", "check the bench's wiring"))[1]
    what = describe(name, v) + " tonight"
    flickered = [p for p in prev if p["count"]]
    if not prev:
        return [Finding(name, "new-flicker", f"{what}, the first night on record: {advice}")]
    if not flickered:
        nights = "night" if len(prev) == 1 else f"{len(prev)} nights"
        return [Finding(name, "new-flicker", f"{what}, never in the {nights} before: {advice}")]
    rate = v["count"] / max(v["of"], 1)
    before = sum(p["count"] for p in prev) / max(sum(p["of"] for p in prev), 1)
    if v["count"] >= 2 and rate > 3 * before:
        return [Finding(name, "more-flicker",
                        f"{what} ({rate:.1%}), against {before:.1%} of the reads over the "
                        f"{len(prev)} nights before (it flickered on {len(flickered)} of them): "
                        f"{advice}")]
    return []


def _number(name: str, v: float, prev: list[float]) -> list[Finding]:
    kind, pin = _split(name)
    if kind not in NUMBERS or len(prev) < MIN_NIGHTS:
        return []
    label, unit, floor, direction, advice = NUMBERS[kind]
    mean = statistics.fmean(prev)
    spread = statistics.pstdev(prev)
    tol = max(3 * spread, REL * abs(mean), floor)
    change = v - mean
    if abs(change) <= tol or (direction > 0 and change < 0):
        return []
    return [Finding(name, "drift",
                    f"{label.format(pin=pin)} {v:g} {unit} tonight, {mean:.3g} +/- {spread:.2g} "
                    f"{unit} over the {len(prev)} nights before ({'up' if change > 0 else 'down'} "
                    f"{abs(change):.3g} {unit}): {advice}")]


def _table(name: str, v: dict, prev: list[dict]) -> list[Finding]:
    out = []
    for key, value in v.items():
        olds = [p.get(key) for p in prev[-MIN_NIGHTS:] if key in p]
        if len(olds) >= 2 and len(set(map(str, olds))) == 1 and olds[0] != value:
            out.append(Finding(f"{name}.{key}", "table-change",
                               f"{name} {key}: {_word(value)} tonight, {_word(olds[0])} on each "
                               f"of the {len(olds)} nights before: the app's reading of the "
                               f"button or the press actuator's timing changed"))
    return out


# -- pictures ---------------------------------------------------------------------------------
SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float | None]) -> str:
    nums = [x for x in values if x is not None]
    if not nums:
        return ""
    lo, hi = min(nums), max(nums)
    out = []
    for x in values:
        if x is None:
            out.append(" ")
        elif hi == lo:
            out.append(SPARK[0] if hi == 0 else SPARK[3])
        else:
            out.append(SPARK[round((x - lo) / (hi - lo) * (len(SPARK) - 1))])
    return "".join(out)


def figure_names(nights: list[dict]) -> list[str]:
    names: dict[str, None] = {}
    for n in nights:
        for k, v in (n.get("figures") or {}).items():
            if plotted(v) is not None:
                names.setdefault(k)
    return sorted(names)


def text_report(nights: list[dict], findings: list[Finding], source: str = "",
                last: int = 30) -> str:
    """What `hil health` prints: the nights, a line per figure with its plot, the flags."""
    shown = nights[-last:]
    if not shown:
        return f"no nights recorded yet{f' in {source}' if source else ''}"
    lines = [f"bench health{f' from {source}' if source else ''}: {len(shown)} night(s), "
             f"{shown[0].get('time', '?')} .. {shown[-1].get('time', '?')}; board "
             f"{shown[-1].get('board') or '?'}; exit codes "
             + " ".join(str(n.get('exit', '?')) for n in shown)]
    flagged = {f.figure for f in findings}
    names = figure_names(shown)
    width = max([len(n) for n in names] + [6])
    for name in names:
        values = [plotted((n.get("figures") or {}).get(name)) for n in shown]
        tonight = (shown[-1].get("figures") or {}).get(name)
        now = (f"{tonight['count']}/{tonight['of']}" if is_count(tonight)
               else f"{tonight:g}" if is_number(tonight) else "-")
        mark = "  <-- flagged" if name in flagged else ""
        nums = [x for x in values if x is not None]
        span = f"(range {min(nums):.3g} .. {max(nums):.3g})" if nums else ""
        lines.append(f"  {name:<{width}}  {sparkline(values):<{len(shown)}}  tonight {now:<8} "
                     f"{span}{mark}")
    if findings:
        lines.append("flagged:")
        lines += [f"  - {f.text}" for f in findings]
    else:
        lines.append("nothing drifts or newly flickers tonight")
    return "\n".join(lines)


def svg_chart(nights: list[dict], name: str, flagged: bool, width: int = 260,
              height: int = 60) -> str:
    """A small inline SVG line chart of one figure over the nights (tonight on the right)."""
    values = [plotted((n.get("figures") or {}).get(name)) for n in nights]
    nums = [x for x in values if x is not None]
    if not nums:
        return ""
    lo, hi = min(nums), max(nums)
    span = (hi - lo) or (abs(hi) or 1.0)
    step = (width - 20) / max(len(values) - 1, 1)
    pts = [(10 + i * step, height - 10 - (x - lo) / span * (height - 20))
           for i, x in enumerate(values) if x is not None]
    colour = "#c62828" if flagged else "#1565c0"
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    last = pts[-1]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'role="img" aria-label="{html.escape(name)} over {len(values)} nights">'
            f'<rect width="{width}" height="{height}" fill="#fafafa" stroke="#ddd"/>'
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{path}"/>'
            f'<circle cx="{last[0]:.1f}" cy="{last[1]:.1f}" r="3" fill="{colour}"/>'
            f'<text x="4" y="10" font-size="9" fill="#555">{lo:.3g} .. {hi:.3g}</text></svg>')


def html_section(nights: list[dict], findings: list[Finding], source: str = "",
                 last: int = 30) -> str:
    """The report's "Bench health" section: the flags in words, a chart per figure."""
    shown = nights[-last:]
    flagged = {f.figure for f in findings}
    parts = [f"<h2>Bench health over {len(shown)} night(s)</h2>"]
    if source:
        parts.append(f"<p>History: {html.escape(source)}</p>")
    if findings:
        parts.append("<ul class='hil-health-flags'>" + "".join(
            f"<li><strong>{html.escape(f.text)}</strong></li>" for f in findings) + "</ul>")
    else:
        parts.append("<p>Nothing drifts or newly flickers tonight.</p>")
    rows = []
    for name in figure_names(shown):
        tonight = (shown[-1].get("figures") or {}).get(name)
        now = describe(name, tonight) if tonight is not None else "not measured tonight"
        rows.append(f"<tr><td>{html.escape(name)}</td><td>"
                    f"{svg_chart(shown, name, name in flagged)}</td>"
                    f"<td>{html.escape(now)}</td></tr>")
    parts.append("<table class='hil-health'><tr><th>figure</th><th>nights (tonight right)"
                 "</th><th>tonight</th></tr>" + "".join(rows) + "</table>")
    return "<section id='hil-health'>" + "".join(parts) + "</section>"
