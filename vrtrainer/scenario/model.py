"""What a scenario is once loaded: immutable dataclasses built from scenario.toml.

Everything here is plain data (numbers, strings, small numpy vectors) so the
training session, the scorer and the renderer can share it freely. Paths to
meshes and takes are pack-relative strings; read them through the pack that
loaded the scenario (:class:`vrtrainer.scenario.Pack`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from vrtrainer.errors import VrtrainerError
from vrtrainer.hands.hand import (
    FINGER_NAMES,
    FINGERS,
    JOINT_COUNT,
    JOINT_INDEX,
    quat_rotate,
    quat_to_matrix,
)

_T = TypeVar("_T")

LANGUAGES = ("fr", "en")


@dataclass(frozen=True)
class Text:
    """A text in French and English."""

    fr: str
    en: str

    def get(self, lang: str = "en") -> str:
        """The text in ``lang`` ('fr' or 'en'; anything else gives English)."""
        return self.fr if lang == "fr" else self.en


@dataclass(frozen=True)
class Transform:
    """Position (m), rotation (quaternion x, y, z, w) and scale of an object."""

    position: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rotation: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 1.0)
    scale: tuple[float, float, float] = (1.0, 1.0, 1.0)

    def matrix(self) -> np.ndarray:
        """4x4 model matrix: translate * rotate * scale."""
        m = np.eye(4)
        m[:3, :3] = quat_to_matrix(np.array(self.rotation)) * np.array(self.scale)
        m[:3, 3] = self.position
        return m


@dataclass(frozen=True)
class SceneObject:
    """A static mesh of the scene (bench, workpiece, manikin)."""

    name: str
    mesh: str
    transform: Transform


@dataclass(frozen=True)
class ToolSpec:
    """A hand-held tool: its mesh, who holds it, its grip, tip and working axis.

    ``grip`` is the tool frame's pose in the holder's frame (a hand's wrist joint
    or a controller's grip pose); ``tip`` and ``axis`` are in the tool frame.
    """

    name: str
    mesh: str
    held_by: str
    grip: Transform
    tip: tuple[float, float, float]
    axis: tuple[float, float, float]

    def world_pose(self, holder: np.ndarray) -> np.ndarray:
        """Tool poses (..., 7) from the holder's poses (..., 7): the wrist joint or grip pose.

        What the renderer draws the tool mesh with when the take or the runtime
        gives no tool pose of its own.
        """
        holder = np.asarray(holder, dtype=np.float64)
        q = holder[..., 3:7]
        out = np.empty(np.broadcast_shapes(holder.shape, (7,)))
        out[..., :3] = holder[..., :3] + quat_rotate(q, np.array(self.grip.position))
        x1, y1, z1, w1 = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
        x2, y2, z2, w2 = self.grip.rotation
        out[..., 3] = w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2
        out[..., 4] = w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2
        out[..., 5] = w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2
        out[..., 6] = w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2
        return out

    def holder_hand(self, handedness: str = "right") -> int | None:
        """Hand index (0 left, 1 right) holding the tool, or None for a controller."""
        who = self.held_by.split("_")[0]
        if who == "dominant":
            who = handedness
        if not self.held_by.endswith("_hand"):
            return None
        return 0 if who == "left" else 1


@dataclass(frozen=True)
class WorkFrame:
    """A workpiece reference: a plane (panel, chest), a line (weld seam) or a point.

    Vectors are unit length. For a line, ``normal`` is the reference surface's
    normal (perpendicular to ``direction``), used by the work angle, and
    ``length`` bounds it. For a plane, ``direction`` (optional) is the width
    axis of its ``size`` rectangle, centred on the origin.
    """

    name: str
    kind: str
    origin: np.ndarray
    normal: np.ndarray | None = None
    direction: np.ndarray | None = None
    length: float | None = None
    size: tuple[float, float] | None = None

    # What a metric or a motion builder needs of its frame. The loader checks that
    # lines and planes have their vectors; these say so clearly if one is missing.
    @property
    def unit_normal(self) -> np.ndarray:
        """``normal``, which planes and lines have."""
        return self._needed(self.normal, "a normal")

    @property
    def unit_direction(self) -> np.ndarray:
        """``direction``, which lines and rectangular planes have."""
        return self._needed(self.direction, "a direction")

    @property
    def line_length(self) -> float:
        """``length`` of a line."""
        return self._needed(self.length, "a length")

    @property
    def plane_size(self) -> tuple[float, float]:
        """``size`` (width, height) of a rectangular plane."""
        return self._needed(self.size, "a size")

    def _needed(self, value: _T | None, what: str) -> _T:
        if value is None:
            raise VrtrainerError(f"frame {self.name!r} ({self.kind}) has no {what}")
        return value


@dataclass(frozen=True)
class MetricSpec:
    """A trade metric declared in the pack, with its ideal / min / max band.

    ``params`` holds the kind-specific settings as written in the TOML (tool,
    frame, point, axis, a, b, within, along, min_depth, smoothing, max_speed,
    while). Units: degrees, metres, m/s, per minute or seconds by kind.
    """

    name: str
    kind: str
    label: Text
    ideal: float
    min: float
    max: float
    weight: float = 1.0
    advice_low: Text | None = None
    advice_high: Text | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def unit(self) -> str:
        """Unit of the metric's values, for display."""
        return METRIC_UNITS[self.kind]


#: Unit of each metric kind's values.
METRIC_UNITS: dict[str, str] = {
    "tool_angle": "deg",
    "work_angle": "deg",
    "travel_angle": "deg",
    "tip_distance": "m",
    "tool_speed": "m/s",
    "pass_overlap": "share",
    "periodic_rate": "1/min",
    "periodic_depth": "m",
    "release": "m",
    "hold": "s",
    "palm_angle": "deg",
    "hands_stacked": "m",
    "joint_distance": "m",
}


@dataclass(frozen=True)
class MotionSpec:
    """How the pack's expert and trainee motions are simulated (``[motion]``), as data.

    ``builder`` names a motion builder of :mod:`vrtrainer.trade.motions`; ``params``
    are its parameters for every step (a step's own ``motion`` table adds to them);
    ``faults`` maps a typical trade fault's name to the parameters it changes.
    """

    builder: str
    params: dict[str, Any] = field(default_factory=dict)
    faults: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """One step of a scenario: what to do, against which references, how it is judged.

    ``joint_weights`` is a (26,) array resolved from the TOML's names (joint,
    finger or 'all'); ``tolerance`` is the noise floor in metres of the
    comparator's tolerance envelope; ``pass_threshold`` is a score out of 100.
    """

    id: str
    title: Text
    instruction: Text
    hands: str
    reference_takes: tuple[str, ...]
    reference_template: str | None
    joint_weights: np.ndarray
    tolerance: float
    pass_threshold: float
    time_min: float | None
    time_max: float | None
    metrics: tuple[str, ...]
    motion: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """A whole scenario pack's description (scenario.toml), validated."""

    schema_version: int
    id: str
    version: str
    title: Text
    instructions: Text
    trade: str
    licence: str
    authors: tuple[str, ...]
    steps: tuple[Step, ...]
    objects: tuple[SceneObject, ...]
    tools: tuple[ToolSpec, ...]
    frames: dict[str, WorkFrame]
    metrics: dict[str, MetricSpec]
    total_min: float | None
    total_max: float | None
    source: Path
    motion: MotionSpec | None = None

    def tool(self, name: str) -> ToolSpec:
        """The tool called ``name``."""
        for t in self.tools:
            if t.name == name:
                return t
        raise KeyError(name)

    def step_metrics(self, step: Step) -> list[MetricSpec]:
        """The metric specs a step is judged on, in declared order."""
        return [self.metrics[name] for name in step.metrics]


DEFAULT_TOLERANCE = 0.03
DEFAULT_PASS_THRESHOLD = 60.0


def resolve_joint_weights(weights: dict[str, float]) -> np.ndarray:
    """(26,) weights from names: 'all' first, then fingers, then single joints.

    Unnamed joints weigh 1 unless 'all' says otherwise. Raises KeyError naming
    an unknown joint or finger.
    """
    out = np.full(JOINT_COUNT, float(weights.get("all", 1.0)))
    for name, w in weights.items():
        if name in FINGER_NAMES:
            out[list(FINGERS[FINGER_NAMES.index(name)])] = w
    for name, w in weights.items():
        if name == "all" or name in FINGER_NAMES:
            continue
        if name not in JOINT_INDEX:
            raise KeyError(name)
        out[JOINT_INDEX[name]] = w
    out.setflags(write=False)
    return out
