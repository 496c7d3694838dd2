"""transport: pyserial ports by path or URL, discovery, exclusive lock, error mapping."""

from hil.transport.discovery import discover_port
from hil.transport.port import gone_error, has_modem_lines, open_error, open_port, shared_port

__all__ = ["discover_port", "gone_error", "has_modem_lines", "open_error", "open_port",
           "shared_port"]
