"""Seconds this process spent compiling numba kernels (the first run only, with a cold cache).

numba announces each compilation as a ``numba:compile`` event, only on a cache miss. The
outermost compilations' spans are summed, whatever the thread, so that speed summaries
can leave compilation out of session time and say it on its own line.
"""

from __future__ import annotations

import threading
import time

from numba.core import event

_lock = threading.Lock()
_depth = 0
_since = 0.0
_total = 0.0
_installed = False


def _start(_event) -> None:
    global _depth, _since
    with _lock:
        if _depth == 0:
            _since = time.perf_counter()
        _depth += 1


def _end(_event) -> None:
    global _depth, _total
    with _lock:
        _depth = max(_depth - 1, 0)
        if _depth == 0:
            _total += time.perf_counter() - _since


def compile_seconds() -> float:
    """Seconds spent compiling so far (a compilation under way counts up to now)."""
    install()
    with _lock:
        return _total + (time.perf_counter() - _since if _depth else 0.0)


def install() -> None:
    """Listen to numba's compilations (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True

    class _Listener(event.Listener):
        def on_start(self, ev) -> None:
            _start(ev)

        def on_end(self, ev) -> None:
            _end(ev)

    event.register("numba:compile", _Listener())
