"""The twin's control endpoint over plain HTTP, for the twin's own tests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


def control(twin: Any, method: str, path: str, body: object | None = None) -> tuple[int, Any]:
    """``method path`` with ``body`` as JSON; (status, decoded JSON answer), errors included."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(twin.control_url + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
