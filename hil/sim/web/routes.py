"""Serving the bench page's files, its layout and its event stream on the control endpoint."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler
from importlib import resources
from typing import Any

from hil.sim.web.events import LiveBench, stream
from hil.sim.web.layout import bench_layout

# path -> (file in this package, Content-Type)
ASSETS: dict[str, tuple[str, str]] = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
    "/favicon.svg": ("favicon.svg", "image/svg+xml"),
    "/favicon.ico": ("favicon.svg", "image/svg+xml"),
}
WEB_PATHS = (*ASSETS, "/bench", "/events")

# The page loads nothing from elsewhere and runs no inline code: say so to the browser,
# so an injected script or a stray CDN link fails loudly (and the tests see the error).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def is_asset(path: str) -> bool:
    """The page's own files (no secret in them: served without the endpoint's token)."""
    return path.split("?", 1)[0] in ASSETS


def _asset(name: str) -> bytes:
    return resources.files("hil.sim.web").joinpath(name).read_bytes()


def _send(handler: BaseHTTPRequestHandler, data: bytes, content_type: str) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    handler.send_header("Cache-Control", "no-cache")
    handler.send_header("X-Content-Type-Options", "nosniff")
    handler.send_header("Content-Security-Policy", CSP)
    handler.end_headers()
    handler.wfile.write(data)


def handle(handler: BaseHTTPRequestHandler, bench: Any, closing: threading.Event) -> bool:
    """Answer a GET for the page, its layout or its events; False if `handler.path` is none of them."""
    path = handler.path.split("?", 1)[0]
    if path in ASSETS:
        name, content_type = ASSETS[path]
        _send(handler, _asset(name), content_type)
        return True
    if path == "/bench":
        layout = bench_layout(getattr(bench, "profile", None))
        _send(handler, json.dumps(layout).encode(), "application/json")
        return True
    if path == "/events":
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        live: LiveBench = bench
        stream(handler.wfile, live, closing)
        return True
    return False
