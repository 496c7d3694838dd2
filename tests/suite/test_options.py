"""The plugin's options: bad values are usage errors that say what to do (no board needed)."""

from __future__ import annotations

import pytest

EMPTY_TEST = "def test_nothing():\n    pass\n"


def test_the_plugin_leaves_other_projects_alone(pytester: pytest.Pytester) -> None:
    """No firmware/ here and no hil options: the plugin must not get in the way."""
    pytester.makepyfile(test_x=EMPTY_TEST)
    result = pytester.runpytest_subprocess()
    assert result.ret == 0
    out = result.stdout.str() + result.stderr.str()
    assert "hil:" not in out and "twin" not in out and "hil bench" not in out, out


def test_the_board_line_shows_when_tests_use_the_board(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_x=EMPTY_TEST, test_b="def test_b(board_port):\n    pass\n")
    out = pytester.runpytest_subprocess("--co").stdout.str()
    assert "hil: no --port: a virtual board (twin) is started for the session" in out, out
    out = pytester.runpytest_subprocess("--co", "test_x.py").stdout.str()
    assert "hil:" not in out, out


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_x=EMPTY_TEST)
    (pytester.path / "firmware").mkdir()
    (pytester.path / "firmware" / "main.py").write_text("print('hi')\n")
    return pytester


