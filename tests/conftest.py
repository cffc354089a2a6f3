"""Shared test set-up: offscreen GL through EGL, numba cache in the venv.

PYOPENGL_PLATFORM must be chosen before anything imports PyOpenGL; the GL
context and the default-scene renderer are made once per run.
"""

from __future__ import annotations

import os

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
# Tests read English unless they ask for French, whatever the machine's locale.
os.environ.setdefault("VRTRAINER_LANG", "en")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def _session_gl_context():
    from vrtrainer.render import EglContext

    context = EglContext()
    yield context
    context.close()


@pytest.fixture
def gl_context(_session_gl_context):
    """One offscreen EGL GL 3.3 core context for the whole run, made current again for
    each test (an earlier test may have made another context current or released it)."""
    _session_gl_context.make_current()
    return _session_gl_context


@pytest.fixture(scope="session")
def _shared_renderer(_session_gl_context):
    from vrtrainer.render import Renderer

    _session_gl_context.make_current()
    r = Renderer()
    yield r
    r.close()


@pytest.fixture
def renderer(gl_context, _shared_renderer):
    """The default-scene Renderer, shared; its context is current (see gl_context)."""
    return _shared_renderer
