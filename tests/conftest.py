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
def _shared_renderer(gl_context):
    from vrtrainer.render import Renderer

    gl_context.make_current()
    r = Renderer()
    yield r
    r.close()


@pytest.fixture
def renderer(gl_context, _shared_renderer):
    """The default-scene Renderer, shared; its context is made current again first
    (a test may have made another context current, e.g. through the CLI)."""
    gl_context.make_current()
    return _shared_renderer
