"""Other web pages in the same Chromium cannot drive the bench: a cross-site post, DNS rebinding.

The browser maps two made-up names to 127.0.0.1 (`--host-resolver-rules` in conftest.py),
as DNS would: `attacker.test` serves a page from another port on this machine (another site), and
`rebind.test` stands for an attacker's name re-pointed at the endpoint itself (DNS
rebinding: the browser then takes the endpoint for the attacker's own origin).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from .conftest import LOAD_TIMEOUT_MS

pytestmark = [pytest.mark.twin(erased=True), pytest.mark.slow, pytest.mark.timeout(180)]


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    pg = browser.new_page()
    pg.set_default_timeout(LOAD_TIMEOUT_MS)
    try:
        yield pg
    finally:
        pg.close()


class _Attacker(BaseHTTPRequestHandler):
    """Any page: an empty HTML document (the test runs its script in it)."""

    def do_GET(self) -> None:
        data = b"<!doctype html><title>some other site</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def attacker_site() -> Iterator[str]:
    """Another site on this machine: http://attacker.test:PORT/."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Attacker)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://attacker.test:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


# Every request a page may send to another site without asking the server first
# (no-cors fetch, as a <form> would: text/plain, form-urlencoded, multipart),
# and one that needs a preflight (JSON). The script says which got an answer.
CROSS_SITE = """async (target) => {
  const sent = [];
  const body = '{"pressed": true}';
  for (const type of ["text/plain", "application/x-www-form-urlencoded"]) {
    const r = await fetch(target + "/button", {method: "POST", mode: "no-cors",
                                               headers: {"Content-Type": type}, body});
    sent.push(r.type);  // "opaque": the request went out and an answer came back
  }
  const form = new FormData();
  form.append("pressed", "true");
  sent.push((await fetch(target + "/button", {method: "POST", mode: "no-cors", body: form})).type);
  try {
    await fetch(target + "/button", {method: "POST", headers: {"Content-Type": "application/json"}, body});
    sent.push("json answered");
  } catch (e) {
    sent.push("json refused");  // the preflight (OPTIONS) is not granted
  }
  return sent;
}"""


def test_a_page_of_another_site_cannot_press_the_button(twin: Any, page: Any, attacker_site: str) -> None:
    page.goto(attacker_site)
    sent = page.evaluate(CROSS_SITE, twin.control_url)
    assert sent == ["opaque", "opaque", "opaque", "json refused"]  # the posts reached the endpoint
    assert twin.state()["button"]["pressed"] is False  # and were refused


def test_a_rebound_name_gets_neither_the_page_nor_the_bench(twin: Any, page: Any) -> None:
    rebound = f"http://rebind.test:{urlsplit(twin.control_url).port}"
    response = page.goto(rebound + "/")
    assert response.status == 403 and "DNS rebinding" in page.content()  # no bench page
    # the document at the rebound origin is now same-origin with the endpoint: no preflight
    # and no Origin check stop it; only the Host header gives it away
    statuses = page.evaluate("""async () => {
      const state = await fetch("/state");
      const press = await fetch("/button", {method: "POST", headers: {"Content-Type": "application/json"},
                                           body: '{"pressed": true}'});
      return [state.status, press.status];
    }""")
    assert statuses == [403, 403]
    assert twin.state()["button"]["pressed"] is False


def test_the_bench_page_opened_as_localhost_still_works(twin: Any, page: Any) -> None:
    page.goto(twin.control_url.replace("127.0.0.1", "localhost") + "/")
    page.wait_for_function("() => window.bench && window.bench.connected && window.bench.state")
    status = page.evaluate("""() => fetch("/button", {method: "POST", headers: {"Content-Type": "application/json"},
                                             body: '{"pressed": true}'}).then(r => r.status)""")
    assert status == 200
    assert twin.state()["button"]["pressed"] is True
