"""The control endpoint against bad clients: raw sockets and urllib, never a 500, never a hang."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import hil.sim.control as control
from hil.sim.twin import Twin

pytestmark = [pytest.mark.slow, pytest.mark.twin(erased=True)]  # the endpoint needs no firmware
BIN = Path(sys.executable).parent


def address(twin: Any) -> tuple[str, int]:
    u = urlsplit(twin.control_url)
    return u.hostname or "127.0.0.1", u.port or 80


def raw(twin: Any, data: bytes, *, timeout: float = 15.0, then_wait: bool = True) -> tuple[int, dict[str, Any], bool]:
    """Send `data` on a fresh connection; (status, JSON body, whether the server closed it)."""
    with socket.create_connection(address(twin), timeout=timeout) as s:
        s.sendall(data)
        buf = b""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in buf and time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
        closed = False
        if then_wait:
            s.settimeout(2.0)
            try:
                closed = s.recv(1) == b""
            except TimeoutError:
                closed = False
        return status, json.loads(rest[:length] or b"{}"), closed


def post_raw(body: bytes, *headers: str) -> bytes:
    head = ("POST /button HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "".join(h + "\r\n" for h in headers) + "\r\n")
    return head.encode() + body


@pytest.mark.parametrize(
    ("headers", "body", "reason"),
    [
        (["Content-Length: abc"], b"{}", "Content-Length"),
        (["Content-Length: -5"], b"{}", "Content-Length"),
        (["Content-Length: 2", "Content-Length: 3"], b"{}", "conflicting"),
        ([f"Content-Length: {10 * 1024 * 1024}"], b"{", "larger"),
        (["Transfer-Encoding: chunked"], b"2\r\n{}\r\n0\r\n\r\n", "Content-Length"),
    ],
    ids=["length-abc", "length-negative", "length-twice", "oversized", "chunked"],
)
def test_bad_lengths_are_400_at_once_and_the_connection_closes(
    twin: Any, headers: list[str], body: bytes, reason: str
) -> None:
    t0 = time.monotonic()
    status, reply, closed = raw(twin, post_raw(body, *headers))
    assert status == 400 and reason in reply["error"], reply
    assert closed  # what is left of the body must not be read as the next request
    assert time.monotonic() - t0 < control.IO_TIMEOUT  # answered, not timed out


def body_request(body: bytes) -> bytes:
    return post_raw(body, f"Content-Length: {len(body)}")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 30000 + b"]" * 30000, "nested"),  # past the C parser's recursion limit
        (b'{"a": ' + b"[" * 100 + b"]" * 100 + b"}", "nested"),  # parses, but absurdly deep
        (b"[1, 2]", "JSON object"),
        (b'"pressed"', "JSON object"),
        (b'{"pressed": "\xff\xfe"}', "UTF-8"),
        (b'{"pressed": tru', "not JSON"),
    ],
    ids=["deep-30000", "deep-100", "array", "string", "bad-utf8", "truncated-json"],
)
def test_bad_bodies_are_400_with_a_reason(twin: Any, body: bytes, reason: str) -> None:
    status, reply, _ = raw(twin, body_request(body), then_wait=False)
    assert status == 400 and reason in reply["error"], reply


def test_a_garbage_request_line_is_a_json_400(twin: Any) -> None:
    status, reply, closed = raw(twin, b"HELLO THERE\r\n\r\n")
    assert status == 400 and "error" in reply and closed


def test_other_methods_are_405_or_404_not_500(twin: Any) -> None:
    delete = b"DELETE /faults HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
    status, reply, _ = raw(twin, delete, then_wait=False)
    assert status == 405 and "POST" in reply["error"]
    put = (b"PUT /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           b"Content-Length: 2\r\n\r\n{}")
    status, _, _ = raw(twin, put, then_wait=False)
    assert status == 404


def test_keep_alive_still_works_after_good_requests(twin: Any) -> None:
    req = body_request(b'{"pressed": true}')
    with socket.create_connection(address(twin), timeout=10) as s:
        for _ in range(3):
            s.sendall(req)
            data = b""
            while not data.endswith(b"}"):
                data += s.recv(4096)
            assert data.startswith(b"HTTP/1.1 200")


@pytest.fixture
def short_io(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Twin]:
    monkeypatch.setattr(control, "IO_TIMEOUT", 1.0)
    with Twin(tmp_path / "state", erased=True) as twin:
        yield twin


def test_a_body_that_never_comes_is_dropped_after_the_deadline(short_io: Twin) -> None:
    status, reply, closed = raw(short_io, post_raw(b'{"pre', "Content-Length: 100"))
    assert status == 400 and "did not arrive" in reply["error"] and closed


def test_an_idle_connection_is_closed_after_the_deadline(short_io: Twin) -> None:
    with socket.create_connection(address(short_io), timeout=10) as s:
        assert s.recv(1) == b""  # closed by the server, without a request


def test_connections_are_bounded_and_freed(twin: Any) -> None:
    held = [socket.create_connection(address(twin), timeout=10) for _ in range(control.MAX_CONNECTIONS)]
    try:
        time.sleep(0.3)  # all of them accepted and waiting for a request
        status, reply, closed = raw(twin, b"GET /state HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert status == 503 and "too many connections" in reply["error"] and closed
    finally:
        for s in held:
            s.close()
    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(twin.control_url + "/state", timeout=5) as r:
                assert r.status == 200
                break
        except urllib.error.HTTPError as e:
            assert e.code == 503 and time.monotonic() < deadline
            time.sleep(0.1)


# -- the token on a non-loopback address ------------------------------------------------------


def get_state(url: str, token: str | None) -> int:
    req = urllib.request.Request(url + "/state")
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        body = json.loads(e.read())
        assert "Authorization: Bearer" in body["error"]
        return e.code


def test_loopback_needs_no_token(twin: Any) -> None:
    assert twin.control_token is None
    assert get_state(twin.control_url, None) == 200


def test_a_non_loopback_host_needs_the_token(tmp_path: Path) -> None:
    with Twin(tmp_path / "state", erased=True, host="0.0.0.0") as twin:
        token = twin.control_token
        assert token and len(token) >= 20
        url = twin.control_url
        assert get_state(url, None) == 401
        assert get_state(url, "not-the-token") == 401
        assert get_state(url, token) == 200
        status, _, closed = raw(twin, post_raw(b'{"pressed": true}', "Content-Length: 17"))
        assert status == 401 and closed
        assert twin.state()["button"]["pressed"] is False  # the refused press did nothing


def test_hil_sim_prints_the_token_once_for_a_non_loopback_host(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [str(BIN / "hil"), "sim", "--state", str(tmp_path / "s"), "--erased", "--host", "0.0.0.0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        lines = dict(proc.stdout.readline().strip().split(": ", 1) for _ in range(5))
        assert set(lines) == {"pty", "url", "control", "page", "token"}
        assert get_state(lines["control"], None) == 401
        assert get_state(lines["control"], lines["token"]) == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert lines["token"] not in out  # once, at start
