"""The suite's "likely fault" and `hil diagnose --auto` name the same fault, for every fault.

Both read the bench through one path (hil.diagnose.probe.collect_readings on
hil/device/bench_io.py) and judge it with hil.diagnose.logic; this test holds
them to it on the twin: for each fault of the catalogue, the sentence a failed
suite test carries (fixtures.verdicts) and the JSON of `hil diagnose --auto`
(the command's own entry point, over the twin's pty) name the same verdict,
and it is the catalogue's.
"""

from __future__ import annotations

import json

import pytest
from hil_pytest.verdicts import likely_fault

from hil.bench import load_profile
from hil.cli import main
from hil.diagnose.logic import explain
from hil.repl import Repl
from hil.sim.faults import FAULTS

from .test_diagnose_twin import UNATTENDED

pytestmark = [pytest.mark.slow, pytest.mark.twin, pytest.mark.timeout(180)]

PERIOD = 2  # ms between reads: the twin needs no 0.5 s windows
CATALOGUE = ["ok", *FAULTS]


def test_the_catalogue_is_the_twins() -> None:
    assert sorted(CATALOGUE) == sorted(UNATTENDED)


@pytest.mark.parametrize("fault", CATALOGUE, ids=CATALOGUE)
def test_suite_and_hil_diagnose_name_the_same_fault(fault: str, twins,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    twin = twins.get(*(() if fault == "ok" else (fault,)))
    profile = load_profile()

    with Repl(twin.pty) as repl:  # as the suite holds the board when a test fails
        suite = likely_fault(repl, profile, period_ms=PERIOD)
    sentence = explain(suite)

    code = main(["diagnose", "--port", twin.pty, "--auto", "--json", "--picture", "none",
                 "--period-ms", str(PERIOD)])
    cli = json.loads(capsys.readouterr().out)

    assert (suite.verdict, sorted(suite.candidates)) == (cli["verdict"],
                                                         sorted(cli["candidates"])), \
        (sentence, cli["evidence"])
    assert (cli["verdict"], sorted(cli["candidates"])) == UNATTENDED[fault]
    for name in (cli["candidates"] or [cli["verdict"]]):
        if name != "ok":
            assert name in sentence, sentence
    assert code == (0 if fault == "ok" else 1)
