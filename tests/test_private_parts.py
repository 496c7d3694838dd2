"""The private parts of pyserial, pytest, mpremote and esptool that hil relies on.

pyproject.toml bounds these libraries from above; this file is what tells,
on a new release inside the bounds (CI installs the newest), that one of
those parts moved. Each check names the hil code that needs it.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest


def _assigned_self_attributes(function) -> set[str]:
    """Names ``self.X = ...`` assigned in ``function``'s body."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    return {target.attr for node in ast.walk(tree) if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
            and target.value.id == "self"}


# -- pyserial ----------------------------------------------------------------------------
def test_pyserial_rfc2217_line_settings_hil_transport_rfc2217() -> None:
    from hil.transport.rfc2217 import Rfc2217Port

    port = Rfc2217Port(None, baudrate=115200)
    assert port._line_settings() == (115200, 8, "N", 1, False, False)
    for name in ("_socket", "_write_timeout"):
        assert hasattr(port, name), name
    assert callable(getattr(type(port).__mro__[1], "_reconfigure_port", None))


def test_pyserial_names_a_second_reader_hil_transport_port_shared_port() -> None:
    import serial.serialposix

    assert "multiple access on port" in inspect.getsource(serial.serialposix.Serial.read)


# -- mpremote ----------------------------------------------------------------------------
def test_mpremote_serial_transport_state_hil_repl_transport() -> None:
    """hil's _Transport skips SerialTransport.__init__ (it has its own Link): it must
    set every attribute the methods use."""
    from mpremote.transport_serial import SerialTransport

    from hil.repl.repl import _Transport

    ours = _assigned_self_attributes(_Transport.__init__)
    theirs = _assigned_self_attributes(SerialTransport.__init__)
    assert theirs <= ours, f"mpremote's SerialTransport now also sets {theirs - ours}"
    params = list(inspect.signature(SerialTransport.read_until).parameters)
    assert params == list(inspect.signature(_Transport.read_until).parameters)
    for method in ("exec_raw_no_follow", "follow", "fs_listdir", "fs_readfile", "fs_hashfile",
                   "fs_rmfile", "fs_mkdir"):
        assert callable(getattr(SerialTransport, method, None)), method
    assert "progress_callback" in inspect.signature(SerialTransport.fs_writefile).parameters


# -- esptool -----------------------------------------------------------------------------
def test_esptool_logger_and_port_hil_flash() -> None:
    from esp_pylib.logger import EspLog
    from esptool.loader import ESPLoader

    from hil.flash.esptool_log import CapturingLog, quiet_esptool

    CapturingLog()  # every abstract method of EspLogBase is implemented
    assert "self._port" in inspect.getsource(ESPLoader.__init__)  # flasher._reboot
    seen: list[tuple[int, int]] = []
    with quiet_esptool(lambda done, total: seen.append((done, total))):
        assert isinstance(EspLog.instance, CapturingLog)
        EspLog.instance.progress_bar(3, 10)
    assert seen == [(3, 10)]
    assert not isinstance(EspLog.instance, CapturingLog)  # put back


def test_esptool_reports_write_progress_through_the_logger() -> None:
    """write_flash's ``log.progress(total, unit="B")`` reaches CapturingLog.progress_bar."""
    import esptool.cmds
    from esp_pylib.logger import EspLog

    from hil.flash.esptool_log import quiet_esptool

    assert "log.progress(" in inspect.getsource(esptool.cmds.write_flash)
    seen: list[tuple[int, int]] = []
    with quiet_esptool(lambda done, total: seen.append((done, total))):
        with EspLog.instance.progress(total=4096, unit="B") as progress:
            progress.update(advance=1024)
    assert (1024, 4096) in seen and seen[-1] == (4096, 4096), seen


# -- pytest ------------------------------------------------------------------------------
def test_pytest_parser_and_config_internals_hil_pytest_options(pytester: pytest.Pytester
                                                               ) -> None:
    from _pytest.config import findpaths
    from hil_pytest.options import registered_options

    config = pytester.parseconfig()
    names = registered_options(config._parser)
    assert names["--hil-port"] == "hil_port" and names["--port"] == "hil_port"
    assert names["--timeout"] == "timeout"  # pytest-timeout's, seen through Parser._groups
    for name in ("_rootpath", "_inipath", "_inicfg", "_inicache"):
        assert hasattr(config, name), name
    assert isinstance(config._parser.extra_info, dict)
    params = inspect.signature(findpaths.determine_setup).parameters
    assert {"inifile", "args", "rootdir_cmd_arg", "invocation_dir"} <= set(params)


def test_pytest_capture_and_terminal_hooks_hil_pytest_progress(pytester: pytest.Pytester
                                                               ) -> None:
    from _pytest.capture import CaptureManager
    from _pytest.terminal import TerminalReporter

    assert callable(CaptureManager.global_and_fixture_disabled)
    assert {"in_"} <= set(inspect.signature(CaptureManager.suspend).parameters)
    assert callable(TerminalReporter.ensure_newline)
    hook = pytester.parseconfig().hook.pytest_load_initial_conftests
    assert {"early_config", "parser", "args"} <= set(hook.spec.argnames)
