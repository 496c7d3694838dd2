"""Errors of the virtual bench (a peer of the board: it does not use hil.errors)."""

from __future__ import annotations


class SimError(Exception):
    """Base of every error the twin raises on purpose."""


class SimUsageError(SimError, ValueError):
    """A bad request to the twin (unknown net, fault, or argument); says what is valid."""


class SimStateError(SimError):
    """An operation in the wrong lifecycle state (e.g. `pty` before `start()`)."""


class SimBusyError(SimError):
    """The state folder is in use by another twin; the message names it (pid, since when)."""


class SimFlashError(SimError, ValueError):
    """An access outside the twin's flash, or an erase that is not sector-aligned."""


class SimImageError(SimError, ValueError):
    """Bytes that are not a (complete) ESP8266 v1 image (what the twin's ROM boots)."""
