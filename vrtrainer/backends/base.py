"""What every backend gives the frame loop, and what the loop gives back.

A backend is where poses come from and where frames go: an OpenXR runtime, a
simulated trainee, or the replay of a recorded take. The training application
only ever sees :class:`FrameState` and :class:`Display`, so the same loop runs
in a headset, in a headless batch, in tests and in the demo.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from vrtrainer.hands.hand import POSE_SIZE, HandFrame

#: (angle_left, angle_right, angle_up, angle_down) in radians, as XrFovf.
Fov = tuple[float, float, float, float]

#: A symmetric 90-degree field of view, the default for simulated eyes.
DEFAULT_FOV: Fov = (-0.7854, 0.7854, 0.7854, -0.7854)
#: Typical interpupillary distance in metres.
DEFAULT_IPD = 0.063


class Input(enum.Enum):
    """What a trainee or trainer can ask for, whatever the device."""

    NEXT = "next"  # go on: start, done, next step
    RETRY = "retry"  # try this step again
    QUIT = "quit"  # leave the session (the take so far is kept)
    TOGGLE_LANGUAGE = "language"
    TOGGLE_DEBUG = "debug"


@dataclass
class View:
    """One eye as OpenXR gives it: pose in the reference space and asymmetric fov.

    ``pose`` is (7,) position (m) + quaternion (x, y, z, w); ``fov`` is
    (angle_left, angle_right, angle_up, angle_down) in radians, left and down
    negative, as in ``XrFovf``. The eye looks down its local -Z with +Y up. The
    one type of eye from backends (OpenXR, simulated) to the renderer.
    """

    pose: np.ndarray = field(default_factory=lambda: np.zeros(POSE_SIZE, np.float32))
    fov: Fov = DEFAULT_FOV


@dataclass
class RenderTarget:
    """Where one eye is drawn: a GL framebuffer object and the viewport inside it.

    An OpenXR swapchain image's framebuffer or an offscreen one. With
    ``resolve_fbo`` set, ``fbo`` is multisampled and is resolved (blitted) into
    ``resolve_fbo`` after the eye is drawn. ``eye`` is the view it is for.
    """

    fbo: int
    width: int
    height: int
    x: int = 0
    y: int = 0
    resolve_fbo: int | None = None
    eye: int = 0


@dataclass
class FrameState:
    """Everything the application needs for one frame; buffers are reused.

    ``display_time`` is the predicted display time in seconds on the backend's
    clock; ``tools`` (K, 7) and ``tool_flags`` (K,) follow ``tool_names``;
    ``events`` holds the inputs since the previous frame.
    """

    tool_names: tuple[str, ...] = ()
    index: int = -1
    display_time: float = 0.0
    should_render: bool = True
    hands: HandFrame = field(default_factory=HandFrame)
    tools: np.ndarray = field(default_factory=lambda: np.zeros((0, POSE_SIZE), np.float32))
    tool_flags: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))
    head: np.ndarray = field(
        default_factory=lambda: np.array([0, 1.6, 0, 0, 0, 0, 1], np.float32)
    )
    head_flags: int = 0
    views: list[View] = field(default_factory=list)
    events: list[Input] = field(default_factory=list)

    def __post_init__(self) -> None:
        k = len(self.tool_names)
        if self.tools.shape[0] != k:
            self.tools = np.tile(np.array([0, 0, 0, 0, 0, 0, 1], np.float32), (k, 1))
            self.tool_flags = np.zeros(k, np.uint8)


@dataclass
class Display:
    """What the application showed this frame, as a person in the headset sees it.

    Backends that stand in for a person (the simulated trainee, a replay) read
    it to react as a person would: start moving when told to try.
    """

    phase: str = ""
    step: int = 0
    instruction: str = ""
    progress: float = 0.0
    attempt_elapsed: float = 0.0
    scoring: bool = False  # an ended attempt's score is on its way


class Backend(Protocol):
    """A source of frames and a sink for rendered images.

    Call order per frame: :meth:`wait_frame` (fills the state; returns False
    when the backend has ended), render into :meth:`render_targets` when
    ``state.should_render``, then :meth:`end_frame`.
    """

    name: str
    tool_names: tuple[str, ...]
    rate: float  # nominal frames per second (a take recorded from it says so)

    def begin(self) -> None:
        """Start the session (runtime, context, clock)."""

    def wait_frame(self, state: FrameState) -> bool:
        """Block until the next frame is due and fill ``state`` for it."""

    def render_targets(self) -> list[RenderTarget]:
        """One render target per view for the current frame (may be empty)."""

    def end_frame(self, state: FrameState, display: Display) -> None:
        """Submit the rendered frame; ``display`` says what it showed."""

    def close(self) -> None:
        """End the session and free everything; safe to call twice."""

    def describe(self) -> dict[str, str]:
        """Device and runtime names for results and reports."""
