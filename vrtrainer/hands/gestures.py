"""Gestures as keyframes (wrist poses, finger angles, tools) and the built-in library.

A :class:`Gesture` is authored for the performer's dominant right hand (or for
both hands) in an OpenXR stage space: metres, +Y up, the performer facing -Z.
Between keyframes, positions and angles follow monotone cubics (PCHIP: smooth,
through every keyframe, and never overshooting a hold) and orientations follow
the same monotone cubic on hemisphere-aligned quaternions, renormalised: for two
keyframes that is the slerp great-circle arc, and holds stay exactly still.

Tools are either held (:class:`Grip`: rigidly attached to one hand's wrist, as a
torch, spray gun or screwdriver is) or free (a world pose per keyframe).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.interpolate import PchipInterpolator
from scipy.spatial.transform import Rotation

from vrtrainer.errors import VrtrainerError
from vrtrainer.hands.hand import HAND_COUNT, HAND_NAMES, LEFT, POSE_SIZE, RIGHT, mirror_poses
from vrtrainer.hands.kinematics import (
    ANGLE_SHAPE,
    compose_poses,
    finger_angles,
    make_pose,
    orientation,
    relative_pose,
)

HAND_INDEX = {name: i for i, name in enumerate(HAND_NAMES)}


def _pose_array(value, what: str) -> np.ndarray:
    a = np.asarray(value, dtype=np.float64)
    if a.shape != (POSE_SIZE,) or not np.all(np.isfinite(a)):
        raise VrtrainerError(f"{what} must be 7 finite numbers (x, y, z, qx, qy, qz, qw)")
    norm = np.linalg.norm(a[3:])
    if norm < 1e-6:
        raise VrtrainerError(f"{what} has a zero quaternion")
    a[3:] /= norm
    a.setflags(write=False)
    return a


def _angle_array(value, what: str) -> np.ndarray:
    a = np.asarray(value, dtype=np.float64)
    if a.shape != ANGLE_SHAPE or not np.all(np.isfinite(a)):
        raise VrtrainerError(f"{what} must be finite finger angles of shape (5, 4) in degrees")
    a = a.copy()
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Keyframe:
    """One instant of a gesture.

    ``wrists`` and ``angles`` map a hand name ('left', 'right') to its wrist
    pose (7,) in world space and its finger angles (5, 4) in degrees; ``tools``
    maps a free tool's name to its world pose; ``phase`` labels the step the
    keyframe belongs to (consecutive keyframes with one label form a phase).
    """

    time: float
    wrists: Mapping[str, np.ndarray]
    angles: Mapping[str, np.ndarray]
    tools: Mapping[str, np.ndarray] = field(default_factory=dict)
    phase: str = ""

    def __post_init__(self) -> None:
        if not np.isfinite(self.time):
            raise VrtrainerError(f"keyframe time {self.time} is not finite")
        for hand in (*self.wrists, *self.angles):
            if hand not in HAND_INDEX:
                raise VrtrainerError(f"unknown hand {hand!r}; use 'left' or 'right'")
        wrists = {h: _pose_array(p, f"{h} wrist pose at t={self.time}")
                  for h, p in self.wrists.items()}
        angles = {h: _angle_array(a, f"{h} angles at t={self.time}")
                  for h, a in self.angles.items()}
        tools = {n: _pose_array(p, f"tool {n!r} pose at t={self.time}")
                 for n, p in self.tools.items()}
        object.__setattr__(self, "time", float(self.time))
        object.__setattr__(self, "wrists", wrists)
        object.__setattr__(self, "angles", angles)
        object.__setattr__(self, "tools", tools)


@dataclass(frozen=True)
class Grip:
    """A tool held rigidly by ``hand``: its pose (7,) in that hand's wrist frame."""

    hand: str
    pose: np.ndarray

    def __post_init__(self) -> None:
        if self.hand not in HAND_INDEX:
            raise VrtrainerError(f"grip hand {self.hand!r} is not 'left' or 'right'")
        object.__setattr__(self, "pose", _pose_array(self.pose, "grip pose"))


