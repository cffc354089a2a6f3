"""Recording from a real runtime: joints over time on disk, and kept when the runtime dies."""

from __future__ import annotations

import numpy as np
import pytest

from vrtrainer.backends.base import Display
from vrtrainer.hands.hand import RIGHT, WRIST
from vrtrainer.session.loop import run_loop
from vrtrainer.takes.take import TakeMeta, TakeWriter, load_take
from vrtrainer.xr.errors import RuntimeLostError
from vrtrainer.xr.frame_backend import OpenXRFrameBackend

INDEX_TIP = 10


class _CurlRecorder:
    """Records every frame while the feeder curls the right index, then kills the runtime.

    A real recorder (the project's crash-safe TakeWriter) driving a scripted
    performer; the runtime's death is the fault under test.
    """

    def __init__(self, path, feeder, monado, kill_at: int) -> None:
        self.writer = TakeWriter(path, TakeMeta(role="trainee", source="openxr-headless"),
                                 tool_names=("spray_gun",), with_head=True)  # fmt: skip
        self.feeder, self.monado, self.kill_at = feeder, monado, kill_at
        self.state = feeder.initial
        self.frames = 0
        self.finished = False
        self.take = None

    def update(self, state):
        self.writer.append(state.hands, state.tools, state.tool_flags, state.head,
                           state.head_flags)  # fmt: skip
        self.frames += 1
        curl = min(1.0, self.frames / 60)
        self.state.right.curls = (0.0, curl, 0.0, 0.0, 0.0)
        self.feeder.send(self.state)
        if self.frames == self.kill_at:
            self.monado.kill()
        return Display(phase="attempt")

    def render(self, state, targets):
        pass

    def close(self):
        self.take = self.writer.close(extra={"ended_by": "interrupted"})


def test_runtime_killed_mid_recording_leaves_the_take_on_disk(monado, feeder, tmp_path):
    path = tmp_path / "attempt.vrtake"
    app = _CurlRecorder(path, feeder, monado, kill_at=90)
    with pytest.raises(RuntimeLostError, match="lost the OpenXR runtime"):
        run_loop(OpenXRFrameBackend(headless=True, tool_names=("spray_gun",)), app)
    take = load_take(path)
    assert take.n_frames == app.frames == 90
    assert np.all(np.diff(take.times) > 0)
    assert take.active[:, RIGHT].all()
    assert take.meta.extra["ended_by"] == "interrupted"
    # The recorded index tip closes on the wrist as the feeder curls it.
    d = np.linalg.norm(take.poses[:, RIGHT, INDEX_TIP, :3] - take.poses[:, RIGHT, WRIST, :3],
                       axis=-1)  # fmt: skip
    assert d[-1] < d[5] - 0.03
    assert np.all(np.diff(d[5:]) < 1e-4)  # never opens again while curling
    # The spray gun is in the right hand once the runtime reports the grip
    # (before the first action sync it is not valid, and flagged so).
    valid = (take.tool_flags[:, 0] & 0x3) == 0x3
    assert valid[10:].all()
    np.testing.assert_allclose(take.tools[valid, 0, :3],
                               np.tile(app.state.right.pose[:3], (valid.sum(), 1)),
                               atol=1e-4)  # fmt: skip
