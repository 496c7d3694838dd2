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
    (["--app-dir", "nowhere"], "is not a directory; pass --app-dir"),
], ids=["flash", "baud-word", "baud-negative", "port-empty", "app-dir"])
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


def test_a_path_value_in_two_words_is_refused_with_the_fix(project: pytest.Pytester,
                                                           tmp_path_factory) -> None:
    """pytest reads `--firmware /elsewhere/fw.bin` as a test path before plugins load."""
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "fw.bin"
    elsewhere.write_bytes(b"x")
    result = project.runpytest_subprocess("--firmware", str(elsewhere))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"write --firmware={elsewhere} (with '=')" in result.stderr.str()
    # with '=' it is read as the option's value (and the run goes on to collect)
    assert project.runpytest_subprocess(f"--firmware={elsewhere}", "--co").ret == 0
