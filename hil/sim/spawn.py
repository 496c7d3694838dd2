"""Start child processes that die with the twin, however the twin ends (even SIGKILL).

The twin's MicroPython process must never outlive the process that runs the
twin (`hil sim`, or a pytest run that started a `Twin`). The kernel does that
for us: `prctl(PR_SET_PDEATHSIG, SIGKILL)` in the child, before `exec`, makes
the kernel SIGKILL it when its parent goes away; the setting survives `execve`
(prctl(2)). Two details from prctl(2) shape this module:

- "the parent" is the *thread* that forked the child: the signal fires when
  that thread exits, not only the process. Interpreters are started from
  short-lived threads (a soft reset restarts it from the old process's reader
  thread, a reset from the control endpoint's request thread), so every fork
  happens on one spawner thread that lives as long as the process.
- if the parent dies between fork and prctl the signal never comes: the child
  checks `getppid()` after prctl and exits if the parent is already gone.

The child also gets SIGPIPE back to its default action (Python ignores it, and
an ignored SIGPIPE is inherited across exec): a board whose host end of a pipe
is gone stops at its next write instead of retrying a write that fails forever.
"""

from __future__ import annotations

import ctypes
import os
import queue
import signal
import threading
import warnings
from collections.abc import Mapping, Sequence

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

_libc = ctypes.CDLL(None, use_errno=True)
_prctl = _libc.prctl
_prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
_prctl.restype = ctypes.c_int
_signal = _libc.signal  # libc's, not Python's: no interpreter state in the forked child
_signal.argtypes = [ctypes.c_int, ctypes.c_void_p]
_signal.restype = ctypes.c_void_p
SIG_DFL = 0

_Request = tuple[str, Sequence[str], Mapping[str, str], Mapping[int, int], bool]


class _Spawner:
    """The one long-lived thread that forks every child (see the module docstring)."""

    def __init__(self) -> None:
        self._requests: queue.Queue[tuple[_Request, list[object], threading.Event]] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="hil-sim-spawner", daemon=True)
        self._thread.start()

    def spawn(self, request: _Request) -> int:
        if threading.current_thread() is self._thread:
            return _fork_exec(*request)
        result: list[object] = []
        done = threading.Event()
        self._requests.put((request, result, done))
        done.wait()
        value = result[0]
        if isinstance(value, BaseException):
            raise value
        return int(value)  # type: ignore[call-overload]

    def _run(self) -> None:
        while True:
            request, result, done = self._requests.get()
            try:
                result.append(_fork_exec(*request))
            except BaseException as e:  # handed to the caller
                result.append(e)
            done.set()


_spawner: _Spawner | None = None
_spawner_lock = threading.Lock()


def spawn(
    path: str,
    argv: Sequence[str],
    env: Mapping[str, str],
    fds: Mapping[int, int],
    *,
    setsid: bool = True,
) -> int:
    """Start `path` with `argv`/`env`; `fds` maps child fd -> parent fd. Returns the pid.

    The child is SIGKILLed by the kernel when this process dies. Every parent fd
    given must be >= max(fds) + 1, so that one dup2 never overwrites another's source.
    """
    global _spawner
    with _spawner_lock:
        if _spawner is None or not _spawner._thread.is_alive():
            _spawner = _Spawner()
        spawner = _spawner
    return spawner.spawn((path, list(argv), dict(env), dict(fds), setsid))


def _fork_exec(path: str, argv: Sequence[str], env: Mapping[str, str], fds: Mapping[int, int], setsid: bool) -> int:
    if any(src <= max(fds) for src in fds.values()):
        raise ValueError("spawn: every source fd must be above the highest target fd")
    parent = os.getpid()
    args = [os.fsencode(a) for a in argv]
    exe = os.fsencode(path)
    environ = {os.fsencode(k): os.fsencode(v) for k, v in env.items()}
    items = sorted(fds.items())
    with warnings.catch_warnings():
        # Python 3.12+ warns about fork() in a threaded process; the child below runs
        # only async-signal-safe work (no imports, no locks) before exec.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: nothing here may raise past os._exit
        try:
            _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != parent:
                os._exit(1)  # the twin died before prctl took effect
            if setsid:
                os.setsid()
            _signal(signal.SIGPIPE, SIG_DFL)  # caught signals are reset by exec, ignored ones not
            for target, source in items:
                os.dup2(source, target)  # dup2 clears close-on-exec on the target
            os.execve(exe, args, environ)
        finally:
            os._exit(127)
    return pid
