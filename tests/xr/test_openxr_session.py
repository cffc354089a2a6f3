"""A real OpenXR session against Monado: lifecycle, rendering into swapchains, loss."""

from __future__ import annotations

import numpy as np
import pytest
from OpenGL import GL

from vrtrainer.xr.backend import OpenXRBackend
from vrtrainer.xr.errors import RuntimeLostError
from vrtrainer.xr.lifecycle import SessionState

EYE_COLOURS = ((255, 0, 0), (0, 0, 255))


def test_gl_session_reaches_focused_and_exits_on_request(monado):
    with OpenXRBackend(mode="egl") as backend:
        assert backend.space_kind == "stage"
        frames = 0
        while backend.begin_frame() is not None:
            frames += 1
            backend.end_frame()
            if backend.state == SessionState.FOCUSED:
                backend.request_exit()
            assert frames < 200, f"no clean exit; states {backend.lifecycle.history}"
        history = backend.lifecycle.history
    assert SessionState.FOCUSED in history
    # Down the spec's ladder after the request, then EXITING.
    tail = history[history.index(SessionState.FOCUSED):]
    assert tail[-3:] == [SessionState.STOPPING, SessionState.IDLE, SessionState.EXITING]
    assert not backend.lifecycle.lost and backend.lifecycle.unexpected == []
    assert monado.proc.poll() is None  # the runtime survives our exit


def test_frames_rendered_into_swapchain_images_are_submitted(monado):
    seen = {}
    with OpenXRBackend(mode="egl") as backend:
        frames = 0
        while (frame := backend.begin_frame()) is not None:
            frames += 1
            for target in frame.targets:
                GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, target.fbo)
                GL.glViewport(0, 0, target.width, target.height)
                r, g, b = EYE_COLOURS[target.eye]
                GL.glClearColor(r / 255, g / 255, b / 255, 1.0)
                GL.glClear(GL.GL_COLOR_BUFFER_BIT | GL.GL_DEPTH_BUFFER_BIT)
                # A square of another colour in the lower left quarter.
                GL.glEnable(GL.GL_SCISSOR_TEST)
                GL.glScissor(0, 0, target.width // 2, target.height // 2)
                GL.glClearColor(0.0, 1.0, 0.0, 1.0)
                GL.glClear(GL.GL_COLOR_BUFFER_BIT)
                GL.glDisable(GL.GL_SCISSOR_TEST)
                GL.glFinish()
                raw = GL.glReadPixels(0, 0, target.width, target.height, GL.GL_RGBA,
                                      GL.GL_UNSIGNED_BYTE)  # fmt: skip
                seen[target.eye] = np.frombuffer(raw, np.uint8).reshape(
                    target.height, target.width, 4
                )
            backend.end_frame()  # raises if the runtime refuses the projection layer
            if len(seen) == 2 and backend.state == SessionState.FOCUSED and frames > 5:
                backend.request_exit()
    assert set(seen) == {0, 1}
    for eye, image in seen.items():
        h, w, _ = image.shape
        assert tuple(image[h - 1, w - 1, :3]) == EYE_COLOURS[eye]
        assert tuple(image[0, 0, :3]) == (0, 255, 0)
        green = (image[:, :, 1] == 255) & (image[:, :, 0] == 0)
        assert green.sum() == (w // 2) * (h // 2)


def test_views_are_stereo_with_fov_and_predicted_time_advances(monado):
    with OpenXRBackend(mode="egl") as backend:
        times = []
        while (frame := backend.begin_frame()) is not None:
            times.append(frame.xr_time)
            left, right = frame.views
            backend.end_frame()
            if len(times) == 6:
                backend.request_exit()
        assert np.all(np.diff(times) > 0)
        # Eyes apart along x at the same height, fovs as OpenXR orders them.
        assert right.pose[0] - left.pose[0] == pytest.approx(0.063, abs=0.02)
        assert left.pose[1] == pytest.approx(right.pose[1])
        for view in (left, right):
            a_left, a_right, a_up, a_down = view.fov
            assert a_left < 0 < a_right and a_down < 0 < a_up


def test_killing_the_runtime_mid_session_ends_with_a_clear_error(monado):
    backend = OpenXRBackend(mode="egl").open()
    try:
        with pytest.raises(RuntimeLostError, match="lost the OpenXR runtime .*Monado"):
            for _ in range(400):
                frame = backend.begin_frame()
                assert frame is not None
                backend.end_frame()
                if backend.state == SessionState.FOCUSED and monado.proc.poll() is None:
                    monado.kill()
        assert backend.lifecycle.lost
    finally:
        backend.close()
        backend.close()  # twice is fine, also after the loss


class _ClearingApp:
    """A stand-in application: clears each eye and finishes after some focused frames."""

    def __init__(self, frames: int) -> None:
        self.left = frames
        self.finished = False
        self.rendered = 0
        self.states = []

    def update(self, state):
        from vrtrainer.backends.base import Display

        self.states.append((state.display_time, len(state.views), state.hands.active.copy()))
        return Display(phase="attempt")

    def render(self, state, targets):
        for target in targets:
            GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, target.fbo)
            GL.glViewport(0, 0, target.width, target.height)
            GL.glClearColor(0.5, 0.5, 0.5, 1.0)
            GL.glClear(GL.GL_COLOR_BUFFER_BIT)
        self.rendered += 1
        self.left -= 1
        self.finished = self.left <= 0

    def close(self):
        pass


def test_frame_loop_runs_the_openxr_backend_and_closes_politely(monado):
    from vrtrainer.session.loop import run_loop
    from vrtrainer.xr.frame_backend import OpenXRFrameBackend

    backend = OpenXRFrameBackend(tool_names=("torch",))
    app = _ClearingApp(frames=8)
    result = run_loop(backend, app)
    assert result.ended_by == "application" and app.rendered == 8
    times = [t for t, _, _ in app.states]
    assert times[0] == 0.0 and all(b > a for a, b in zip(times, times[1:]))
    assert all(n == 2 for _, n, _ in app.states)
    assert all(active.all() for _, _, active in app.states)
    # close() wound the session down through the runtime before destroying it.
    assert backend.xr.lifecycle.history[-1] == SessionState.EXITING
    assert backend.describe()["runtime"].startswith("Monado")
