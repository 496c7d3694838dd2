"""Opening ports: missing, busy, no permission, refused; over real ptys and sockets."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest
import serial.tools.list_ports

from hil.errors import PortBusyError, PortNotFoundError, PortPermissionError
from hil.transport import discover_port, has_modem_lines, open_port
from hil.transport.discovery import ADAPTERS


@pytest.fixture
def pty() -> Iterator[str]:
    """A real pty; the test holds the master side (nothing answers)."""
    master, slave = os.openpty()
    name = os.ttyname(slave)
    os.close(slave)
    try:
        yield name
    finally:
        os.close(master)


def test_no_such_port_lists_what_exists() -> None:
    with pytest.raises(PortNotFoundError, match="no such port; ports present:"):
        open_port("/dev/ttyUSB-hil-none")


def test_second_open_is_board_busy_and_first_release_frees_it(pty: str) -> None:
    first = open_port(pty)
    try:
        with pytest.raises(PortBusyError, match="board busy: another process holds"):
            open_port(pty)
    finally:
        first.close()
    again = open_port(pty)  # the lock went with the close
    again.close()


def test_permission_denied_says_how_to_join_dialout(pty: str) -> None:
    os.chmod(pty, 0)
    if os.geteuid() != 0:
        with pytest.raises(PortPermissionError, match=r"usermod -aG dialout \$USER"):
            open_port(pty)
        return
    # root opens any device: try as an unprivileged user in a forked child
    assert _open_as_nobody(pty).startswith("PortPermissionError:")
    assert "usermod -aG dialout $USER" in _open_as_nobody(pty)


def _open_as_nobody(path: str) -> str:
    """Try open_port(path) as uid/gid 65534 in a child; the error's class and message."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns into pytest
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            try:
                open_port(path).close()
                result = "opened"
            except Exception as e:  # noqa: BLE001 (report whatever happened)
                result = f"{type(e).__name__}: {e}"
            os.write(w, result.encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        out = f.read().decode()
    os.waitpid(pid, 0)
    return out


def test_refused_rfc2217_is_not_found_with_a_hint() -> None:
    with socket.socket() as s:  # a port nobody listens on: bind, then close
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    with pytest.raises(PortNotFoundError, match="nothing answers there"):
        open_port(f"rfc2217://127.0.0.1:{free}")


def test_bad_url_is_not_found() -> None:
    with pytest.raises(PortNotFoundError, match="not a port name or URL"):
        open_port("bogus://x")


def test_pty_has_no_reset_lines(pty: str) -> None:
    port = open_port(pty)
    try:
        assert has_modem_lines(port) is False
    finally:
        port.close()


@pytest.mark.skipif(any((p.vid, p.pid) in ADAPTERS for p in serial.tools.list_ports.comports()),
                    reason="a real ESP8266 USB adapter is plugged in")
def test_auto_without_adapter_names_the_adapters() -> None:
    with pytest.raises(PortNotFoundError, match="CH340 .*CP210x"):
        discover_port()


@pytest.mark.twin
@pytest.mark.slow
def test_rfc2217_reopens_at_once_after_a_close(module_twin) -> None:
    """Open, use, close, again: a one-client RFC2217 server (the twin,
    esp_rfc2217_server) takes the next client at once, and DTR/RTS, sent only when
    they change (hil/transport/rfc2217.py), never reset the board on the way."""
    from hil.repl import Repl

    for _ in range(8):
        with Repl(module_twin.url) as repl:
            repl.ensure_friendly_idle()
            assert repl.eval("6 * 7") == 42
    # and DTR/RTS stay released (no reset of the board by a close or an open)
    boots = module_twin.state()["boot_count"]
    with Repl(module_twin.url) as repl:
        repl.ensure_friendly_idle()
    assert module_twin.state()["boot_count"] == boots