@dataclass(frozen=True)
class Gesture:
    """A named gesture: keyframes for the ``hands`` it uses, tools held or free."""

    name: str
    keyframes: tuple[Keyframe, ...]
    hands: tuple[str, ...] = ("right",)
    description: str = ""
    grips: Mapping[str, Grip] = field(default_factory=dict)

    def __post_init__(self) -> None:
        keyframes = tuple(self.keyframes)
        hands = tuple(self.hands)
        if not hands or len(set(hands)) != len(hands) or any(h not in HAND_INDEX for h in hands):
            raise VrtrainerError(f"gesture {self.name!r}: hands must be 'left' and/or 'right'")
        if len(keyframes) < 2:
            raise VrtrainerError(f"gesture {self.name!r} needs at least two keyframes")
        times = np.array([k.time for k in keyframes])
        if not np.all(np.diff(times) > 0):
            raise VrtrainerError(f"gesture {self.name!r}: keyframe times must increase")
        free = tuple(keyframes[0].tools)
        for k in keyframes:
            for h in hands:
                if h not in k.wrists or h not in k.angles:
                    raise VrtrainerError(
                        f"gesture {self.name!r}: keyframe at t={k.time} lacks the {h} hand"
                    )
            if tuple(k.tools) != free:
                raise VrtrainerError(
                    f"gesture {self.name!r}: keyframe at t={k.time} has tools {tuple(k.tools)}, "
                    f"the first has {free}"
                )
        for name, grip in self.grips.items():
            if grip.hand not in hands:
                raise VrtrainerError(
                    f"gesture {self.name!r}: tool {name!r} is held by the {grip.hand} hand, "
                    f"which the gesture does not use"
                )
            if name in free:
                raise VrtrainerError(f"gesture {self.name!r}: tool {name!r} is both held and free")
        object.__setattr__(self, "keyframes", keyframes)
        object.__setattr__(self, "hands", hands)
        object.__setattr__(self, "grips", dict(self.grips))

    @property
    def tool_names(self) -> tuple[str, ...]:
        """Held tools first, then free ones, in the order they were declared."""
        return (*self.grips, *self.keyframes[0].tools)

    @property
    def duration(self) -> float:
        return self.keyframes[-1].time - self.keyframes[0].time

    def phases(self) -> list[tuple[str, list[int]]]:
        """Runs of consecutive keyframes sharing a phase label: (label, keyframe indices)."""
        runs: list[tuple[str, list[int]]] = []
        for i, k in enumerate(self.keyframes):
            if runs and runs[-1][0] == k.phase:
                runs[-1][1].append(i)
            else:
                runs.append((k.phase, [i]))
        return runs


@dataclass
class KeyArrays:
    """A gesture's keyframes packed into arrays (hands indexed 0 left, 1 right)."""

    times: np.ndarray  # (K,)
    wrists: np.ndarray  # (K, 2, 7)
    angles: np.ndarray  # (K, 2, 5, 4)
    tools: np.ndarray  # (K, M, 7) free tools
    used: np.ndarray  # (2,) bool

    def copy(self) -> KeyArrays:
        return KeyArrays(self.times.copy(), self.wrists.copy(), self.angles.copy(),
                         self.tools.copy(), self.used.copy())

    def take(self, index: np.ndarray) -> KeyArrays:
        """Only the keyframes at ``index``."""
        return KeyArrays(self.times[index], self.wrists[index], self.angles[index],
                         self.tools[index], self.used.copy())


def rest_wrist(hand: int) -> np.ndarray:
    """Wrist pose of an arm hanging at the side, fingers down, palm towards the thigh."""
    # Fingers (-Z) down, back of the hand (+Y) outwards (+X): columns X, Y, Z.
    m = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])

    pose = np.concatenate([[0.22, 0.85, 0.0], Rotation.from_matrix(m).as_quat(canonical=True)])
    return mirror_poses(pose) if hand == LEFT else pose


def pack(gesture: Gesture) -> KeyArrays:
    """Arrays of a gesture's keyframes; an unused hand rests at the performer's side."""
    k = len(gesture.keyframes)
    free = gesture.keyframes[0].tools
    wrists = np.empty((k, HAND_COUNT, POSE_SIZE))
    angles = np.empty((k, HAND_COUNT) + ANGLE_SHAPE)
    tools = np.empty((k, len(free), POSE_SIZE))
    used = np.array([name in gesture.hands for name in HAND_NAMES])
    for i, key in enumerate(gesture.keyframes):
        for h, name in enumerate(HAND_NAMES):
            wrists[i, h] = key.wrists[name] if used[h] else rest_wrist(h)
            angles[i, h] = key.angles[name] if used[h] else finger_angles()
        for m, name in enumerate(free):
            tools[i, m] = key.tools[name]
    times = np.array([key.time for key in gesture.keyframes])
    return KeyArrays(times - times[0], wrists, angles, tools, used)


def align_hemispheres(quats: np.ndarray) -> np.ndarray:
    """Flip quaternions (K, ..., 4) so each is on the same hemisphere as the previous one."""
    q = np.array(quats, dtype=np.float64)
    for i in range(1, q.shape[0]):
        dot = np.sum(q[i] * q[i - 1], axis=-1, keepdims=True)
        q[i] = np.where(dot < 0, -q[i], q[i])
    return q


