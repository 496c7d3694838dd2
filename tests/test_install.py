"""What `pip install hil` puts into site-packages: only names that belong to hil.

A top-level ``fixtures`` package would overwrite (and on uninstall delete)
PyPI's ``fixtures``; the repository's fixtures/ folder is installed as
``hil_pytest`` (setup.py). Builds the real wheel with pip.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # builds and installs a wheel

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # pip builds the wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                            "--disable-pip-version-check", "-w", str(out), str(ROOT)],
                           capture_output=True, text=True, timeout=600, check=False)
    assert build.returncode == 0, build.stderr[-3000:]
    (path,) = out.glob("hil-*.whl")
    return zipfile.ZipFile(path)


def test_the_wheel_has_no_top_level_package_but_hils(wheel: zipfile.ZipFile) -> None:
    top = {name.split("/", 1)[0] for name in wheel.namelist()}
    assert top == {"hil", "hil_pytest", "hil-0.1.0.dist-info"}, top


def test_the_plugin_is_the_fixtures_folder_under_hils_name(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for path in (ROOT / "fixtures").glob("*.py"):
        assert f"hil_pytest/{path.name}" in names
        assert wheel.read(f"hil_pytest/{path.name}") == path.read_bytes()
    (entry_points,) = [n for n in names if n.endswith("entry_points.txt")]
    text = wheel.read(entry_points).decode()
    assert "hil = hil_pytest.plugin" in text, text
    # the twin's interpreter files and the bench profile travel with it
    assert "hil/sim/firmware/startup.py" in names
    assert "hil/bench/reference.toml" in names
    for page_file in ("index.html", "app.js", "style.css", "favicon.svg"):  # the bench page
        assert f"hil/sim/web/{page_file}" in names


def test_python_310_gets_a_toml_parser(wheel: zipfile.ZipFile) -> None:
    (metadata,) = [n for n in wheel.namelist() if n.endswith("dist-info/METADATA")]
    requires = [line for line in wheel.read(metadata).decode().splitlines()
                if line.startswith("Requires-Dist: tomli")]
    assert requires and 'python_version < "3.11"' in requires[0], requires


def test_no_plotting_library_and_bounded_private_part_users(wheel: zipfile.ZipFile) -> None:
    (metadata,) = [n for n in wheel.namelist() if n.endswith("dist-info/METADATA")]
    requires = {line.split(":", 1)[1].strip().split(";")[0].replace(" ", "")
                for line in wheel.read(metadata).decode().splitlines()
                if line.startswith("Requires-Dist:") and "extra ==" not in line}
    names = {r.split("<")[0].split(">")[0].split("=")[0].split("!")[0] for r in requires}
    assert "matplotlib" not in names  # the waveform is an SVG written directly
    for dist in ("pytest", "pyserial", "mpremote", "esptool", "esp-pylib"):
        (spec,) = [r for r in requires if r.split("<")[0].split(">")[0] == dist]
        assert "<" in spec, f"{dist} has no upper bound: {spec}"
