"""How vrtrainer writes files: atomically, synced, readable by others.

:func:`atomic_output` is the one way a file is written whole or not at all: a temporary
file beside the target, synced, renamed over it, the folder synced; a failure (a full
disk above all) removes the temporary file and leaves the target as it was.

Atomic writers create a temporary file with :func:`tempfile.mkstemp`, which makes it
private (0600); takes, references and reports are shared between accounts (a trainer
records, a trainee trains), so they get the mode a plain ``open()`` would give: 0666
minus the umask (0644 under the usual umask 022).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vrtrainer.errors import VrtrainerError

#: errno values that mean "no room left" (disk, quota, file size limit).
DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)

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


def fsync_dir(directory: str | os.PathLike[str]) -> None:
    """Sync a folder so that a rename in it survives a power loss (best effort)."""
    try:
        fd = os.open(directory or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str], mode: str = "wb", **open_args: Any
                  ) -> Iterator[Any]:
    """A file object whose content replaces ``path`` only once it is whole and synced.

    It writes a temporary file beside ``path`` (mode 0644 under the usual umask), flushes
    and fsyncs it, renames it over ``path`` and syncs the folder. On any failure (a full
    disk, an exception in the caller's block) the temporary file is removed and ``path``
    is left as it was; a full disk becomes one :class:`VrtrainerError` naming ``path``.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                   dir=path.parent or ".")
    except OSError as exc:
        if exc.errno in DISK_FULL:
            raise VrtrainerError(f"{path}: disk full; nothing was written") from None
        raise
    try:
        make_shared(fd)
        with os.fdopen(fd, mode, **open_args) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.errno in DISK_FULL:
            raise VrtrainerError(f"{path}: disk full; nothing was written") from None
        raise
    fsync_dir(path.parent)


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes, hex: ties a stored attempt to the exact take and
    reference it was scored with."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
