"""The desktop mirror window (glfw, EGL) on a real X server without a screen (Xvfb).

It runs in a child process: a window's context must not disturb the offscreen
context the other tests share, and glfw needs DISPLAY at start-up.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CHILD = textwrap.dedent("""
    import json
    import numpy as np
    from vrtrainer.render import (Framebuffer, MirrorWindow, Renderer, SceneState,
                                  stereo_views)
    from vrtrainer.render.camera import look_at_pose

    with MirrorWindow(320, 120, title="vrtrainer test") as window:
        renderer = Renderer()
        views = stereo_views(look_at_pose([0.0, 1.45, 0.05], [0.0, 1.05, -0.40]))
        eyes = [Framebuffer(160, 120) for _ in views]
        renderer.render_stereo(views, [fb.target for fb in eyes], SceneState())
        window.present(*eyes, swap=False)
        shown = window.read_pixels().astype(int)
        window.present(*eyes)
        left, right = (fb.read_pixels().astype(int) for fb in eyes)
        print(json.dumps({
            "size": list(window.size),
            "left": int(np.abs(shown[:, :160] - left).max()),
            "right": int(np.abs(shown[:, 160:] - right).max()),
            "eyes_differ": bool(np.abs(left - right).max() > 0),
            "keys": window.poll_keys(),
            "closing": window.should_close,
        }))
""")


@pytest.fixture(scope="module")
def x_display():
    """A private Xvfb server; its display name (":N")."""
    xvfb = shutil.which("Xvfb")
    assert xvfb, "Xvfb is missing: `make setup` installs it (Debian package xvfb)"
    read, write = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(write), "-nolisten", "tcp",
                               "-screen", "0", "640x480x24"], pass_fds=(write,),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    assert number, "Xvfb did not start"
    yield f":{number}"
    server.terminate()
    server.wait(timeout=10)


def test_mirror_window_shows_both_eyes_side_by_side(x_display):
    env = dict(os.environ, DISPLAY=x_display, PYOPENGL_PLATFORM="egl")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parents[1]), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["size"] == [320, 120]
    assert result["left"] == 0 and result["right"] == 0
    assert result["eyes_differ"]
    assert result["keys"] == [] and result["closing"] is False


def test_pyopengl_on_another_platform_is_refused_with_advice(x_display):
    child = ("import OpenGL.GL\n"
             "from vrtrainer.errors import RenderError\n"
             "from vrtrainer.render import EglContext\n"
             "try:\n    EglContext()\nexcept RenderError as e:\n    print(e)\n")
    env = dict(os.environ, DISPLAY=x_display, PYOPENGL_PLATFORM="glx")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    done = subprocess.run([sys.executable, "-c", child], env=env, capture_output=True,
                          text=True, timeout=60)
    assert "PYOPENGL_PLATFORM=egl" in done.stdout, done.stderr
