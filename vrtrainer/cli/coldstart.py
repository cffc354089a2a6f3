"""Say so when numba compiles the comparator's kernels (the first run only), with progress.

numba announces a ``numba:compile`` event only on a cache miss (a kernel found in the
cache is loaded silently), so listening to it tells a cold start from a warm one without
knowing where the cache lives. On the first compilation the user reads one line on
stderr, "preparing the comparator, first run only", followed on a terminal by a count
of kernels and the seconds spent; a warm run prints nothing.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


class ColdStartNotice:
    """A numba compile-event listener that prints the cold-start notice and its progress."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self.compiled = 0
        self.started: float | None = None
        self.depth = 0
        self._lock = threading.Lock()

    @property
    def stream(self) -> TextIO:
        """The given stream, else the current stderr (looked up each time: it may change)."""
        return self._stream or sys.stderr

    def _tty(self) -> bool:
        return bool(getattr(self.stream, "isatty", lambda: False)())

    def on_start(self, _event) -> None:
        with self._lock:
            self.depth += 1
            if self.started is None:
                self.started = time.monotonic()
                self.stream.write("preparing the comparator, first run only "
                                  "(compiling its kernels, about 10-20 s)")
                self.stream.write("..." if self._tty() else "\n")
                self.stream.flush()

    def on_end(self, _event) -> None:
        with self._lock:
            self.depth -= 1
            self.compiled += 1
            if self._tty() and self.started is not None:
                seconds = time.monotonic() - self.started
                self.stream.write(f"\rpreparing the comparator, first run only: "
                                  f"{self.compiled} kernels compiled, {seconds:.0f} s   ")
                self.stream.flush()

    def finish(self) -> None:
        """End the progress line (called when the command is over)."""
        if self.started is not None and self._tty():
            seconds = time.monotonic() - self.started
            self.stream.write(f"\rcomparator ready ({self.compiled} kernels compiled in "
                              f"{seconds:.0f} s; later runs start at once)          \n")
            self.stream.flush()


def install() -> ColdStartNotice | None:
    """Listen to numba's compilations for the rest of the process; None without numba."""
    try:
        from numba.core import event
    except ImportError:  # pragma: no cover - numba is a dependency
        return None

    notice = ColdStartNotice()

    class _Listener(event.Listener):
        def on_start(self, ev) -> None:
            notice.on_start(ev)

        def on_end(self, ev) -> None:
            notice.on_end(ev)

    event.register("numba:compile", _Listener())
    return notice
