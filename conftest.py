"""Thin on purpose: the fixtures come from the `hil` pytest plugin (fixtures/plugin.py,
installed as `hil_pytest`) through the pytest11 entry point, so they exist wherever hil
is installed.

Only a checkout used without `pip install -e .` loads the plugin from here, under the
same name `hil_pytest` (so `from hil_pytest.board import Board` works there too).
"""

import importlib.util
import sys
from importlib.metadata import entry_points
from pathlib import Path

# pytester: the project's tests of the suite (tests/suite) drive pytest itself, and
# pytest accepts `pytest_plugins` only in the rootdir conftest.
pytest_plugins = ["pytester"]
if not any(ep.name == "hil" for ep in entry_points(group="pytest11")):
    if "hil_pytest" not in sys.modules:
        _folder = Path(__file__).parent / "fixtures"
        _spec = importlib.util.spec_from_file_location(
            "hil_pytest", _folder / "__init__.py", submodule_search_locations=[str(_folder)])
        sys.modules["hil_pytest"] = importlib.util.module_from_spec(_spec)
        _spec.loader.exec_module(sys.modules["hil_pytest"])
    pytest_plugins.append("hil_pytest.plugin")
