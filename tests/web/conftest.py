"""A real headless browser on the bench page: Playwright drives Debian's Chromium.

Playwright's own browser download is never used (`playwright install` fetches
from a CDN): the browser is the distribution's `/usr/bin/chromium`
(`apt-get install chromium`; `.ci/run` installs it), or `HIL_CHROMIUM`. Without
it, or without the `playwright` package (`pip install -e '.[web-tests]'`), the
browser tests skip and say which is missing.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    # made-up names for other sites on this machine (test_page_guard.py), as DNS would map them
    "--host-resolver-rules=MAP attacker.test 127.0.0.1, MAP rebind.test 127.0.0.1",
]
LOAD_TIMEOUT_MS = 20_000  # the twin and the browser share two loaded cores


def _missing(reason: str) -> None:
    # CI installs Chromium and Playwright (.ci/run, the dev extra): there a skip would hide
    # a page nobody tested, so it is a failure.
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the bench page tests: {reason}")
    pytest.skip(reason)


def chromium_path() -> str | None:
    path = os.environ.get("HIL_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if os.access(path, os.X_OK) else None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the bench page tests need Playwright: pip install -e '.[web-tests]'")
    exe = chromium_path()
    if exe is None:
        _missing("the bench page tests need Chromium: apt-get install chromium "
                 "(or HIL_CHROMIUM=/path/to/chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class BenchPage:
    """The bench page of one twin in a fresh browser tab, with its console watched."""

    def __init__(self, browser: Any, twin: Any) -> None:
        self.twin = twin
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.set_default_timeout(LOAD_TIMEOUT_MS)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))

    def _console(self, msg: Any) -> None:
        if msg.type in ("error", "assert"):
            self.errors.append(f"console.{msg.type}: {msg.text}")

    def open(self, query: str = "") -> BenchPage:
        self.page.goto(self.twin.control_url + "/" + query)
        self.page.wait_for_function("() => window.bench && window.bench.connected && window.bench.state")
        return self

    def led_lit(self, label: str) -> bool:
        return self.page.get_attribute(f"#led-{label}", "data-lit") == "true"

    def wait(self, js: str, timeout_ms: int = LOAD_TIMEOUT_MS) -> None:
        self.page.wait_for_function(f"() => {js}", timeout=timeout_ms)

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def bench_page(browser: Any, twin: Any) -> Iterator[BenchPage]:
    """The page on the `twin` fixture's control endpoint; the test fails on any console error."""
    bp = BenchPage(browser, twin)
    try:
        yield bp.open()
        # let events in flight land, so an error they cause is seen here
        bp.page.wait_for_timeout(200)
    finally:
        errors = list(bp.errors)
        bp.close()
    assert errors == [], f"the page logged errors: {errors}"


def run_blink_app(twin: Any) -> None:
    """Put the tutorial's app (firmware/main.py) on the twin and start it, as after a reset."""
    from hil.repl import Repl

    with Repl(twin.url) as repl:
        repl.fs_write("/main.py", (REPO / "firmware" / "main.py").read_bytes())
        repl.soft_reset(run_main=True)


def wait_until(predicate: Any, timeout: float = 20.0, what: str = "") -> None:
    """Poll the twin's own record until `predicate()`; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail(f"gave up after {timeout:.0f} s waiting for {what}")
