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

Every reply is JSON; errors are `{"error": "..."}` with a 4xx/5xx status.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from hil.sim.breadboard import BENCH_WIRES
from hil.sim.errors import SimUsageError
from hil.sim.faults import FAULTS, UnknownFaultError
from hil.sim.link import KINDS as LINK_KINDS
from hil.sim.link import UnknownLinkFaultError

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024


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


class _ThreadingHTTPServer6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class ControlServer:
    """A threaded HTTP server on `host:port` (0 = any free port) driving `bench`."""

    def __init__(self, bench: Bench, host: str = "127.0.0.1", port: int = 0) -> None:
        self._bench = bench
        handler = self._make_handler()
        server_class = _ThreadingHTTPServer6 if ":" in host else ThreadingHTTPServer
        self._httpd = server_class((host, port), handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

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

    def _make_handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def _handle(self, method: str) -> None:
                try:
                    body = self._body() if method == "POST" else {}
                    status, reply = server._route(method, self.path, body)
                except _HttpError as e:
                    status, reply = e.status, e.body
                except SimUsageError as e:
                    status, reply = 400, {"error": str(e)}
                except Exception as e:  # the endpoint must answer, whatever broke
                    log.exception("control endpoint %s %s", method, self.path)
                    status, reply = 500, {"error": f"{type(e).__name__}: {e}"}
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> dict[str, Any]:
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    raise _HttpError(413, {"error": f"body larger than {MAX_BODY} bytes"})
                raw = self.rfile.read(length) if length else b""
                if not raw.strip():
                    return {}
                try:
                    body = json.loads(raw)
                except ValueError as e:
                    raise _HttpError(400, {"error": f"body is not JSON: {e}"}) from e
                if not isinstance(body, dict):
                    raise _HttpError(400, {"error": "body must be a JSON object"})
                return body

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("control: " + format, *args)

        return Handler
