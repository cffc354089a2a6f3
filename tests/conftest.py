"""Shared test set-up: offscreen GL through EGL, numba cache in the venv."""

import os

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
