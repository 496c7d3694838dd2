"""The terminal operator: Enter confirms, 'q' or end of input stops; prompts are numbered."""

from __future__ import annotations

import io

import pytest

from hil.diagnose.guided import TerminalOperator


@pytest.mark.parametrize("typed,done", [("\n", True), ("ok\n", True), ("q\n", False), ("", False)],
                         ids=["enter", "anything", "q", "eof"])
def test_confirm(typed: str, done: bool) -> None:
    err = io.StringIO()
    op = TerminalOperator(live=False, stdin=io.StringIO(typed), stderr=err)
    op.say("press and hold the button")
    assert op.confirm() is done
    assert err.getvalue().startswith("[1] press and hold the button\n")
