"""Fixtures shared by the project's own tests: `twin`, a running virtual bench.

    def test_x(twin): ...                                  # default bench, new board
    @pytest.mark.twin(faults=["split-rail"])               # Twin(...) keyword arguments
    def test_y(twin): ...
    @pytest.mark.parametrize("twin", [["split-rail"], {"erased": True}], indirect=True)
    def test_z(twin): ...                                  # a fault list or a kwargs dict

The twin runs in a fresh temporary state directory and is always stopped
(its interpreter process killed) when the test ends, pass or fail.

The fast lane (`make check`, ``-m "not slow"``) holds no test that starts a
twin or a pytest session: a test asking for one of ``SLOW_FIXTURES`` is marked
``slow`` here, so a new twin test never lands in the fast lane by accident. Modules that start
MicroPython or tool processes through fixtures of their own say
``pytestmark = pytest.mark.slow`` themselves.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Fixtures that start a twin (tests/conftest.py, tests/harness/conftest.py,
# tests/diagnose/conftest.py), and pytester (a whole pytest session per test).
TWIN_FIXTURES = frozenset({"twin", "module_twin", "fresh_twin", "twins"})
SLOW_FIXTURES = TWIN_FIXTURES | {"pytester"}


def pytest_configure(config: pytest.Config) -> None:
    # Suite runs these tests start (subprocesses) leave their artifacts in a temporary
    # folder, not in the checkout's ./hil-artifacts (fixtures/artifacts.py). One folder
    # per pytest-xdist worker: workers inherit the controller's environment, and two
    # suite runs at once in one folder would replace each other's per-test files.
    base = os.environ.get("HIL_ARTIFACTS") or tempfile.mkdtemp(prefix="hil-artifacts-")
    worker = getattr(config, "workerinput", {}).get("workerid")
    if worker:
        base = tempfile.mkdtemp(prefix=f"{worker}-", dir=base)
    os.environ["HIL_ARTIFACTS"] = base
    config.addinivalue_line("markers", "twin(**kwargs): keyword arguments for the `twin` fixture's Twin")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Twin tests are slow; slow tests run first, each module's tests together in their order.

    `make test` hands the tests to pytest-xdist workers in collection order: a
    30 s suite run that starts last would be the run's tail. No test depends
    on this order (each one sets up the bench it needs).
    """
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def _twin_kwargs(request: pytest.FixtureRequest) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    marker = request.node.get_closest_marker("twin")
    if marker is not None:
        kwargs.update(marker.kwargs)
    param = getattr(request, "param", None)
    if isinstance(param, dict):
        kwargs.update(param)
    elif isinstance(param, (list, tuple)):
        kwargs["faults"] = list(param)
    elif isinstance(param, str):
        kwargs["faults"] = [param]
    return kwargs


@pytest.fixture
def twin(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A running Twin (hil.sim.twin) in a temporary state directory; stopped afterwards."""
    from hil.sim.twin import Twin

    t = Twin(tmp_path / "twin-state", **_twin_kwargs(request))
    t.start()
    try:
        yield t
    finally:
        t.stop()
