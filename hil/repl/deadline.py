"""A deadline: what is being waited for, and until when (time.monotonic)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Deadline:
    """``timeout`` seconds from creation, for the wait described by ``what``."""

    timeout: float
    what: str
    hint: str = ""
    start: float = field(default_factory=time.monotonic)

    @property
    def end(self) -> float:
        return self.start + self.timeout

    def time_left(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.end

    def sooner(self, timeout: float, what: str, hint: str = "") -> Deadline:
        """A nested wait: ``timeout`` from now, but never past this deadline."""
        left = self.time_left()
        if left < timeout:
            return Deadline(left, what or self.what, hint or self.hint)
        return Deadline(timeout, what, hint)
