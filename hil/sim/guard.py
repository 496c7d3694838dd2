"""Which requests the control endpoint takes from a browser: the Host, Origin and Content-Type rules.

A browser lets every page the user has open send requests to 127.0.0.1, so on
loopback "only this machine can reach it" is not enough (the token guards a
non-loopback bind). Two ways in, and what gives each away:

- Cross-site requests. A form, or `fetch(..., {mode: "no-cors"})`, may POST a
  `text/plain`, `application/x-www-form-urlencoded` or `multipart/form-data`
  body to any address without the browser asking the server first (a "simple"
  request, Fetch standard, "CORS-safelisted request-header"). Requiring
  `Content-Type: application/json` turns every such request into one that
  needs a CORS preflight (`OPTIONS`), which the endpoint never grants. And
  browsers send `Origin` on every POST and every cross-origin request (Fetch
  standard, "append a request `Origin` header"): one that is not the endpoint's
  own origin is refused outright.
- DNS rebinding. A page at http://evil.example:PORT whose name is then
  re-pointed at 127.0.0.1 is, to the browser, same-origin with the endpoint,
  so neither rule above sees it; only its `Host` header (`evil.example:PORT`)
  does. On a loopback bind the Host must name loopback. Any port is taken
  (an `ssh -L` tunnel changes it; the rebinding attacker cannot change the name).

Clients that are not browsers (curl, scripts, the harness) send no `Origin`
and a loopback `Host`, and only need the Content-Type.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

JSON = "application/json"


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the endpoint on this machine (127.0.0.0/8, ::1, localhost)."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def split_host(header: str) -> tuple[str, int | None] | None:
    """`name[:port]` or `[v6][:port]` (RFC 9110 7.2) -> (name lower-cased, port); None if malformed."""
    header = header.strip()
    if header.startswith("["):
        name, sep, rest = header[1:].partition("]")
        if not sep:
            return None
        try:
            ipaddress.IPv6Address(name)
        except ValueError:
            return None
    else:
        name, sep, port_text = header.partition(":")
        rest = sep + port_text
        if ":" in port_text:
            return None  # an IPv6 address without brackets
    if not name:
        return None
    if not rest:
        return name.lower(), None
    port_text = rest[1:]
    if not rest.startswith(":") or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        return None
    return name.lower(), int(port_text)


def is_loopback_name(name: str) -> bool:
    """`localhost`, 127.x.y.z or ::1 spelled out (no other names: a name may be re-pointed)."""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_problem(header: str | None, own_url: str) -> str | None:
    """Why a request with this Host header is refused on a loopback bind; None if it is not."""
    parts = split_host(header) if header else None
    if parts is not None and is_loopback_name(parts[0]):
        return None
    said = f"the Host header {header!r}" if header else "no Host header"
    return (
        f"refused: {said} does not name this machine's loopback (a web page using DNS "
        f"rebinding sends its own name there): open the endpoint as {own_url} "
        "(or localhost), or bind --host to the address you want to use (a token is then required)"
    )


def origin_problem(origin: str | None, host: str | None) -> str | None:
    """Why a request from a browser page at `origin` is refused; None if it is not.

    The endpoint's own origin is `http://` + the Host the browser addressed it by,
    the default port (80) written or not.
    """
    if origin is None:
        return None  # not sent by a browser page (curl, scripts)
    own = split_host(host) if host else None
    try:
        u = urlsplit(origin.strip())
        theirs = (u.hostname, u.port or 80) if u.scheme.lower() == "http" and not u.path else None
    except ValueError:
        theirs = None  # a port that is not a number
    if own is not None and theirs == (own[0], own[1] or 80):
        return None
    own_text = f"http://{host}" if host else "this endpoint"
    return (
        f"refused: a request from the web page at {origin!r}, not from {own_text} itself: "
        "other sites may not drive the bench. Use the bench page the endpoint serves, "
        "or a client that sends no Origin header (curl, scripts)"
    )


def content_type_problem(header: str | None) -> str | None:
    """Why a POST/PUT/PATCH with this Content-Type is refused (415); None for JSON."""
    media = (header or "").split(";", 1)[0].strip().lower()
    if media == JSON:
        return None
    said = f"Content-Type {header!r}" if header else "no Content-Type"
    return (
        f"{said}: the body must be sent as '{JSON}' (curl: -H 'Content-Type: {JSON}'); "
        "other types are refused because any web page can post them without the browser asking"
    )