def interpolate(times: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Monotone cubic (PCHIP) through keyframe ``values`` (K, ...) sampled ``at`` (T,)."""
    at = np.clip(at, times[0], times[-1])
    return PchipInterpolator(times, values, axis=0)(at)


def interpolate_poses(times: np.ndarray, poses: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Poses (K, ..., 7) interpolated ``at`` (T,): cubic positions, smooth unit quaternions."""
    out = np.empty((at.shape[0],) + poses.shape[1:])
    out[..., :3] = interpolate(times, poses[..., :3], at)
    q = interpolate(times, align_hemispheres(poses[..., 3:]), at)
    out[..., 3:] = q / np.linalg.norm(q, axis=-1, keepdims=True)
    return out


def wrist_for_tool(tool_pose: np.ndarray, grip: Grip) -> np.ndarray:
    """The wrist pose that puts a held tool at ``tool_pose`` (for authoring by the tool)."""
    inverse = relative_pose(grip.pose, np.array([0, 0, 0, 0, 0, 0, 1.0]))
    return compose_poses(np.asarray(tool_pose, dtype=np.float64), inverse)


def mirror_gesture_pose(pose: np.ndarray) -> np.ndarray:
    """A right-hand world pose reflected into the left hand's (x -> -x)."""
    return mirror_poses(np.asarray(pose, dtype=np.float64))


# --- the built-in library ----------------------------------------------------

_RELAXED = finger_angles()
_OPEN = finger_angles(thumb=(5, 0, 0, 35), index=(5, 5, 0, 8), middle=(5, 5, 0, 2),
                      ring=(5, 5, 0, 6), little=(5, 5, 0, 12))
_FLAT = finger_angles(thumb=(5, 5, 5, 10), index=(0, 3, 0, 2), middle=(0, 3, 0, 0),
                      ring=(0, 3, 0, 2), little=(0, 3, 0, 4))
# Tip pinch, thumb and index pads meeting (tip centres ~12 mm apart), and the
# pre-shape 6 cm apart; solved once with the model of vrtrainer.hands.kinematics.
_PINCH = finger_angles(thumb=(28, 14, 20, 10), index=(53, 51, 25, 0), middle=(40, 45, 20, 0),
                       ring=(42, 48, 22, 0), little=(45, 50, 22, 0))
_PINCH_OPEN = finger_angles(thumb=(23, 12, 11, 20), index=(39, 34, 17, 0),
                            middle=(30, 35, 15, 0), ring=(33, 38, 17, 0),
                            little=(36, 40, 18, 0))
# Power grasp around a ~5 cm cylinder.
_GRASP = finger_angles(thumb=(40, 25, 20, 30), index=(50, 65, 35, 0), middle=(52, 68, 38, 0),
                       ring=(55, 70, 40, 0), little=(58, 72, 42, 0))
_POINT = finger_angles(thumb=(45, 30, 20, 0), index=(0, 5, 0, 0), middle=(80, 95, 50, 0),
                       ring=(82, 95, 50, 0), little=(85, 95, 50, 0))


def _pose(position, axes: str, degrees) -> np.ndarray:
    return make_pose(position, orientation(axes, degrees))


def _one_hand(name: str, description: str, keys, grips=None) -> Gesture:
    frames = tuple(
        Keyframe(t, {"right": wrist}, {"right": angles}, phase=phase)
        for t, wrist, angles, phase in keys
    )
    return Gesture(name, frames, ("right",), description, grips or {})


def _pinch() -> Gesture:
    down = ("YX", (10, -15))
    return _one_hand("pinch", "Pick up a small object between thumb and index tips.", [
        (0.0, _pose((0.14, 1.02, -0.28), *down), _RELAXED, "reach"),
        (0.6, _pose((0.12, 0.99, -0.36), *down), _PINCH_OPEN, "reach"),
        (1.0, _pose((0.12, 0.97, -0.37), *down), _PINCH, "close"),
        (1.5, _pose((0.12, 0.97, -0.37), *down), _PINCH, "close"),
        (2.1, _pose((0.12, 1.07, -0.35), "YX", (10, -5)), _PINCH, "lift"),
        (2.7, _pose((0.12, 1.06, -0.35), "YX", (10, -5)), _PINCH_OPEN, "release"),
        (3.2, _pose((0.14, 1.02, -0.30), *down), _RELAXED, "release"),
    ])


def _grab() -> Gesture:
    side = ("YZ", (10, -70))
    return _one_hand("grab", "Grasp a bottle-sized object, lift it, put it back, let go.", [
        (0.0, _pose((0.15, 1.00, -0.25), "YX", (10, -10)), _RELAXED, "reach"),
        (0.8, _pose((0.10, 0.98, -0.40), *side), _OPEN, "reach"),
        (1.2, _pose((0.10, 0.98, -0.41), *side), _GRASP, "grasp"),
        (1.6, _pose((0.10, 0.98, -0.41), *side), _GRASP, "grasp"),
        (2.3, _pose((0.10, 1.12, -0.40), *side), _GRASP, "lift"),
        (3.0, _pose((0.10, 0.98, -0.41), *side), _GRASP, "place"),
        (3.4, _pose((0.10, 0.98, -0.40), *side), _OPEN, "release"),
        (4.0, _pose((0.15, 1.00, -0.25), "YX", (10, -10)), _RELAXED, "release"),
    ])


def _point() -> Gesture:
    return _one_hand("point", "Point at a target ahead with the index finger, then return.", [
        (0.0, _pose((0.15, 1.00, -0.25), "YX", (10, -10)), _RELAXED, "raise"),
        (0.7, _pose((0.18, 1.25, -0.45), "YX", (-5, 10)), _POINT, "raise"),
        (1.7, _pose((0.18, 1.26, -0.45), "YX", (-5, 10)), _POINT, "hold"),
        (2.4, _pose((0.15, 1.00, -0.25), "YX", (10, -10)), _RELAXED, "return"),
    ])


def _wave() -> Gesture:
    keys = [(0.0, _pose((0.20, 1.00, -0.20), "YX", (10, -10)), _RELAXED, "raise"),
            (0.7, _pose((0.25, 1.45, -0.25), "XY", (90, 0)), _OPEN, "raise")]
    t = 0.7
    for swing in range(5):
        t += 0.35
        sign = 1 if swing % 2 == 0 else -1
        keys.append((t, _pose((0.25 - 0.02 * sign, 1.45, -0.25), "XY", (90, 25 * sign)),
                     _OPEN, "wave"))
    keys.append((t + 0.35, _pose((0.25, 1.45, -0.25), "XY", (90, 0)), _OPEN, "wave"))
    keys.append((t + 1.05, _pose((0.20, 1.00, -0.20), "YX", (10, -10)), _RELAXED, "lower"))
    return _one_hand("wave", "Raise the open hand and wave it side to side.", keys)


def _clap() -> Gesture:
    facing = ("YZ", (5, -90))  # right palm towards -X, fingers forwards
    apart, together = 0.16, 0.02
    keys = [(0.0, 0.20, _RELAXED, "ready"), (0.45, apart, _FLAT, "ready")]
    t = 0.45
    for n in range(3):
        keys.append((t + 0.25, together, _FLAT, f"clap {n + 1}"))
        keys.append((t + 0.5, apart, _FLAT, f"clap {n + 1}"))
        t += 0.5
    keys.append((t + 0.6, 0.20, _RELAXED, "finish"))
    frames = []
    for time, x, angles, phase in keys:
        right = _pose((x, 1.20, -0.35), *facing)
        frames.append(Keyframe(time, {"right": right, "left": mirror_gesture_pose(right)},
                               {"right": angles, "left": angles}, phase=phase))
    return Gesture("clap", tuple(frames), ("left", "right"), "Clap both hands three times.")


def _screw() -> Gesture:
    # A ratcheting screwdriver held in a power grasp, handle centre in the palm,
    # shaft (tool -Z, towards the tip) leaving between thumb and index.
    grip = Grip("right", make_pose((-0.01, -0.03, -0.075), orientation("Y", (35,))))
    keys = []
    turns = [(0.0, 0, "engage"), (0.6, 0, "engage"), (1.2, -80, "turn 1"), (1.6, 0, "turn 1"),
             (2.2, -80, "turn 2"), (2.6, 0, "turn 2"), (3.2, -80, "turn 3"), (3.8, -80, "withdraw")]
    for t, angle, phase in turns:
        back = 0.05 if phase in ("engage", "withdraw") and t in (0.0, 3.8) else 0.0
        tool = make_pose((0.10, 1.10, -0.45 + back), orientation("Z", (angle,)))
        keys.append((t, wrist_for_tool(tool, grip), _GRASP, phase))
    return _one_hand("screw", "Drive a screw with a ratcheting screwdriver: three turns.",
                     keys, {"screwdriver": grip})


#: Built-in gestures by name.
GESTURES: dict[str, Gesture] = {
    g.name: g for g in (_pinch(), _grab(), _point(), _wave(), _clap(), _screw())
}

__all__ = [
    "GESTURES", "HAND_INDEX", "RIGHT", "LEFT", "Gesture", "Grip", "KeyArrays", "Keyframe",
    "interpolate", "interpolate_poses", "pack", "rest_wrist", "wrist_for_tool",
]
