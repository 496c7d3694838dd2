"""Fixtures shared by the project's own tests: `twin`, a running virtual bench.

    def test_x(twin): ...                                  # default bench, new board
    @pytest.mark.twin(faults=["split-rail"])               # Twin(...) keyword arguments
    def test_y(twin): ...
    @pytest.mark.parametrize("twin", [["split-rail"], {"erased": True}], indirect=True)
    def test_z(twin): ...                                  # a fault list or a kwargs dict

The twin runs in a fresh temporary state directory and is always stopped
(its interpreter process killed) when the test ends, pass or fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "twin(**kwargs): keyword arguments for the `twin` fixture's Twin")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow tests first, each module's tests kept together and in their order.

    `make test` spreads the tests over pytest-xdist workers in collection order
    (``--dist load``): a 30 s suite run that starts last would be the run's tail.
    No test depends on this order (each one sets up the bench it needs).
    """
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
