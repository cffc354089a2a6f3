"""Shared test set-up: offscreen GL through EGL, numba cache in the venv.

PYOPENGL_PLATFORM must be chosen before anything imports PyOpenGL; the GL
context and the default-scene renderer are made once per run.
"""

from __future__ import annotations

import os

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def gl_context():
    """One offscreen EGL GL 3.3 core context for the whole run (made current)."""
    from vrtrainer.render import EglContext

    context = EglContext()
    yield context
    context.close()


@pytest.fixture(scope="session")
def renderer(gl_context):
    """A Renderer of the default scene, shared by tests that do not change its scene."""
    from vrtrainer.render import Renderer

    r = Renderer()
    yield r
    r.close()
