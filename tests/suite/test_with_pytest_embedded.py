"""hil and pytest-embedded in one environment: both register --port and --baud.

pytest-embedded is installed from PyPI into a separate virtual environment that
also sees this environment's packages (hil included), so the project's own
environment stays as it is. Skipped only when pytest-embedded cannot be
installed (no package index reachable).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from suite_runner import ROOT, clean_env, run_pytest

pytestmark = pytest.mark.slow  # a venv and a pip install


@pytest.fixture(scope="module")
def python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A python with hil (this environment) and pytest-embedded (its own venv)."""
    venv = tmp_path_factory.mktemp("embedded-venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    site_dir = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                              capture_output=True, text=True, check=True).stdout.strip()
    ours = [p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    # addsitedir (not a plain path line) also runs the .pth files there: hil's editable finder
    (Path(site_dir) / "hil-env.pth").write_text(
        "".join(f"import site; site.addsitedir({p!r})\n" for p in ours))
    pip = subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                          "pytest-embedded"], capture_output=True, text=True, timeout=600,
                         check=False)
    if pip.returncode != 0:
        pytest.skip(f"pytest-embedded could not be installed: {pip.stderr[-500:]}")
    return str(py)


def run(python: str, cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    # labgrid's pytest plugin (installed with hil[labgrid], whose client API --place
    # uses) has a `target` fixture, as pytest-embedded has: in one run the two clash.
    return run_pytest("-p", "no:labgrid", *args, cwd=cwd, env=clean_env(ci=True),
                      timeout=timeout, python=python)


def test_pytest_starts_and_lists_both_plugins_options(python: str, tmp_path: Path) -> None:
    result = run(python, tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "serial port. (Env:" in out  # pytest-embedded's --port
    assert "--hil-port=PORT" in out and "--hil-baud=BAUD" in out
    assert "--firmware=PATH" in out  # a short form nobody else has stays


def test_port_reaches_pytest_embeddeds_tests_and_hils_bench(python: str, tmp_path: Path) -> None:
    (tmp_path / "test_both.py").write_text(
        "def test_embedded(port, baud):\n"
        "    assert (port, baud) == ('/dev/ttyX9', '9600')\n"
        "def test_hil(hil_bench):\n"
        "    assert (hil_bench.options.port, hil_bench.options.baud) == ('/dev/ttyX9', 9600)\n")
    for args in (["--port", "/dev/ttyX9", "--baud", "9600"], ["--port=/dev/ttyX9", "--baud=9600"]):
        result = run(python, tmp_path, *args, "test_both.py")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "2 passed" in result.stdout


@pytest.mark.slow
def test_hils_suite_passes_on_a_twin_given_by_port(python: str, twin, tmp_path: Path) -> None:
    result = run(python, ROOT, "suite", "-q", "--basetemp", str(tmp_path / "base"),
                 "--port", twin.url, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert f"board: board on {twin.url}" in result.stdout
    assert "7 passed, 1 skipped" in result.stdout  # no --firmware: the version test skips
