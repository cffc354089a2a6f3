"""The OpenXR backend as the frame loop sees it (:class:`vrtrainer.backends.base.Backend`).

Wraps :class:`~vrtrainer.xr.backend.OpenXRBackend` and copies each headset
frame into the loop's reusable :class:`~vrtrainer.backends.base.FrameState`:
predicted display time, eye views, hands, the tools in the trainee's hands and
the commands pressed. Render targets are the eyes' swapchain framebuffers.
"""

from __future__ import annotations

import numpy as np

from vrtrainer.backends.base import Display, FrameState, Input, RenderTarget, View
from vrtrainer.hands.hand import LEFT, RIGHT
from vrtrainer.xr.actions import ToolBinding
from vrtrainer.xr.backend import OpenXRBackend

_INPUTS = {"next": Input.NEXT, "retry": Input.RETRY, "quit": Input.QUIT}


class OpenXRFrameBackend:
    """``openxr`` (rendered through GL swapchains) or ``openxr-headless`` (no rendering).

    ``tool_names`` are the tools the scenario uses; each follows the grip of
    ``tool_hand`` ("right" or "left").
    """

    def __init__(
        self,
        headless: bool = False,
        tool_names: tuple[str, ...] = (),
        tool_hand: str = "right",
        headless_rate: float = 90.0,
    ) -> None:
        hand = RIGHT if tool_hand == "right" else LEFT
        self.name = "openxr-headless" if headless else "openxr"
        self.tool_names = tuple(tool_names)
        self.rate = 90.0  # nominal: the runtime paces the frames (headless: headless_rate)
        self.xr = OpenXRBackend(
            mode="headless" if headless else "egl",
            tools=tuple(ToolBinding(n, hand) for n in self.tool_names),
            headless_rate=headless_rate,
        )
        self._targets: list[RenderTarget] = []
        self._index = -1
        self._opened = False

    def begin(self) -> None:
        self.xr.open()
        self._opened = True

    def wait_frame(self, state: FrameState) -> bool:
        frame = self.xr.begin_frame()
        if frame is None:
            return False
        self._index += 1
        state.index = self._index
        state.display_time = frame.time
        state.should_render = bool(frame.targets)
        state.hands.copy_from(frame.hands)
        c = frame.controllers
        if self.tool_names:
            state.tools[...] = c.tool_poses
            state.tool_flags[...] = c.tool_flags
        state.head[...] = frame.head
        state.head_flags = 15 if np.any(frame.head) else 0
        if len(state.views) != len(frame.views):
            state.views[:] = [View(pose=np.zeros(7, np.float32)) for _ in frame.views]
        for out, v in zip(state.views, frame.views, strict=True):
            out.pose[...] = v.pose
            out.fov = v.fov
        state.events.clear()
        state.events.extend(_INPUTS[e] for e in frame.events if e in _INPUTS)
        self._targets = frame.targets
        return True

    def render_targets(self) -> list[RenderTarget]:
        return list(self._targets)

    def end_frame(self, state: FrameState, display: Display) -> None:
        self.xr.end_frame()
        self._targets = []
        if Input.QUIT in state.events:
            self.xr.request_exit()

    def request_exit(self) -> None:
        """Quit from the application side (e.g. the session is over)."""
        self.xr.request_exit()

    def close(self) -> None:
        self.xr.close()

    def describe(self) -> dict[str, str]:
        if not self._opened or self.xr.instance is None:
            return {"device": self.name, "runtime": "OpenXR (not started)"}
        r = self.xr.report
        return {
            "device": r.system_name,
            "runtime": f"{r.runtime_name} {r.runtime_version}",
            "backend": self.name,
            "hand_tracking": "yes" if r.hand_tracking else "no (controllers)",
            "space": self.xr.space_kind,
        }
