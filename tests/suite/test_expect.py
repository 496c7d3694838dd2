"""board.expect: a test checks what the app prints, as pytest-embedded's dut.expect.

A pytest run in a subprocess (the real plugin, a twin, the real REPL) with an
app that prints; its tests use start_app/expect the way a user's tests would.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow  # starts a twin through the plugin

APP = '''\
import time
print("booting")
for i in range(3):
    print("tick", i)
    time.sleep(0.2)
print("ready", 42)
while True:
    time.sleep(0.1)
'''

TESTS = '''\
import time

def test_output_in_order_and_nothing_lost(board):
    board.start_app()
    time.sleep(1.5)  # the app prints meanwhile: expect still sees it from the start
    board.expect("booting")
    assert board.expect(r"tick (\\d)").group(1) == b"0"
    assert board.expect(r"tick (\\d)").group(1) == b"1"  # after the previous match
    assert board.expect(r"ready (\\d+)", timeout=10).group(1) == b"42"
    assert "tick 2" in board.output

def test_output_never_printed_fails(board):
    board.start_app()
    board.expect("never printed", timeout=2)

def test_app_that_ends_without_it_fails(board):
    board.start_app("print('done')")
    board.expect("ready", timeout=5)

def test_app_that_raises_fails_with_its_traceback(board):
    board.start_app("print('about to fail')\\nraise ValueError('boom')")
    board.expect("ready", timeout=5)

def test_the_next_test_gets_a_stopped_app(board):
    assert board.call("1 + 1") == 2
'''


def test_expect_follows_the_apps_output(pytester: pytest.Pytester) -> None:
    app = pytester.mkdir("app")
    (app / "main.py").write_text(APP)
    pytester.makepyfile(test_app=TESTS)
    result = pytester.runpytest_subprocess(f"--app-dir={app}", "-p", "no:cacheprovider",
                                           "-rfE", timeout=300)
    out = result.stdout.str()
    result.assert_outcomes(passed=2, failed=3)
    assert result.ret == 1, out  # the app failed; the bench is sound
    assert "ExpectTimeout: board.expect(b'never printed'): not printed within 2 s" in out, out
    assert "ready 42" in out  # the failure shows what the app printed
    assert "the app ended without printing it" in out and "done" in out, out
    assert "ValueError: boom" in out, out


def test_the_readmes_example_tests_pass(pytester: pytest.Pytester) -> None:
    """The README's "Write your own test" code, run as written against an app that prints."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Write your own test", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    app = pytester.mkdir("app")
    (app / "main.py").write_text("import time\nprint('ready')\ni = 0\nwhile True:\n"
                                 "    print('tick', i)\n    i += 1\n    time.sleep(0.2)\n")
    pytester.makepyfile(test_readme=code)
    result = pytester.runpytest_subprocess(f"--app-dir={app}", "-p", "no:cacheprovider",
                                           timeout=300)
    result.assert_outcomes(passed=3)
