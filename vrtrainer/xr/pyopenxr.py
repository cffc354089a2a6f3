"""Import pyopenxr without letting it take PyOpenGL over.

pyopenxr's Linux module forces PyOpenGL's platform to GLX on import, which
breaks the EGL contexts vrtrainer renders with. Importing OpenGL (GL and EGL)
first and putting the platform back afterwards keeps both working.
"""

from __future__ import annotations

import importlib
from types import ModuleType

_xr: ModuleType | None = None


def load_xr() -> ModuleType:
    """The ``xr`` module (pyopenxr), imported once with PyOpenGL's platform kept."""
    global _xr
    if _xr is not None:
        return _xr
    import OpenGL.GL  # noqa: F401  (binds GL entry points to the current platform)
    import OpenGL.platform as gl_platform

    try:
        import OpenGL.EGL  # noqa: F401
    except (ImportError, AttributeError):
        pass
    saved = gl_platform.PLATFORM
    try:
        _xr = importlib.import_module("xr")
    finally:
        gl_platform.PLATFORM = saved
    return _xr


def raise_on_error(code: int) -> None:
    """Raise pyopenxr's exception for an XrResult returned by a raw function call."""
    xr = load_xr()
    value = int(getattr(code, "value", code))
    if value >= 0:
        return
    try:
        result = xr.check_result(xr.Result(value))
    except ValueError:  # a code this pyopenxr does not know
        raise xr.ErrorResult(f"XrResult {value}") from None
    raise result
