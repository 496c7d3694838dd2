"""device: MicroPython code the harness sends to the board, kept as real .py files.

They run on the board, not on the host: import them there (``source(name)``
gives the text to send through the raw REPL), never here.
"""

from __future__ import annotations

from importlib import resources


def source(name: str) -> str:
    """The text of ``hil/device/<name>.py``, to exec on the board."""
    return resources.files("hil.device").joinpath(f"{name}.py").read_text()
