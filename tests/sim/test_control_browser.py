"""The control endpoint against web pages in the user's browser: cross-site posts and DNS rebinding.

Requests are made as a browser would make them (urllib with the browser's headers, raw
sockets where urllib cannot); tests/web/test_page_guard.py does the same from Chromium.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from hil.sim.twin import Twin

pytestmark = [pytest.mark.slow]  # starts twins (erased: the endpoint needs no firmware)


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twin]:
    """One loopback twin for the module; the button is released after each test."""
    with Twin(tmp_path_factory.mktemp("browser") / "state", erased=True) as twin:
        yield twin


@pytest.fixture
def twin(endpoint: Twin) -> Iterator[Twin]:
    yield endpoint
    endpoint.press(False)


def port(twin: Twin) -> int:
    return urlsplit(twin.control_url).port or 80


def call(twin: Twin, method: str, path: str, body: bytes | None = None,
         **headers: str) -> tuple[int, dict[str, Any]]:
    """A request with these headers (Content_Type -> Content-Type); (status, JSON reply)."""
    req = urllib.request.Request(twin.control_url + path, data=body, method=method)
    for name, value in headers.items():
        req.add_header(name.replace("_", "-"), value)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def raw(twin: Twin, request: bytes) -> tuple[int, dict[str, Any]]:
    """One request on a fresh connection, as written; (status, JSON reply)."""
    u = urlsplit(twin.control_url)
    with socket.create_connection((u.hostname, u.port), timeout=10) as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(65536):
            data += chunk  # every refusal closes the connection
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


PRESS = b'{"pressed": true}'


def pressed(twin: Twin) -> bool:
    return bool(twin.state()["button"]["pressed"])


# -- a cross-site POST: no preflight for these types, so they are refused -----------------------


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/plain;charset=UTF-8", "multipart/form-data; boundary=x",
     "application/x-www-form-urlencoded", "application/jsonp", "text/json"],
)
def test_a_post_that_is_not_json_is_415_and_presses_nothing(twin: Twin, content_type: str) -> None:
    status, reply = call(twin, "POST", "/button", PRESS, Content_Type=content_type)
    assert status == 415 and "application/json" in reply["error"], reply
    assert content_type in reply["error"]  # says what it got
    assert not pressed(twin)


def test_urllib_and_curl_default_to_a_form_and_are_told_the_header(twin: Twin) -> None:
    req = urllib.request.Request(twin.control_url + "/button", data=PRESS)  # no header given
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code == 415
    assert "-H 'Content-Type: application/json'" in json.loads(e.value.read())["error"]
    assert not pressed(twin)


def test_a_post_without_content_type_is_415_even_with_no_body(twin: Twin) -> None:
    boots = twin.state()["boot_count"]
    status, reply = raw(twin, b"POST /reset HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
    assert status == 415 and "no Content-Type" in reply["error"]
    assert twin.state()["boot_count"] == boots  # no reset


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_put_and_patch_need_json_too(twin: Twin, method: str) -> None:
    assert call(twin, method, "/button", PRESS, Content_Type="text/plain")[0] == 415


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"]
)
def test_json_is_taken(twin: Twin, content_type: str) -> None:
    assert call(twin, "POST", "/button", PRESS, Content_Type=content_type) == (200, {"pressed": True})
    assert pressed(twin)


# -- Origin: a page of another site -------------------------------------------------------------


def foreign_origins(twin: Twin) -> list[str]:
    p = port(twin)
    return [
        "http://evil.example",
        f"http://localhost:{p}",  # the same server under another name is another origin
        f"http://127.0.0.1:{p + 1}",  # another local service
        f"https://127.0.0.1:{p}",
        "null",  # a sandboxed frame, a file:// page
        f"http://127.0.0.1:{p}/path",
        "http://127.0.0.1:x",
    ]


def test_a_request_from_another_origin_is_403(twin: Twin) -> None:
    for origin in foreign_origins(twin):
        for method, path, body in (("POST", "/button", PRESS), ("GET", "/state", None),
                                   ("GET", "/bench", None)):
            status, reply = call(twin, method, path, body, Content_Type="application/json", Origin=origin)
            assert status == 403, (origin, path, status)
            assert "web page" in reply["error"] and repr(origin) in reply["error"]
    assert not pressed(twin)


def test_the_endpoints_own_origin_is_taken(twin: Twin) -> None:
    p = port(twin)
    assert call(twin, "POST", "/button", PRESS, Content_Type="application/json",
                Origin=f"http://127.0.0.1:{p}")[0] == 200
    assert pressed(twin)
    # the page opened as localhost: its origin follows the name the browser used
    assert call(twin, "POST", "/button", b'{"pressed": false}', Content_Type="application/json",
                Host=f"localhost:{p}", Origin=f"http://LocalHost:{p}")[0] == 200
    assert not pressed(twin)
    # through a tunnel (ssh -L 9000:127.0.0.1:PORT) the page's origin is the tunnel's
    assert call(twin, "GET", "/state", Host="localhost:9000", Origin="http://localhost:9000")[0] == 200


# -- Host: DNS rebinding ------------------------------------------------------------------------


def rebound_hosts(twin: Twin) -> list[str]:
    p = port(twin)
    return [
        f"evil.example:{p}", "evil.example", f"127.0.0.1.evil.example:{p}", f"localhost.evil.example:{p}",
        f"[::2]:{p}", f"10.0.0.1:{p}", f"127.0.0.1:{p}:{p}", f"::1:{p}", f"localhost:{p}x", "",
    ]


def test_a_host_that_is_not_loopback_is_403_on_every_path(twin: Twin) -> None:
    for host in rebound_hosts(twin):
        for method, path, body in (("POST", "/button", PRESS), ("GET", "/state", None),
                                   ("GET", "/", None), ("GET", "/app.js", None), ("GET", "/events", None)):
            status, reply = call(twin, method, path, body, Content_Type="application/json", Host=host)
            assert status == 403, (host, path, status)
            assert "DNS rebinding" in reply["error"], reply
    assert not pressed(twin)


def test_a_rebound_page_is_refused_although_its_origin_matches_its_host(twin: Twin) -> None:
    """What a rebound page sends: its own name in Host and in Origin, same-origin JSON."""
    name = f"evil.example:{port(twin)}"
    status, reply = call(twin, "POST", "/button", PRESS, Content_Type="application/json",
                         Host=name, Origin=f"http://{name}")
    assert status == 403 and "DNS rebinding" in reply["error"] and name in reply["error"]
    assert not pressed(twin)


def test_a_request_without_host_is_403(twin: Twin) -> None:
    status, reply = raw(twin, b"GET /state HTTP/1.0\r\n\r\n")
    assert status == 403 and "no Host header" in reply["error"]


def test_loopback_names_are_taken(twin: Twin) -> None:
    p = port(twin)
    for host in (f"127.0.0.1:{p}", f"localhost:{p}", f"[::1]:{p}", f"LOCALHOST:{p}", "127.0.0.1",
                 f"127.0.0.2:{p}", "localhost:9000"):
        assert call(twin, "GET", "/state", Host=host)[0] == 200, host


# -- off loopback the token guards; Origin still applies ----------------------------------------


def test_off_loopback_any_host_with_the_token_but_never_a_foreign_origin(tmp_path: Path) -> None:
    with Twin(tmp_path / "state", erased=True, host="0.0.0.0") as twin:
        bearer = f"Bearer {twin.control_token}"
        assert call(twin, "GET", "/state", Host="bench.lab.example:8080", Authorization=bearer)[0] == 200
        status, reply = call(twin, "POST", "/button", PRESS, Content_Type="application/json",
                             Authorization=bearer, Origin="http://evil.example")
        assert status == 403 and "web page" in reply["error"]
        assert call(twin, "GET", "/state", Host="bench.lab.example:8080")[0] == 401  # no token
        assert not pressed(twin)
