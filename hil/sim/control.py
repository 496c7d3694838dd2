"""The twin's control endpoint: the operator's hands over HTTP + JSON on loopback.

| method | path | body | effect |
|---|---|---|---|
| POST | /button | {"pressed": true/false} | press or release the stop button |
| POST | /wire | {"a": "D5", "b": "GND", "connect": true/false} | an operator's jumper wire |
| POST | /wire | {"wire": "W1", "connect": true/false} | put back / pull out a bench wire (W1 W2 W3 BRIDGE) |
| POST | /faults | {"set": [...], "clear": [...]} | switch faults (unknown name: 400 + valid names) |
| POST | /reset | {"flash": false} | the board's RST button, optionally with FLASH held |
| POST | /link | {"set": ["garble:1e-4"], "clear": ["drop"]} | link faults (hil/sim/link.py; unknown kind: 400 + valid kinds) |
| GET | /state | | pins, LED history, faults, wires, button, boot state, firmware, shorts |
| GET | /, /events, /bench | | the bench page, its live events and layout (hil/sim/web) |

Every reply is JSON; errors are `{"error": "..."}` with a 4xx/5xx status.
Every POST carries `Content-Type: application/json` (curl: `-H 'Content-Type:
application/json' -d '{...}'`), else 415.

Hardening (a bad client can neither crash a handler nor hold one forever):

- A malformed request is a 400 with a reason, never a 500: a Content-Length
  that is not a non-negative integer, a body larger than `MAX_BODY`, a chunked
  body, bytes that are not UTF-8, JSON that is not an object or nests deeper
  than `MAX_DEPTH`. After an error whose body was not read the connection is closed.
- Every socket read has a deadline (`IO_TIMEOUT`): a client that promises a
  body and never sends it, or idles on a kept-alive connection, is dropped.
- At most `MAX_CONNECTIONS` connections are served at once; more get a 503
  and are closed at once.
- On a non-loopback address the endpoint needs a token: every request sends
  `Authorization: Bearer TOKEN` (`hil sim` prints the token once; Twin:
  `control_token`), else 401. On loopback no token is needed, as anyone who
  can reach 127.0.0.1 can already run the twin's clients (web pages cannot: below).

Web pages (hil/sim/guard.py: any page open in the user's browser can send requests
to 127.0.0.1; these rules come before the token and apply to the bench page's files too):

| request | answer |
|---|---|
| POST/PUT/PATCH without `Content-Type: application/json` (a form, a no-cors fetch) | 415 |
| an `Origin` header other than the endpoint's own (`http://` + Host) | 403 |
| on a loopback bind, a `Host` other than `localhost`, 127.x.y.z or `[::1]` (any port) | 403 (DNS rebinding) |
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import socket
import threading
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from hil.sim.breadboard import BENCH_WIRES
from hil.sim.errors import SimUsageError
from hil.sim.faults import FAULTS, UnknownFaultError
from hil.sim.guard import content_type_problem, host_problem, is_loopback, origin_problem
from hil.sim.link import KINDS as LINK_KINDS
from hil.sim.link import UnknownLinkFaultError
from hil.sim.web import handle as handle_web
from hil.sim.web import is_asset

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # bytes; the largest real request is a few hundred
MAX_DEPTH = 16  # JSON nesting; real requests nest 2 deep
MAX_CONNECTIONS = 32  # served at once (the bench page keeps a few open)
IO_TIMEOUT = 10.0  # s for every socket read or write of a connection


def _depth(value: Any) -> int:
    """How deep `value` nests (1 for a flat object), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            deepest = max(deepest, d)
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            deepest = max(deepest, d)
            stack.extend((x, d + 1) for x in v)
    return deepest


class Bench(Protocol):
    def press(self, pressed: bool) -> None: ...
    def wire(self, a: str, b: str | None = None, connect: bool = True) -> None: ...
    def set_faults(self, set: list[str] = ..., clear: list[str] = ...) -> list[str]: ...
    def state(self) -> dict[str, Any]: ...
    def reset(self, flash: bool = False) -> None: ...
    def set_link_faults(self, set: list[str] = ..., clear: list[str] = ...) -> list[str]: ...
    def link_state(self) -> dict[str, Any]: ...


class _HttpError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("error", ""))
        self.status = status
        self.body = body


def _field(body: dict[str, Any], key: str, kind: type, default: Any = None) -> Any:
    if key not in body:
        if default is not None:
            return default
        raise _HttpError(400, {"error": f"missing field {key!r}"})
    value = body[key]
    if kind is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _HttpError(400, {"error": f"{key!r} must be a list of strings"})
    elif not isinstance(value, kind):
        raise _HttpError(400, {"error": f"{key!r} must be {kind.__name__}, not {type(value).__name__}"})
    return value


