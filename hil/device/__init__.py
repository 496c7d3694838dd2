"""device: MicroPython code the harness sends to the board, kept as real .py files.

They run on the board, not on the host: ``load(repl, name)`` defines one in
the board's REPL namespace (the one loader; ``source(name)`` is its text).

- ``bench_io``: every bench reading (windows, the stimulus P1, the press
  actuator, LED read-back, levels, rest); host side ``hil.diagnose.probe.BoardPins``.
- ``sampler``: a virtual timer that records pin changes while the app runs.
"""

from __future__ import annotations

from importlib import resources
from typing import Protocol

from hil.errors import DeviceError, ProtocolError

CHUNK_BYTES = 1024


class Executor(Protocol):
    """What the loader needs of a REPL (hil.repl.Repl): run code, raise on errors."""

    def exec(self, code: str, timeout: float = ...) -> object: ...


def source(name: str) -> str:
    """The text of ``hil/device/<name>.py``, to exec on the board."""
    return resources.files("hil.device").joinpath(f"{name}.py").read_text()


def chunks(text: str, limit: int = CHUNK_BYTES) -> list[str]:
    """Top-level statements of ``text`` (comments dropped), packed into pieces <= limit."""
    blocks: list[list[str]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace() or not blocks:
            blocks.append([])
        blocks[-1].append(line)
    out: list[str] = []
    for block in ("\n".join(b) + "\n" for b in blocks):
        if out and len(out[-1]) + len(block) <= limit:
            out[-1] += block
        else:
            out.append(block)
    return out


def load(repl: Executor, name: str) -> None:
    """Define hil/device/<name>.py's functions in the board's REPL namespace.

    Sent in pieces of at most ``CHUNK_BYTES`` (whole top-level statements,
    comments dropped): the board compiles a paste as a whole, and a parse tree
    for the whole file would not fit a ~36 kB heap with the app's objects in
    it; 1 kB pieces need a few kB each, and make few round trips.
    """
    for chunk in chunks(source(name)):
        # collect first: freed garbage merges into the larger free runs the
        # compiler needs on a fragmented heap
        try:
            repl.exec("import gc\ngc.collect()\n" + chunk, timeout=20.0)
        except DeviceError as e:
            if e.exc_name == "MemoryError":
                raise
            # This code compiles (tests/suite/test_device_code.py, mpy-cross) and only
            # defines functions and names: a SyntaxError, IndentationError, NameError
            # or AttributeError here means the board got other bytes than were sent.
            # That is the line's fault, never the app's.
            raise ProtocolError(
                f"loading hil/device/{name}.py: the board raised {e.exc_name or 'an error'} "
                f"in code that compiles: bytes were lost or garbled on the serial line (a "
                f"bad cable or hub, a board that read too slowly); the board said: {e}") from e
