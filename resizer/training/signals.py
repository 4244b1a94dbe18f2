"""Preemption notices: SIGTERM turned into a flag the training loop checks after each step."""

from __future__ import annotations

import signal


class StopOnSigterm:
    """Turns SIGTERM into a flag the loop checks after each step (single-worker runs only)."""

    def __init__(self, active):
        self.requested, self.active, self.previous = False, active, None

    def __enter__(self):
        if self.active:
            self.previous = signal.signal(signal.SIGTERM, self._handle)
        return self

    def _handle(self, signum, frame):
        self.requested = True

    def __exit__(self, *exc):
        if self.active:
            signal.signal(signal.SIGTERM, self.previous)
