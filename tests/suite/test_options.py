"""The plugin's options: bad values are usage errors that say what to do (no board needed)."""

from __future__ import annotations

import pytest

EMPTY_TEST = "def test_nothing():\n    pass\n"


def test_the_plugin_leaves_other_projects_alone(pytester: pytest.Pytester) -> None:
    """No firmware/ here and no hil options: the plugin must not get in the way."""
    pytester.makepyfile(test_x=EMPTY_TEST)
    assert pytester.runpytest_subprocess().ret == 0


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


def test_timeout_default_is_set_when_nothing_else_is(project: pytest.Pytester) -> None:
    project.makepyfile(test_t="def test_t(request):\n"
                              "    assert request.config.getoption('timeout') == 120.0\n")
    assert project.runpytest_subprocess("test_t.py").ret == 0
    # an explicit --timeout wins
    project.makepyfile(test_u="def test_u(request):\n"
                              "    assert request.config.getoption('timeout') == 7.0\n")
    assert project.runpytest_subprocess("test_u.py", "--timeout", "7").ret == 0


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