@pytest.mark.parametrize(("args", "says"), [
    (["--flash", "sometimes"], "--flash='sometimes': use one of auto, always, never"),
    (["--baud", "fast"], "--baud='fast': the baud rate must be a positive integer"),
    (["--baud", "-5"], "positive integer"),
    (["--port", " "], "--port is empty"),
    (["--flash-baud", "fast"], "--flash-baud='fast': the baud rate must be a positive integer"),
    (["--app-dir", "nowhere"], "is not a directory; pass --app-dir"),
], ids=["flash", "baud-word", "baud-negative", "port-empty", "flash-baud", "app-dir"])
def test_bad_option_is_a_usage_error(project: pytest.Pytester, args: list[str],
                                     says: str) -> None:
    result = project.runpytest_subprocess(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert says in result.stderr.str()


def test_bad_ini_value_names_the_ini_key(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nhil_flash = maybe\n")
    result = project.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "ini key hil_flash='maybe'" in result.stderr.str()


def test_options_and_fixtures_exist_wherever_hil_is_installed(
        project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess("--fixtures")
    out = result.stdout.str()
    for name in ("board", "repl", "flashed", "deployed", "board_port", "firmware_image",
                 "bench_profile", "press", "hil_bench", "operator"):
        assert any(line.startswith(f"{name} [") or line.startswith(f"{name} --")
                   for line in out.splitlines()), f"fixture {name} not listed:\n{out}"
    help_text = project.runpytest_subprocess("--help").stdout.str()
    for opt in ("--port=PORT", "--baud=BAUD", "--firmware=PATH", "--flash=auto|always|never",
                "--bench=PROFILE", "--app-dir=DIR"):
        assert opt in help_text


SLOW = ("import time\n"
        "def test_uses_the_board(bench_profile):\n"
        "    time.sleep(60)\n"
        "def test_does_not(bench_profile=None):\n"
        "    time.sleep(2)\n")


@pytest.mark.parametrize("where", ["env", "ini"])
def test_the_timeout_default_stops_a_board_test_that_runs_past_it(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """A real test sleeping past a small configured default is stopped by pytest-timeout;
    a test that does not use the board is left alone (the plugin stays out of the way)."""
    project.makepyfile(test_slow=SLOW)
    if where == "env":
        monkeypatch.setenv("HIL_TIMEOUT", "1")
    else:
        project.makeini("[pytest]\nhil_timeout = 1\n")
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "test_slow.py",
                                          timeout=50)
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "Timeout (>1.0s" in out, out
    assert "FAILED test_slow.py::test_uses_the_board" in out, out


def test_the_timeout_default_is_120_s_and_pytest_timeouts_own_setting_wins(
        project: pytest.Pytester) -> None:
    project.makepyfile(test_t="def test_t(request, bench_profile):\n"
                              "    print('TIMEOUT', request.node.get_closest_marker('timeout'))\n")
    out = project.runpytest_subprocess("-s", "test_t.py").stdout.str()
    assert "TIMEOUT Mark(name='timeout', args=(120.0,)" in out, out
    out = project.runpytest_subprocess("-s", "--timeout", "7", "test_t.py").stdout.str()
    assert "TIMEOUT None" in out, out


def test_a_path_value_in_two_words_still_finds_the_project_config(
        project: pytest.Pytester, tmp_path_factory) -> None:
    """`pytest --port /dev/ttyUSB0`: pytest reads the value as a test path before
    plugins load; the plugin must find the rootdir, ini file and testpaths again."""
    (project.path / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["suite"]\n')
    (project.path / "suite").mkdir()
    (project.path / "suite" / "test_s.py").write_text("def test_on_board():\n    pass\n")
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "ttyUSB0"
    elsewhere.write_bytes(b"")
    for args in (["--port", str(elsewhere)], [f"--port={elsewhere}"]):
        result = project.runpytest_subprocess(*args, "--co", "-q")
        assert result.ret == 0, result.stderr.str()
        out = result.stdout.str()
        assert "suite/test_s.py::test_on_board" in out, out
        assert "test_x.py" not in out, f"collected outside testpaths with {args}: {out}"
        assert "1 test collected" in out, out


def test_an_environment_variable_sets_an_option_and_is_named_when_bad(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIL_FLASH_BAUD", "quick")
    result = project.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "environment variable HIL_FLASH_BAUD='quick'" in result.stderr.str()


# -- every setting: --hil-KEY, --KEY, environment HIL_KEY, ini hil_KEY ------------------
SHOW_OPTIONS = ("def test_show(hil_bench):\n"
                "    o = hil_bench.options\n"
                "    print(f'OPTIONS port={o.port} baud={o.baud} flash={o.flash} "
                "bench={o.bench}')\n")


def _shown(result: pytest.RunResult) -> str:
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    return next(line for line in result.stdout.lines if "OPTIONS " in line)


@pytest.mark.parametrize("args", [
    ["--hil-port", "/dev/ttyX9", "--hil-baud=9600"],
    ["--hil-port=/dev/ttyX9", "--hil-baud", "9600"],
    ["--port", "/dev/ttyX9", "--baud", "9600"],
    ["--port=/dev/ttyX9", "--baud=9600"],
], ids=["hil-two-words", "hil-equals", "short-two-words", "short-equals"])
def test_each_spelling_of_an_option_reaches_the_bench(project: pytest.Pytester,
                                                     args: list[str]) -> None:
    project.makepyfile(test_x=SHOW_OPTIONS)
    shown = _shown(project.runpytest_subprocess(*args, "-s", "test_x.py"))
    assert "port=/dev/ttyX9 baud=9600" in shown


def test_environment_then_ini_give_settings_and_the_command_line_wins(
        project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    project.makepyfile(test_x=SHOW_OPTIONS)
    project.makeini("[pytest]\nhil_port = /dev/from-ini\nhil_baud = 57600\n"
                    "hil_flash = always\n")
    monkeypatch.setenv("HIL_PORT", "/dev/from-env")
    monkeypatch.setenv("HIL_BENCH", "bench-from-env.toml")
    (project.path / "bench-from-env.toml").write_text("")
    shown = _shown(project.runpytest_subprocess("-s", "test_x.py"))
    # env beats ini; ini gives what env does not; no --firmware on a board: flash never
    assert "port=/dev/from-env baud=57600 flash=never bench=" in shown
    assert shown.endswith("/bench-from-env.toml"), shown
    shown = _shown(project.runpytest_subprocess("-s", "--hil-port=/dev/from-cli", "test_x.py"))
    assert "port=/dev/from-cli" in shown
    monkeypatch.setenv("HIL_BAUD", "slow")
    result = project.runpytest_subprocess("test_x.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "environment variable HIL_BAUD='slow'" in result.stderr.str()