class _BoundedServer(ThreadingHTTPServer):
    """A thread per connection, at most MAX_CONNECTIONS of them; the rest get a 503."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            body = json.dumps({"error": f"too many connections (at most {MAX_CONNECTIONS}); retry later"}).encode()
            head = (
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\nRetry-After: 1\r\n\r\n"
            )
            try:
                request.settimeout(1.0)
                request.sendall(head.encode() + body)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


class _BoundedServer6(_BoundedServer):
    address_family = socket.AF_INET6


class ControlServer:
    """A threaded HTTP server on `host:port` (0 = any free port) driving `bench`.

    `token`: required as `Authorization: Bearer TOKEN` on every request. None = one is
    made up when `host` is not loopback (see `token`), none needed on loopback.
    """

    def __init__(self, bench: Bench, host: str = "127.0.0.1", port: int = 0, token: str | None = None) -> None:
        self._bench = bench
        if token is None and not is_loopback(host):
            token = secrets.token_urlsafe(24)
        self.token = token
        self._loopback = is_loopback(host)  # then the Host header must name loopback (guard.py)
        handler = self._make_handler()
        server_class = _BoundedServer6 if ":" in host else _BoundedServer
        self._httpd = server_class((host, port), handler)
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()  # ends the bench page's event streams

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        if ":" in str(host):
            host = f"[{host}]"  # IPv6 literal in a URL
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.2}, name="control-http", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._closing.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=2.0)
            self._thread = None
        self._httpd.server_close()

    # -- routes ---------------------------------------------------------------------------

    def _route(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        b = self._bench
        path = path.split("?", 1)[0].rstrip("/") or "/"
        if method == "GET" and path == "/state":
            return 200, b.state()
        if method == "POST" and path == "/button":
            pressed = _field(body, "pressed", bool)
            b.press(pressed)
            return 200, {"pressed": pressed}
        if method == "POST" and path == "/wire":
            connect = body.get("connect", True)
            if not isinstance(connect, bool):
                raise _HttpError(400, {"error": "'connect' must be true or false"})
            if "wire" in body:
                if "a" in body or "b" in body:
                    raise _HttpError(400, {"error": "give either 'wire' (a bench wire) or 'a' and 'b' (a jumper)"})
                name = _field(body, "wire", str)
                if name.strip().upper() not in BENCH_WIRES:
                    raise _HttpError(
                        400, {"error": f"unknown bench wire {name!r}", "valid": list(BENCH_WIRES)}
                    )
                b.wire(name, None, connect)
                return 200, {"wire": name.strip().upper(), "connect": connect}
            a, c = _field(body, "a", str), _field(body, "b", str)
            b.wire(a, c, connect)
            return 200, {"a": a, "b": c, "connect": connect}
        if method == "POST" and path == "/faults":
            set_ = _field(body, "set", list, default=[]) if "set" in body else []
            clear = _field(body, "clear", list, default=[]) if "clear" in body else []
            try:
                active = b.set_faults(set_, clear)
            except UnknownFaultError as e:
                raise _HttpError(400, {"error": str(e), "unknown": e.names, "valid": list(FAULTS)}) from e
            return 200, {"faults": active}
        if method == "POST" and path == "/reset":
            flash = body.get("flash", False)
            if not isinstance(flash, bool):
                raise _HttpError(400, {"error": "'flash' must be true or false"})
            b.reset(flash=flash)
            return 200, {"reset": True, "flash": flash}
        if method == "POST" and path == "/link":
            set_ = _field(body, "set", list) if "set" in body else []
            clear = _field(body, "clear", list) if "clear" in body else []
            try:
                b.set_link_faults(set_, clear)
            except UnknownLinkFaultError as e:
                raise _HttpError(400, {"error": str(e), "unknown": e.names, "valid": list(LINK_KINDS)}) from e
            return 200, {"link": b.link_state()}
        known = {
            "/state": "GET", "/button": "POST", "/wire": "POST", "/faults": "POST", "/reset": "POST",
            "/link": "POST",
        }
        if path in known:
            raise _HttpError(405, {"error": f"{method} {path}: use {known[path]}"})
        raise _HttpError(404, {"error": f"no endpoint {path}; endpoints: {', '.join(known)}"})

    def _refusal(self, headers: HTTPMessage) -> _HttpError | None:
        """A browser's request the endpoint must not take (hil/sim/guard.py), before the token."""
        host = headers.get("Host")
        if self._loopback and (problem := host_problem(host, self.url)):
            return _HttpError(403, {"error": problem})
        if problem := origin_problem(headers.get("Origin"), host):
            return _HttpError(403, {"error": problem})
        return None

    def _authorized(self, header: str | None, path: str = "") -> bool:
        """The bearer token in the header, or `?token=` (a browser's EventSource sends no
        headers: the bench page passes it in the address)."""
        if self.token is None:
            return True
        scheme, _, value = (header or "").strip().partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(),
                                                              self.token.encode()):
            return True
        given = parse_qs(urlsplit(path).query).get("token", [""])[0]
        return bool(given) and hmac.compare_digest(given.encode(), self.token.encode())

    def _make_handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = IO_TIMEOUT  # StreamRequestHandler: a deadline on every socket operation
            default_request_version = "HTTP/1.0"  # errors on a garbage request line get a status line

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_PUT(self) -> None:
                self._handle("PUT")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

            def do_PATCH(self) -> None:
                self._handle("PATCH")

            def _handle(self, method: str) -> None:
                try:
                    if refusal := server._refusal(self.headers):
                        self.close_connection = True  # a body, if any, is not read
                        raise refusal
                    if method == "GET" and is_asset(self.path):
                        handle_web(self, server._bench, server._closing)
                        return  # the page's own files: no secret in them
                    if not server._authorized(self.headers.get("Authorization"), self.path):
                        self.close_connection = True  # a body, if any, is not read
                        raise _HttpError(401, {
                            "error": "this control endpoint needs its token: send the header "
                            "'Authorization: Bearer TOKEN' with the token `hil sim` printed at start"
                        })
                    if method == "GET" and handle_web(self, server._bench, server._closing):
                        return  # the bench's layout or its event stream
                    if method in ("POST", "PUT", "PATCH"):
                        if problem := content_type_problem(self.headers.get("Content-Type")):
                            self.close_connection = True  # the body is not read
                            raise _HttpError(415, {"error": problem})
                        body = self._body()
                    else:
                        body = {}
                        if (self.headers.get("Content-Length") or "0").strip() != "0":
                            self.close_connection = True  # an unread body must not become a request
                    status, reply = server._route(method, self.path, body)
                except _HttpError as e:
                    status, reply = e.status, e.body
                except SimUsageError as e:
                    status, reply = 400, {"error": str(e)}
                except Exception as e:  # the endpoint must answer, whatever broke
                    log.exception("control endpoint %s %s", method, self.path)
                    status, reply = 500, {"error": f"{type(e).__name__}: {e}"}
                self._reply(status, reply)

            def _reply(self, status: int, reply: dict[str, Any]) -> None:
                data = json.dumps(reply).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    if status == 401:
                        self.send_header("WWW-Authenticate", 'Bearer realm="hil sim"')
                    if self.close_connection:
                        self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    self.close_connection = True  # the client is gone or stalled

            def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
                """Errors found by http.server itself (bad request line, 501...) as JSON too."""
                self.close_connection = True
                text = message or self.responses.get(code, ("error",))[0]
                self._reply(code, {"error": f"{text}{': ' + explain if explain else ''}"})

            def _bad(self, reason: str) -> _HttpError:
                self.close_connection = True  # the rest of the body (if any) is not read
                return _HttpError(400, {"error": reason})

            def _body(self) -> dict[str, Any]:
                if self.headers.get("Transfer-Encoding"):
                    raise self._bad("chunked or encoded bodies are not supported: send Content-Length")
                lengths = self.headers.get_all("Content-Length") or []
                if len(set(lengths)) > 1:
                    raise self._bad(f"conflicting Content-Length headers {lengths}")
                text = (lengths[0] if lengths else "0").strip()
                if not text.isdigit():
                    raise self._bad(f"Content-Length {text!r} is not a non-negative integer")
                length = int(text)
                if length > MAX_BODY:
                    raise self._bad(f"body of {length} bytes is larger than the {MAX_BODY} allowed")
                try:
                    raw = self.rfile.read(length) if length else b""
                except (TimeoutError, OSError):
                    raise self._bad(f"the body did not arrive within {IO_TIMEOUT:g} s") from None
                if len(raw) < length:
                    raise self._bad(f"the body ended after {len(raw)} of {length} bytes")
                try:
                    doc = raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    raise _HttpError(400, {"error": f"body is not UTF-8: {e}"}) from e
                if not doc.strip():
                    return {}
                try:
                    body = json.loads(doc)
                except RecursionError:
                    raise _HttpError(400, {"error": f"JSON nested deeper than {MAX_DEPTH} levels"}) from None
                except ValueError as e:
                    raise _HttpError(400, {"error": f"body is not JSON: {e}"}) from e
                if not isinstance(body, dict):
                    raise _HttpError(400, {"error": f"body must be a JSON object, not {type(body).__name__}"})
                if _depth(body) > MAX_DEPTH:
                    raise _HttpError(400, {"error": f"JSON nested deeper than {MAX_DEPTH} levels"})
                return body

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("control: " + format, *args)

        return Handler
