"""The one place where commands check and prepare the files and folders they write.

Every command that writes calls :func:`output_file` or :func:`output_folder` before any
work, so a bad destination is refused in one ``error:`` line (exit 2) before minutes of
computing, and all commands behave alike: missing parent folders are created, a folder
given as a file (or a file given as a folder) is named as such, an unwritable folder is
reported, and an existing expert take or reference is never replaced without ``--force``.
``-` as a text output means standard output.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path

from vrtrainer.errors import VrtrainerError
from vrtrainer.files import make_shared

STDOUT = "-"


def is_stdout(path: Path | str | None) -> bool:
    """Whether ``path`` is ``-``, standard output."""
    return path is not None and str(path) == STDOUT


def _reason(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied" if exc.errno != errno.EROFS else "read-only file system"
    return exc.strerror or str(exc)


def _blocking_file(folder: Path) -> Path | None:
    """The first existing non-folder on the way to ``folder``, if any."""
    for part in (folder, *folder.parents):
        if part.exists() and not part.is_dir():
            return part
    return None


def _prepare_folder(folder: Path, role: str) -> None:
    blocking = _blocking_file(folder)
    if blocking is not None:
        raise VrtrainerError(f"{blocking} is a file, not a folder; choose another {role}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise VrtrainerError(f"cannot create folder {folder} ({_reason(exc)})") from None
    try:  # a real probe: root ignores permission bits, but not read-only mounts or /proc
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise VrtrainerError(f"cannot write in folder {folder} ({_reason(exc)})") from None


def _protected(path: Path) -> str:
    """What ``path`` holds if it is an expert's work (a reference or an expert take)."""
    if path.suffix == ".vrref":
        return "a reference"
    if path.suffix != ".vrtake":
        return ""
    try:
        with zipfile.ZipFile(path) as z:
            header = json.loads(z.read("header.json")[:1_000_000])
        role = (header.get("meta") or {}).get("role")
    except Exception:  # unreadable: not our business to guard it
        return ""
    return "an expert take" if role == "expert" else ""


def output_file(path: Path, *, force: bool = True, option: str = "-o",
                stdout_ok: bool = False) -> Path:
    """Check that ``path`` can be written as a file and create its missing parent folders.

    With ``force=False`` an existing reference or expert take is refused (the user gives
    ``--force`` to replace it). ``-`` (standard output) is returned unchanged where the
    output is text (``stdout_ok``), refused otherwise.
    """
    if is_stdout(path):
        if not stdout_ok:
            raise VrtrainerError(f"{option} -: this output is not text; give a file name")
        return path
    path = Path(path)
    if path.is_dir():
        raise VrtrainerError(f"{path} is a folder; give {option} a file name (inside it, "
                             f"for example)")
    if not force and path.exists():
        what = _protected(path)
        if what:
            raise VrtrainerError(f"{path} already holds {what}; give --force to replace it")
    _prepare_folder(path.parent if str(path.parent) else Path("."), "output file")
    return path


def output_folder(path: Path) -> Path:
    """Check that ``path`` can be a folder of outputs, creating it (and its parents)."""
    path = Path(path)
    _prepare_folder(path, "output folder")
    return path


def write_text(path: Path | str, text: str) -> None:
    """Write ``text`` to the file ``path`` (checked by :func:`output_file`) or to stdout."""
    if is_stdout(path):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as stream:
            stream.write(text)
        make_shared(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise VrtrainerError(f"{path}: cannot write ({_reason(exc)})") from None
