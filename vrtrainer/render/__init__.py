"""Real-time renderer: scene, tracked and ghost hands, cues, for headsets and offscreen.

GL 3.3 core through PyOpenGL and PyGLM; imports nothing from OpenXR. One
:class:`Renderer` draws each eye (a :class:`View`: OpenXR pose + asymmetric
field of view) into any :class:`RenderTarget` -- an OpenXR swapchain image, an
offscreen :class:`Framebuffer` or a mirror window.

On Linux PyOpenGL is pointed at EGL (``PYOPENGL_PLATFORM=egl``) unless the
caller chose otherwise, because both the offscreen context and the mirror
window are EGL contexts; this must happen before the first ``OpenGL`` import.
"""

from __future__ import annotations

import os
import sys

if sys.platform.startswith("linux"):
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

from vrtrainer.backends.base import RenderTarget, View  # noqa: E402
from vrtrainer.render.camera import project_points, stereo_views  # noqa: E402
from vrtrainer.render.context import EglContext, MirrorWindow  # noqa: E402
from vrtrainer.render.cues import Cues, Gauge  # noqa: E402
from vrtrainer.render.hands import HandStyle  # noqa: E402
from vrtrainer.render.renderer import Framebuffer, Renderer, SceneState  # noqa: E402
from vrtrainer.render.scene import Scene, default_scene  # noqa: E402

__all__ = [
    "Cues",
    "EglContext",
    "Framebuffer",
    "Gauge",
    "HandStyle",
    "MirrorWindow",
    "RenderTarget",
    "Renderer",
    "Scene",
    "SceneState",
    "View",
    "default_scene",
    "project_points",
    "stereo_views",
]
