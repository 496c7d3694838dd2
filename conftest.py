"""Thin on purpose: the fixtures come from the `hil` pytest plugin (fixtures/plugin.py),
installed through the pytest11 entry point, so they exist wherever hil is installed.

Only a checkout used without `pip install -e .` loads the plugin from here.
"""

from importlib.metadata import entry_points

# pytester: the project's tests of the suite (tests/suite) drive pytest itself, and
# pytest accepts `pytest_plugins` only in the rootdir conftest.
pytest_plugins = ["pytester"]
if not any(ep.name == "hil" for ep in entry_points(group="pytest11")):
    pytest_plugins.append("fixtures.plugin")
