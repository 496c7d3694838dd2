"""The fault catalogue as docs/bench.md writes it, read for the tests.

The table in docs/bench.md "The fault catalogue" is the catalogue: the tests
take the faults, their readings and their unattended verdicts from it, so a
new fault is a row there, a fault of the twin (hil/sim/faults.py) and a model
of the diagnosis (hil/diagnose/logic.py), and no test list to extend.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from hil.diagnose.logic import MIXED, LedReadback, Readings, Sample

DOC = Path(__file__).resolve().parents[2] / "docs/bench.md"
N = 50
ONE, ZERO = Sample((1,) * N), Sample((0,) * N)
RANDOM = Sample.of("0110100111010010110100101101001011010011101001011")
OK_LEDS = (LedReadback("D4", 2, 0, 1), LedReadback("D0", 16, 0, 1))
STUCK_LEDS = (LedReadback("D4", 2, 1, 1), LedReadback("D0", 16, 0, 1))


@dataclass(frozen=True)
class Row:
    fault: str
    idle: object          # 0, 1, MIXED; None = not a reading of this fault (stuck-led)
    stimulus: object
    dropped: tuple[str, ...]
    ground: object
    rail: object
    pressed: object
    verdict: str          # the unattended verdict: a fault name, "ok" or "ambiguous"
    candidates: tuple[str, ...]

    def readings(self) -> Readings:
        """Readings a bench with this fault gives the probes."""
        if self.idle is None:  # stuck-led: the button chain is healthy, an LED is not
            return Readings(d5_idle=ONE, d5_stimulus=ZERO, p2=ZERO, p3=ZERO, d5_pressed=ZERO,
                            leds=STUCK_LEDS)

        def s(v: object) -> Sample:
            return RANDOM if v == MIXED else (ONE if v == 1 else ZERO)

        return Readings(d5_idle=s(self.idle), d5_stimulus=s(self.stimulus),
                        dropped=self.dropped, p2=s(self.ground), p3=s(self.rail),
                        d5_pressed=s(self.pressed), leds=OK_LEDS)

    def predictions(self) -> dict[str, object]:
        return {"idle": self.idle, "stimulus": self.stimulus, "dropped": self.dropped,
                "ground": self.ground, "rail": self.rail, "pressed": self.pressed}


def _value(cell: str) -> object:
    cell = cell.strip()
    if not cell:
        return None
    if cell in ("random", "flickers"):
        return MIXED
    return int(cell.split(",")[0])


def _dropped(cell: str) -> tuple[str, ...]:
    m = re.search(r"\b(D\d+|GPIO\d+) drops", cell)
    return (m.group(1),) if m else ()


def _verdict(fault: str, cell: str) -> tuple[str, tuple[str, ...]]:
    m = re.match(r"ambiguous \{([^}]*)\}", cell.strip())
    if m:
        return "ambiguous", tuple(sorted(n.strip() for n in m.group(1).split(",")))
    return ("ok", ()) if cell.strip() == "ok" else (fault, ())


def rows() -> dict[str, Row]:
    """The rows of the catalogue table, by fault name (``ok`` included)."""
    text = DOC.read_text()
    table = text[text.index("## The fault catalogue"):]
    out: dict[str, Row] = {}
    for line in table.splitlines():
        m = re.match(r"\| `([a-z0-9-]+)`[^|]*\|(.*)\|\s*$", line)
        if not m:
            continue
        cells = m.group(2).split("|")
        fault = m.group(1)
        verdict, candidates = _verdict(fault, cells[5])
        out[fault] = Row(fault, _value(cells[0]), _value(cells[1]), _dropped(cells[1]),
                         _value(cells[2]), _value(cells[3]), _value(cells[4]), verdict,
                         candidates)
    return out


def unattended() -> dict[str, tuple[str, list[str]]]:
    """fault -> (unattended verdict, sorted candidates), the table's verdict column."""
    return {f: (r.verdict, list(r.candidates)) for f, r in rows().items()}
