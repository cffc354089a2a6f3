"""File permissions shared by every writer: files vrtrainer writes are readable by others.

Atomic writers create a temporary file with :func:`tempfile.mkstemp`, which makes it
private (0600); takes, references and reports are shared between accounts (a trainer
records, a trainee trains), so they get the mode a plain ``open()`` would give: 0666
minus the umask (0644 under the usual umask 022).
"""

from __future__ import annotations

import os
import threading

_lock = threading.Lock()


def shared_mode() -> int:
    """The mode ``open()`` gives a new file under the current umask (0644 under 022)."""
    with _lock:  # reading the umask means setting it; keep other threads out meanwhile
        umask = os.umask(0o022)
        os.umask(umask)
    return 0o666 & ~umask


def make_shared(fd_or_path: int | str | os.PathLike[str]) -> None:
    """Give a freshly written (temporary) file the usual mode instead of mkstemp's 0600."""
    mode = shared_mode()
    if isinstance(fd_or_path, int):
        os.fchmod(fd_or_path, mode)
    else:
        os.chmod(fd_or_path, mode)
