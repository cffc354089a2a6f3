"""The one check every dataset benchmark makes before it reads anything."""

from __future__ import annotations

import sys
from pathlib import Path


def absent(root: Path, archive: str) -> bool:
    """True (with one ``error:`` line naming the archive to unpack) if ``root`` is no folder.

    The datasets live outside the repository (``../shared/datasets``); a benchmark is
    given the folder an archive was unpacked to.
    """
    if root.is_dir():
        return False
    print(f"error: data folder {root} is absent; unpack {archive} outside the repository "
          "and pass its folder", file=sys.stderr)
    return True
