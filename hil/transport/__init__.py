"""transport: pyserial ports by path or URL, discovery, exclusive lock, error mapping."""

from hil.transport.discovery import discover_port, list_ports, resolve_port
from hil.transport.port import gone_error, has_modem_lines, open_error, open_port, shared_port

__all__ = ["discover_port", "gone_error", "has_modem_lines", "list_ports", "open_error",
           "open_port", "resolve_port", "shared_port"]
