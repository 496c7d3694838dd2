"""docs/bench.md's fault catalogue, the twin's faults and the diagnosis's models are one list.

Adding a fault means a row in the catalogue table, a fault of the twin
(hil/sim/faults.py) and a model in the diagnosis (hil/diagnose/logic.py:
MODELS, REPAIRS, PARTS); these tests fail until all three agree, and every
other test takes its faults from them.
"""

from __future__ import annotations

import pytest

from hil.diagnose.logic import FAULT_NAMES, PARTS, REPAIRS, decide, models
from hil.sim.faults import FAULTS

from .catalogue import rows

ROWS = rows()


def test_one_list_of_faults() -> None:
    assert set(ROWS) == {"ok", *FAULTS}, "docs/bench.md's table vs the twin (hil/sim/faults.py)"
    assert set(ROWS) == {"ok", *FAULT_NAMES}, "docs/bench.md's table vs hil/diagnose/logic.py"
    assert set(REPAIRS) == set(ROWS)
    assert set(PARTS) == set(FAULT_NAMES), "every fault is drawn somewhere (logic.PARTS)"


@pytest.mark.parametrize("fault", [f for f in ROWS if f != "stuck-led"])
def test_the_model_predicts_the_tables_readings(fault: str) -> None:
    model = models()[fault]
    for key, value in ROWS[fault].predictions().items():
        assert model[key] == value, (fault, key)


@pytest.mark.parametrize("fault", list(ROWS))
def test_the_tables_readings_give_its_unattended_verdict(fault: str) -> None:
    row = ROWS[fault]
    v = decide(row.readings())
    assert (v.verdict, tuple(sorted(v.candidates))) == (row.verdict, row.candidates)
