"""The optional extras of ``pip install vrtrainer[...]`` and the one message for a missing one.

``pip install vrtrainer`` is headless scoring (numpy, numba, scipy, the take and reference
formats, the CLI). The rest comes with an extra: ``render`` (OpenGL drawing), ``xr``
(OpenXR headsets), ``results`` (the results store), ``reports`` (HTML reports),
``serve`` (the trainer's live server), ``all``. Modules needing an extra import it where
they use it; when it is not installed, the CLI turns the ImportError into one ``error:``
line naming the command to run (:func:`missing_extra`), so no module probes for itself.
"""

from __future__ import annotations

#: Top-level module -> (extra that installs it, distribution name on PyPI).
MODULES: dict[str, tuple[str, str]] = {
    "OpenGL": ("render", "PyOpenGL"),
    "OpenGL_accelerate": ("render", "PyOpenGL-accelerate"),
    "glm": ("render", "PyGLM"),
    "trimesh": ("render", "trimesh"),
    "glfw": ("render", "glfw"),
    "PIL": ("render", "Pillow"),
    "xr": ("xr", "pyopenxr"),
    "sqlalchemy": ("results", "SQLAlchemy"),
    "alembic": ("results", "alembic"),
    "psycopg": ("results", "psycopg"),
    "matplotlib": ("reports", "matplotlib"),
    "starlette": ("serve", "starlette"),
    "uvicorn": ("serve", "uvicorn"),
    "websockets": ("serve", "websockets"),
}


def missing_extra(exc: ImportError, what: str = "this") -> str | None:
    """The one-line explanation of ``exc`` when an extra's module is missing, else None.

    ``what`` names what needed it (``"vrtrainer render"``).
    """
    name = (getattr(exc, "name", None) or "").split(".")[0]
    if name not in MODULES:
        return None
    extra, dist = MODULES[name]
    return (f"{what} needs the optional '{extra}' extra ({dist} is not installed): "
            f"pip install 'vrtrainer[{extra}]'")
