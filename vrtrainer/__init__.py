"""vrtrainer: an open VR gesture-training engine.

Units and conventions are OpenXR's throughout: metres, seconds, right-handed
coordinates, quaternions stored (x, y, z, w), the 26 XR_EXT_hand_tracking joints
in spec order.
"""

import os as _os
import sys as _sys
from pathlib import Path as _Path

__version__ = "0.1.0"


def numba_cache_dir() -> str:
    """Where compiled comparator kernels are kept: ``$NUMBA_CACHE_DIR`` if set, else
    ``numba-cache`` in the virtual environment vrtrainer runs from (what ``make``
    uses), else the user's cache (``$XDG_CACHE_HOME/vrtrainer/numba``).

    One place for every entry point (the CLI, ``make``, tests, benchmarks, ``python
    -c``), so that kernels compiled once are found by all of them.
    """
    if _os.environ.get("NUMBA_CACHE_DIR"):
        return _os.environ["NUMBA_CACHE_DIR"]
    if _sys.prefix != _sys.base_prefix:
        return str(_Path(_sys.prefix) / "numba-cache")
    base = _os.environ.get("XDG_CACHE_HOME") or _Path.home() / ".cache"
    return str(_Path(base) / "vrtrainer" / "numba")


# Before numba is imported anywhere (it reads the variable once, at import).
_os.environ["NUMBA_CACHE_DIR"] = numba_cache_dir()
