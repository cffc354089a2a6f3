"""The `vrtrainer` command line: one file per command group, registered here."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Before numba or PyOpenGL is imported anywhere: compiled kernels go to a writable
# user cache, and GL goes through EGL (offscreen contexts and OpenXR's EGL path).
os.environ.setdefault(
    "NUMBA_CACHE_DIR",
    str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "vrtrainer" / "numba"),
)
if sys.platform.startswith("linux"):
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

import typer  # noqa: E402

from vrtrainer.errors import VrtrainerError  # noqa: E402

app = typer.Typer(
    name="vrtrainer",
    help="VR gesture training: simulate, record, score and report hand gestures.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register() -> None:
    """Each module of this package that defines ``register(app)`` adds its commands."""
    import importlib
    import pkgutil

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if callable(register):
            register(app)


_register()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; project errors become one line on stderr."""
    try:
        app(args=argv, prog_name="vrtrainer")
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except VrtrainerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0
