"""Ends attempts off the frame loop: saving, scoring and storing on a worker thread.

Finishing an attempt (writing the take file, scoring it, aligning it for the
replay, storing the result) takes 0.1-0.7 s; done on the frame loop it freezes
the headset's image. :class:`AttemptWorker` runs those jobs one at a time, in
the order the attempts ended, on one thread, and hands their results back to
the loop's thread, which polls for them once a frame.

While a job runs the interpreter switches threads every
:data:`SWITCH_INTERVAL_S` instead of Python's 5 ms, so that the loop never waits
long for the interpreter lock the worker's Python holds; the numeric kernels
release the lock while they compute. The renderer gives the lock up on each of
its hundreds of GL calls a frame (ctypes) and waits for it again after each, so
the interval bounds every one of those waits: at 0.5 ms a frame drawn while an
attempt was scored stretched to 11-15 ms on two cores, at 0.1 ms to 7-14 ms (the
scenario pack's heavier scene), at 0.03 ms to 7-10.9 ms (docs/performance.md).
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

#: Thread switch interval (s) while a job runs (CPython's default is 5 ms).
SWITCH_INTERVAL_S = 0.00003


class AttemptWorker:
    """Runs attempt-ending jobs in order, on one worker thread or inline.

    ``inline`` runs each job inside :meth:`submit` (the loop waits for it): the
    same results in the same order, for comparison and for tools without a
    frame loop to keep smooth.
    """

    def __init__(self, inline: bool = False) -> None:
        self.inline = inline
        self._pool: ThreadPoolExecutor | None = None
        self._jobs: deque[Future] = deque()
        self._lock = threading.Lock()
        self._running = 0
        self._interval = sys.getswitchinterval()

    @property
    def pending(self) -> int:
        """Jobs submitted whose result has not been collected yet."""
        return len(self._jobs)

    def submit(self, job: Callable[[], Any]) -> None:
        """Queue ``job``; its result (or exception) comes back from :meth:`collect`."""
        if self.inline:
            future: Future = Future()
            try:
                future.set_result(job())
            except BaseException as exc:  # handed back as a worker would
                future.set_exception(exc)
            self._jobs.append(future)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vrtrainer-attempt")
        self._jobs.append(self._pool.submit(self._run, job))

    def _run(self, job: Callable[[], Any]) -> Any:
        with self._lock:
            if self._running == 0:
                self._interval = sys.getswitchinterval()
                sys.setswitchinterval(min(self._interval, SWITCH_INTERVAL_S))
            self._running += 1
        try:
            return job()
        finally:
            with self._lock:
                self._running -= 1
                if self._running == 0:
                    sys.setswitchinterval(self._interval)

    def collect(self, wait: bool = False) -> list[Any]:
        """Results of the finished jobs, oldest first, stopping at the first still running
        (all of them with ``wait``). A job's exception is raised here, in the caller's
        thread, once the results before it have been handed over."""
        out: list[Any] = []
        while self._jobs and (wait or self._jobs[0].done()):
            future = self._jobs[0]
            error = future.exception()
            if error is not None:
                if out:
                    return out  # the next call raises it
                self._jobs.popleft()
                raise error
            out.append(future.result())
            self._jobs.popleft()
        return out

    def close(self) -> None:
        """Stop the worker thread once its jobs are done (collect them first)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
