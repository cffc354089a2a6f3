"""Simulated expert and trainee motions that scenario packs declare, by generic builders.

A pack's ``[motion]`` table names one of :data:`MOTION_BUILDERS` (a tool along a
seam, spray passes over a plane, chest compressions, the WHO hand-rub gestures,
a tool keyed on a path) and gives its parameters as data; each step may add its
own (which part, which gesture, which path) and ``[motion.faults]`` names typical
trade errors as parameter overrides (a wrong angle, too shallow compressions, a
screw turned the wrong way). Builders key :class:`vrtrainer.hands.gestures.Gesture`
frames from the pack's own geometry (frames, tool grips), so that simulated takes
sit exactly where the pack's metrics measure. Nothing a pack writes is run: names
are looked up here, values are checked (:func:`check_motion`). Simulator flaws
(fast, slow, skip-phase...) apply on top of either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeGuard

import numpy as np
from scipy.spatial.transform import Rotation

from vrtrainer.errors import VrtrainerError
from vrtrainer.hands.gestures import Gesture, Grip, Keyframe, wrist_for_tool
from vrtrainer.hands.hand import JOINT_INDEX
from vrtrainer.hands.kinematics import HandShape, finger_angles, pose_hand
from vrtrainer.scenario.model import Scenario, Step, WorkFrame

#: Power grasp around a torch or gun handle (about 3.5 cm across).
GRASP = finger_angles(thumb=(40, 25, 20, 30), index=(45, 60, 30, 0), middle=(50, 65, 35, 0),
                      ring=(52, 68, 38, 0), little=(55, 70, 40, 0))
#: Gun grip: index finger on the trigger, the others around the handle.
TRIGGER = finger_angles(thumb=(35, 20, 15, 25), index=(30, 45, 30, 0), middle=(55, 70, 40, 0),
                        ring=(58, 72, 42, 0), little=(60, 75, 45, 0))
FLAT = finger_angles(thumb=(5, 5, 5, 10), index=(0, 3, 0, 2), middle=(0, 3, 0, 0),
                     ring=(0, 3, 0, 2), little=(0, 3, 0, 4))
SPREAD = finger_angles(thumb=(5, 5, 5, 25), index=(0, 5, 0, 12), middle=(0, 5, 0, 2),
                       ring=(0, 5, 0, 10), little=(0, 5, 0, 18))
HOOK = finger_angles(thumb=(20, 15, 10, 10), index=(10, 80, 60, 0), middle=(10, 85, 60, 0),
                     ring=(10, 85, 60, 0), little=(10, 85, 60, 0))
CUP = finger_angles(thumb=(45, 30, 25, 20), index=(40, 60, 40, 0), middle=(42, 62, 42, 0),
                    ring=(44, 64, 44, 0), little=(46, 66, 46, 0))
BUNCHED = finger_angles(thumb=(50, 30, 30, 10), index=(35, 50, 35, -8), middle=(35, 50, 35, 0),
                        ring=(35, 50, 35, 8), little=(38, 52, 38, 14))
RELAXED = finger_angles()


def _unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


def oriented(minus_z, y_hint) -> np.ndarray:
    """Quaternion of a frame whose -Z is ``minus_z`` and whose +Y leans to ``y_hint``.

    For a wrist: -Z along the fingers and +Y out of the back of the hand, so
    ``oriented(fingers, -palm_normal)``; for a tool: -Z along its working axis.
    """
    z = -_unit(minus_z)
    y = np.asarray(y_hint, dtype=np.float64)
    y = _unit(y - (y @ z) * z)
    x = np.cross(y, z)
    return Rotation.from_matrix(np.stack([x, y, z], axis=1)).as_quat(canonical=True)


def pose(position, quat) -> np.ndarray:
    return np.concatenate([np.asarray(position, dtype=np.float64), quat])


def _tool_grip(scenario: Scenario, name: str) -> Grip:
    spec = scenario.tool(name)
    hand = spec.holder_hand("right")
    if hand is None:
        raise VrtrainerError(f"tool {name!r} is held by a controller, not simulated hands")
    return Grip("left" if hand == 0 else "right",
                np.concatenate([spec.grip.position, spec.grip.rotation]))


def _tool_pose_for_tip(scenario: Scenario, name: str, tip_world, axis_world, y_hint) -> np.ndarray:
    """Tool pose putting its tip at ``tip_world`` with its axis along ``axis_world``."""
    spec = scenario.tool(name)
    q = oriented(axis_world, y_hint)
    # The tool axis in the tool frame is -Z for every bundled tool; the tip lies on it.
    tip_local = np.asarray(spec.tip)
    origin = np.asarray(tip_world) - Rotation.from_quat(q).apply(tip_local)
    return pose(origin, q)


# -- welding --------------------------------------------------------------------------


def torch_axis(seam_dir, normal, work: float, travel: float) -> np.ndarray:
    """Torch working axis (handle to tip) for a work and a travel angle in degrees."""
    d, n = _unit(seam_dir), _unit(normal)
    side = np.cross(d, n)
    # the trainee stands on the +side... pick the side facing the performer (+Z)
    if side[2] < 0:
        side = -side
    w, t = np.radians(work), np.radians(travel)
    u = np.cos(t) * (np.cos(w) * side + np.sin(w) * n) - np.sin(t) * d
    return -u


def _frames(keys, hands: tuple[str, ...] = ("right",)) -> tuple[Keyframe, ...]:
    """Keyframes from (time, wrists, angles, tools, phase) rows (one-hand rows may pass arrays)."""
    out = []
    for t, wrists, angles, tools, phase in keys:
        if not isinstance(wrists, dict):
            wrists, angles = {hands[0]: wrists}, {hands[0]: angles}
        out.append(Keyframe(t, wrists, angles, tools=tools, phase=phase))
    return tuple(out)


def _drift(rng: np.random.Generator | None, scale: float, n: int) -> np.ndarray:
    """Slow natural drift: one random value per keyframe (zeros without ``rng``)."""
    return np.zeros(n) if rng is None else rng.normal(0.0, scale, n)


def welding(scenario: Scenario, step: str, work: float = 45.0, travel: float = 10.0,
            ctwd: float = 0.010, speed: float = 0.006, tool: str = "torch",
            frame: str = "seam", hand_pose: str = "grasp",
            rng: np.random.Generator | None = None) -> Gesture:
    """Position (approach and pause) or weld (travel along the seam) with the torch.

    The torch is keyed as a free tool on its exact path (its tip on the seam
    at ``ctwd``, the angles held) with the hand placed on it by the grip: the
    simulator's per-keyframe wrist variation, right for hands, would swing a
    20 cm torch by several millimetres per keyframe. ``rng`` adds a welder's
    own slow variation instead (about 1.5 degrees, 0.7 mm).
    """
    seam = scenario.frames[frame]
    grip = _tool_grip(scenario, tool)
    fingers = HAND_POSES[hand_pose]
    d = seam.unit_direction
    up = np.array([0.0, 1.0, 0.0])
    length = float(seam.line_length)
    if step == "position":
        plan = [(0.0, 0.0, 0.12, "approach"), (1.0, 0.0, 0.03, "approach"),
                (1.6, 0.0, 0.0, "pause"), (2.6, 0.0, 0.0, "pause")]
    elif step == "weld":
        duration = length / speed
        n_keys = max(2, int(round(duration / 2.0)))
        plan = [(0.0, 0.0, 0.0, "start"), (0.5, 0.0, 0.0, "start")]
        plan += [(0.5 + duration * i / n_keys, length * i / n_keys, 0.0, "travel")
                 for i in range(1, n_keys + 1)]
        end = plan[-1][0]
        plan += [(end + 0.6, length, 0.0, "crater"), (end + 1.6, length, 0.10, "retract")]
    else:
        raise VrtrainerError(f"a seam weld has no part {step!r} (position or weld)")
    n = len(plan)
    dw, dt, dc = _drift(rng, 1.5, n), _drift(rng, 1.5, n), _drift(rng, 0.0007, n)
    keys = []
    for i, (t, s, lift, phase) in enumerate(plan):
        axis = torch_axis(d, seam.unit_normal, work + dw[i], travel + dt[i])
        tip = seam.origin + s * d - axis * (ctwd + dc[i] + lift)
        pose_ = _tool_pose_for_tip(scenario, tool, tip, axis, up)
        keys.append((t, wrist_for_tool(pose_, grip), fingers, {tool: pose_}, phase))
    return Gesture(f"welding-{step}", _frames(keys), ("right",), "Fillet weld with a MIG torch.")


# -- spray painting ----------------------------------------------------------------------


def painting(scenario: Scenario, distance: float = 0.20, tilt: float = 0.0,
             speed: float = 0.40, passes: int = 4, overlap: float = 0.5, fan: float = 0.15,
             tool: str = "gun", frame: str = "panel", hand_pose: str = "trigger",
             rng: np.random.Generator | None = None) -> Gesture:
    """Horizontal passes over the panel, top to bottom, turning beyond its edges.

    Passes are ``fan * (1 - overlap)`` apart; ``tilt`` swings the gun about the
    vertical (degrees) as a trainee who arcs from the wrist does.
    """
    panel = scenario.frames[frame]
    grip = _tool_grip(scenario, tool)
    fingers = HAND_POSES[hand_pose]
    n, u = panel.unit_normal, panel.unit_direction
    v = np.cross(n, u)
    width, height = panel.plane_size
    spacing = fan * (1.0 - overlap)
    top = (passes - 1) * spacing / 2
    overrun = 0.15
    xs = np.linspace(-width / 2 - overrun, width / 2 + overrun, 7)
    dt = (xs[1] - xs[0]) / speed
    plan: list[tuple[float, float, float, str]] = []
    t = 0.0
    plan.append((t, xs[0] - 0.1, top + 0.15, "approach"))
    t += 0.8
    for p in range(passes):
        row = xs if p % 2 == 0 else xs[::-1]
        for i, x in enumerate(row):
            plan.append((t, x, top - p * spacing, f"pass {p + 1}"))
            t += dt if i < len(row) - 1 else 0.5
    plan.append((t - 0.5 + 0.7, row[-1], top - (passes - 1) * spacing - 0.15, "away"))
    k = len(plan)
    dd, da = _drift(rng, 0.005, k), _drift(rng, 1.5, k)
    keys = []
    for i, (time, x, y, phase) in enumerate(plan):
        aim = Rotation.from_rotvec(np.radians(tilt + da[i]) * v).apply(-n)
        tip = panel.origin + x * u + y * v + n * (distance + dd[i])
        pose_ = _tool_pose_for_tip(scenario, tool, tip, aim, v)
        keys.append((time, wrist_for_tool(pose_, grip), fingers, {tool: pose_}, phase))
    return Gesture("spray-passes", _frames(keys), ("right",), "Spray passes over a panel.")


# -- CPR -----------------------------------------------------------------------------------


def cpr(scenario: Scenario, count: int = 30, rate: float = 110.0,
        depth: float = 0.055, leaning: float = 0.0, apart: float = 0.0, frame: str = "chest",
        rng: np.random.Generator | None = None) -> Gesture:
    """Stacked hands compressing the chest ``count`` times at ``rate`` per minute.

    The right hand's heel is on the chest, the left hand on top of it;
    ``leaning`` keeps the hands that far down at the top of each cycle
    (incomplete release: each compression still travels ``depth`` from there);
    ``apart`` shifts the top hand off the lower one.
    """
    chest = scenario.frames[frame]
    n = chest.unit_normal
    palm_down = oriented([0.0, 0.0, -1.0], n)  # fingers forward, back of the hand up
    lower = chest.origin + 0.025 * n  # palm joint of the hand in contact
    upper = lower + 0.03 * n + apart * chest.unit_direction
    to_wrist = np.array([0.0, 0.0, 0.048])  # palm joint to wrist, fingers along -Z

    def row(time: float, down: float, phase: str):
        wr = pose(lower - down * n + to_wrist, palm_down)
        wl = pose(upper - down * n + to_wrist, palm_down)
        return (time, {"right": wr, "left": wl}, {"right": FLAT, "left": CUP}, {}, phase)

    period = 60.0 / rate
    dd = _drift(rng, 0.002, count)
    keys = [row(0.0, 0.0, "place"), row(0.6, 0.0, "place")]
    t = 0.6
    for i in range(count):
        start = 0.0 if i == 0 else leaning
        keys.append(row(t + 0.5 * period, start + depth + dd[i], f"compression {i + 1}"))
        release = 0.0 if i == count - 1 else leaning
        keys.append(row(t + period, release, f"compression {i + 1}"))
        t += period
    keys.append(row(t + 0.5, -0.10, "lift"))
    return Gesture("cpr-compressions", _frames(keys, ("left", "right")), ("left", "right"),
                   "Chest compressions with stacked hands.")


# -- WHO hand rub --------------------------------------------------------------------------

#: The six rubbing steps of the WHO hand-rub technique, in order.
HAND_RUB_STEPS = ("palm-to-palm", "palm-over-back", "interlaced", "backs-of-fingers",
                  "thumbs", "fingertips")


def place_wrist(side: str, joint: str, target, fingers, palm_normal, angles) -> np.ndarray:
    """Wrist pose putting ``joint`` of a hand in pose ``angles`` at ``target``.

    The hand is oriented with its fingers along ``fingers`` and its palm facing
    ``palm_normal``; forward kinematics with the default hand size gives the
    joint's offset from the wrist.
    """

    q = oriented(fingers, -np.asarray(palm_normal, dtype=np.float64))
    joints = pose_hand(HandShape.from_length(), pose(np.zeros(3), q), angles, side=side)
    return pose(np.asarray(target) - joints[JOINT_INDEX[joint], :3], q)


def joint_at(side: str, wrist, angles, joint: str) -> np.ndarray:
    """World position of ``joint`` of a hand at ``wrist`` in pose ``angles``."""

    return pose_hand(HandShape.from_length(), wrist, angles, side=side)[JOINT_INDEX[joint], :3]


def _spin(vec, axis, degrees: float) -> np.ndarray:
    return Rotation.from_rotvec(np.radians(degrees) * _unit(axis)).apply(vec)


def hand_rub(scenario: Scenario, step: str, strokes: int = 10, stroke_time: float = 0.42,
             one_sided: bool = False, rng: np.random.Generator | None = None) -> Gesture:
    """One WHO hand-rub step with both hands: back-and-forth or rotational rubbing.

    The hands meet in front of the chest; two-sided steps (palm over back,
    thumbs, fingertips) do half the strokes one way round, then the other -
    unless ``one_sided``, the fault of forgetting the "vice versa".
    """
    if step not in HAND_RUB_STEPS:
        raise VrtrainerError(f"the hand rub has no step {step!r}")
    c = np.array([0.0, 1.05, -0.30])
    x, y, z = np.eye(3)
    up_fwd = _unit([0.0, 0.6, -1.0])
    rows = []

    def key(t, wl, wr, al, ar, phase):
        rows.append((t, {"left": wl, "right": wr}, {"left": al, "right": ar}, {}, phase))

    def strokes_of(n, t0, phase, build):
        for i in range(n):
            build(t0 + i * stroke_time, 1 if i % 2 == 0 else -1, phase)
        return t0 + n * stroke_time

    if step in ("palm-to-palm", "interlaced"):
        ang = FLAT if step == "palm-to-palm" else SPREAD
        lateral = 0.0 if step == "palm-to-palm" else 0.009

        def build(t, s, phase):
            d = 0.02 * s * up_fwd
            key(t, place_wrist("left", "palm", c - 0.016 * x - d + lateral * y, up_fwd, x, ang),
                place_wrist("right", "palm", c + 0.016 * x + d, up_fwd, -x, ang), ang, ang, phase)
        strokes_of(strokes, 0.0, step, build)
    elif step == "palm-over-back":
        def build_on(top):
            def build(t, s, phase):
                d = 0.02 * s * z
                bottom = "left" if top == "right" else "right"
                pos = {top: c + 0.027 * y + d, bottom: c - d}
                lat = {"left": -0.008 * x, "right": 0.008 * x}
                key(t, place_wrist("left", "palm", pos["left"] + lat["left"], -z, -y, SPREAD),
                    place_wrist("right", "palm", pos["right"] + lat["right"], -z, -y, SPREAD),
                    SPREAD, SPREAD, phase)
            return build
        t = strokes_of(strokes // 2, 0.0, "right over left", build_on("right"))
        strokes_of(strokes // 2, t + 0.4, "left over right", build_on("right" if one_sided
                                                                     else "left"))
    elif step == "backs-of-fingers":
        def build(t, s, phase):
            d = 0.015 * s * z
            # right palm down, fingers to the left, hooked into the upturned left palm
            wr = place_wrist("right", "middle_intermediate", c + 0.022 * y + d, -x, -y, HOOK)
            wl = place_wrist("left", "palm", c - d, x, y, HOOK)
            key(t, wl, wr, HOOK, HOOK, phase)
        strokes_of(strokes, 0.0, step, build)
    elif step == "thumbs":
        def build_on(held):
            def build(t, s, phase):
                turn = 30.0 * s
                if held == "left":  # left thumb up, clasped in the right palm
                    wl = place_wrist("left", "palm", c - 0.03 * x, -z, x, FLAT)
                    thumb = joint_at("left", wl, FLAT, "thumb_proximal")
                    wr = place_wrist("right", "palm", thumb + _spin(0.022 * x, y, turn),
                                     _spin(-z, y, turn), _spin(-x, y, turn), CUP)
                else:
                    wr = place_wrist("right", "palm", c + 0.03 * x, -z, -x, FLAT)
                    thumb = joint_at("right", wr, FLAT, "thumb_proximal")
                    wl = place_wrist("left", "palm", thumb + _spin(-0.022 * x, y, turn),
                                     _spin(-z, y, turn), _spin(x, y, turn), CUP)
                key(t, wl, wr, FLAT if held == "left" else CUP,
                    CUP if held == "left" else FLAT, phase)
            return build
        t = strokes_of(strokes // 2, 0.0, "left thumb", build_on("left"))
        strokes_of(strokes // 2, t + 0.4, "right thumb", build_on("left" if one_sided
                                                                 else "right"))
    else:  # fingertips, rotational in the other palm
        def build_on(inner):
            def build(t, s, phase):
                circle = 0.012 * (np.cos(np.pi * t / stroke_time) * x
                                  + np.sin(np.pi * t / stroke_time) * z)
                if inner == "right":
                    wl = place_wrist("left", "palm", c, -z, y, CUP)
                    wr = place_wrist("right", "middle_tip", c + 0.02 * y + circle, -y, z, BUNCHED)
                    key(t, wl, wr, CUP, BUNCHED, phase)
                else:
                    wr = place_wrist("right", "palm", c, -z, y, CUP)
                    wl = place_wrist("left", "middle_tip", c + 0.02 * y + circle, -y, z, BUNCHED)
                    key(t, wl, wr, BUNCHED, CUP, phase)
            return build
        t = strokes_of(strokes // 2, 0.0, "right fingertips", build_on("right"))
        strokes_of(strokes // 2, t + 0.4, "left fingertips", build_on("right" if one_sided
                                                                      else "left"))
    return Gesture(f"hand-rub-{step}", _frames(rows, ("left", "right")), ("left", "right"),
                   f"WHO hand rub: {step}.")



# -- a tool on a declared path --------------------------------------------------------------


def _frame_axes(frame: WorkFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(u, v, n): the frame's direction, its side (n x u) and its normal."""
    n = _unit(frame.unit_normal)
    u = _unit(frame.unit_direction)
    return u, np.cross(n, u), n


def _path_rows(path: list[dict[str, Any]], skip: tuple[str, ...]) -> list[dict[str, Any]]:
    """The path's keys without the phases in ``skip``, later keys moved earlier to close the gap."""
    rows: list[dict[str, Any]] = []
    shift = 0.0
    for i, key in enumerate(path):
        if key.get("phase", "") in skip:
            nxt = path[i + 1]["t"] if i + 1 < len(path) else key["t"]
            shift += nxt - key["t"]
            continue
        rows.append({**key, "t": key["t"] - shift})
    return rows


def tool_path(scenario: Scenario, tool: str, frame: str, path: list[dict[str, Any]],
              hand_pose: str = "grasp", roll_scale: float = 1.0, tilt_offset: float = 0.0,
              skip_phases: tuple[str, ...] = (), rng: np.random.Generator | None = None
              ) -> Gesture:
    """A held tool whose tip follows keyed points of a work frame, turning and tilting.

    Each key of ``path`` gives its time ``t`` (s), the tip's place ``at`` in the frame
    (metres along its direction, its side n x direction, its normal), and optionally
    ``tilt`` (degrees from the frame's inward normal towards its direction), ``roll``
    (degrees about the tool's axis, clockwise seen from the handle), ``grip_roll``
    (the hand's roll when it differs from the tool's: regripping a screwdriver),
    ``pose`` (a hand pose name) and ``phase``. ``roll_scale`` -1 turns the other way
    (a fault); ``skip_phases`` leaves phases out (a skipped gesture). ``rng`` adds a
    performer's slow variation (0.5 mm, 1 degree of tilt, 3 degrees of roll).
    """
    work = scenario.frames[frame]
    grip = _tool_grip(scenario, tool)
    u, v, n = _frame_axes(work)
    rows = _path_rows(path, tuple(skip_phases))
    if len(rows) < 2:
        raise VrtrainerError(f"tool path of {scenario.id} has fewer than two keys left")
    k = len(rows)
    dp, dtilt, droll = _drift(rng, 0.0005, 3 * k).reshape(k, 3), _drift(rng, 1.0, k), \
        _drift(rng, 3.0, k)
    keys = []
    for i, key in enumerate(rows):
        tilt = np.radians(float(key.get("tilt", 0.0)) + tilt_offset + dtilt[i])
        axis = -np.cos(tilt) * n + np.sin(tilt) * u
        at = np.asarray(key["at"], dtype=np.float64) + dp[i]
        tip = work.origin + at[0] * u + at[1] * v + at[2] * n
        roll = roll_scale * float(key.get("roll", 0.0)) + droll[i]
        grip_roll = roll_scale * float(key.get("grip_roll", key.get("roll", 0.0))) + droll[i]
        pose_ = _tool_pose_for_tip(scenario, tool, tip, axis, _spin(v, axis, roll))
        held = _tool_pose_for_tip(scenario, tool, tip, axis, _spin(v, axis, grip_roll))
        fingers = HAND_POSES[key.get("pose", hand_pose)]
        keys.append((float(key["t"]), wrist_for_tool(held, grip), fingers, {tool: pose_},
                     key.get("phase", "")))
    return Gesture(f"{scenario.id}-{tool}-path", _frames(keys, (grip.hand,)), (grip.hand,),
                   f"{tool} on a path over {frame}.")


# -- the registry packs name -------------------------------------------------------------

#: Bound of a builder's numbers unless it says less (the loader's cap on any number).
MAX_PARAM = 1e6

#: Hand poses (finger angles) a pack may name, for a whole motion or one key of a path.
HAND_POSES: dict[str, np.ndarray] = {
    "grasp": GRASP, "trigger": TRIGGER, "flat": FLAT, "spread": SPREAD, "hook": HOOK,
    "cup": CUP, "bunched": BUNCHED, "relaxed": RELAXED,
    "loose-grasp": 0.45 * GRASP,
}


@dataclass(frozen=True)
class Param:
    """One parameter of a motion builder: its kind, default (None: required) and bounds.

    Kinds: 'number', 'count' (a whole number), 'flag', 'choice' (one of ``choices``),
    'tool' / 'frame' (a name the pack declares), 'pose' (a :data:`HAND_POSES` name),
    'phases' (a list of phase names), 'path' (keys of :func:`tool_path`).
    """

    kind: str
    default: Any = None
    low: float = -MAX_PARAM
    high: float = MAX_PARAM
    choices: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class MotionBuilder:
    """A generic motion a pack names in ``[motion] builder``: its parameters and its function."""

    name: str
    build: Callable[..., Gesture]
    params: dict[str, Param]
    help: str
    by_step: tuple[str, ...] = ()


def _w(scenario: Scenario, part: str, rng=None, **kw) -> Gesture:
    return welding(scenario, part, rng=rng, **kw)


def _rub(scenario: Scenario, rub: str, rng=None, **kw) -> Gesture:
    return hand_rub(scenario, rub, rng=rng, **kw)


#: The motion builders packs may name: builder name -> :class:`MotionBuilder`.
MOTION_BUILDERS: dict[str, MotionBuilder] = {b.name: b for b in (
    MotionBuilder("seam_weld", _w, {
        "part": Param("choice", choices=("position", "weld"),
                      help="approach and pause at the seam's start, or travel along it"),
        "tool": Param("tool"), "frame": Param("frame"),
        "hand_pose": Param("pose", "grasp"),
        "work": Param("number", 45.0, -90.0, 90.0, help="work angle, degrees"),
        "travel": Param("number", 10.0, -60.0, 60.0, help="travel angle (push > 0), degrees"),
        "ctwd": Param("number", 0.010, 0.0, 0.2, help="tip to work distance, metres"),
        "speed": Param("number", 0.006, 1e-4, 1.0, help="travel speed, m/s"),
    }, "A tool along a line frame at a work and a travel angle (a weld seam).", ("part",)),
    MotionBuilder("spray_passes", painting, {
        "tool": Param("tool"), "frame": Param("frame"),
        "hand_pose": Param("pose", "trigger"),
        "distance": Param("number", 0.20, 0.0, 2.0, help="tip to plane distance, metres"),
        "tilt": Param("number", 0.0, -90.0, 90.0, help="swing about the vertical, degrees"),
        "speed": Param("number", 0.40, 0.01, 5.0, help="pass speed, m/s"),
        "passes": Param("count", 4, 1, 50, help="passes, top to bottom"),
        "overlap": Param("number", 0.5, 0.0, 0.95, help="share of the fan each pass overlaps"),
        "fan": Param("number", 0.15, 0.01, 2.0, help="fan width on the plane, metres"),
    }, "Horizontal passes over a plane frame, turning beyond its edges (spraying)."),
    MotionBuilder("chest_compressions", cpr, {
        "frame": Param("frame"),
        "count": Param("count", 30, 1, 500, help="compressions"),
        "rate": Param("number", 110.0, 10.0, 400.0, help="per minute"),
        "depth": Param("number", 0.055, 0.0, 0.3, help="metres"),
        "leaning": Param("number", 0.0, 0.0, 0.1, help="depth kept at the top, metres"),
        "apart": Param("number", 0.0, -0.3, 0.3, help="top hand's shift off the lower, metres"),
    }, "Stacked hands pressing a frame along its normal, periodically (CPR)."),
    MotionBuilder("hand_rub", _rub, {
        "rub": Param("choice", choices=HAND_RUB_STEPS, help="which rubbing gesture"),
        "strokes": Param("count", 10, 2, 200, help="strokes"),
        "stroke_time": Param("number", 0.42, 0.05, 5.0, help="seconds per stroke"),
        "one_sided": Param("flag", False, help="forget the 'vice versa' half"),
    }, "The WHO hand-rub gestures with both hands, named by gesture.", ("rub",)),
    MotionBuilder("tool_path", tool_path, {
        "tool": Param("tool"), "frame": Param("frame"),
        "path": Param("path", help="keys: t, at, tilt, roll, grip_roll, pose, phase"),
        "hand_pose": Param("pose", "grasp"),
        "roll_scale": Param("number", 1.0, -2.0, 2.0, help="turn factor (-1: the wrong way)"),
        "tilt_offset": Param("number", 0.0, -90.0, 90.0, help="extra tilt, degrees"),
        "skip_phases": Param("phases", (), help="phases left out"),
    }, "A held tool keyed on a frame: place, tilt and turns over time.", ("path",)),
)}

#: Most keys in a tool path.
MAX_PARAM_KEYS = 512
_KEY_FIELDS = {"t", "at", "tilt", "roll", "grip_roll", "pose", "phase"}


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_path(value: Any, where: str) -> list[str]:
    """Problems of a tool path's keys (types, fields, increasing times, turns under 180°)."""
    if not isinstance(value, list) or not 2 <= len(value) <= MAX_PARAM_KEYS:
        return [f"{where}: a path is a list of 2 to {MAX_PARAM_KEYS} keys"]
    out: list[str] = []
    last_t = -1.0
    last_roll: dict[str, float] = {}
    for i, key in enumerate(value):
        at = f"{where}[{i}]"
        if not isinstance(key, dict):
            out.append(f"{at}: a key is a table {{ t = ..., at = [...] }}")
            continue
        for name in sorted(set(key) - _KEY_FIELDS):
            out.append(f"{at}: unknown field {name!r} (known: {', '.join(sorted(_KEY_FIELDS))})")
        t = key.get("t")
        if not _number(t) or t < 0:
            out.append(f"{at}.t: a time in seconds >= 0 is required")
        elif t <= last_t:
            out.append(f"{at}.t: times must increase ({t:g} after {last_t:g})")
        else:
            last_t = float(t)
        p = key.get("at")
        if not (isinstance(p, list) and len(p) == 3
                and all(_number(x) and abs(x) <= 10 for x in p)):
            out.append(f"{at}.at: three numbers (metres along direction, side, normal) within 10 m")
        if "tilt" in key and not (_number(key["tilt"]) and -89.0 <= key["tilt"] <= 89.0):
            out.append(f"{at}.tilt: degrees within -89 to 89")
        for name in ("roll", "grip_roll"):
            if name not in key and not (name == "grip_roll" and "roll" in key):
                continue
            r = key.get(name, key.get("roll"))
            if not (_number(r) and abs(r) <= 36000):
                out.append(f"{at}.{name}: degrees within +-36000")
                continue
            prev = last_roll.get(name, 0.0)
            if abs(r - prev) >= 179.0:
                out.append(f"{at}.{name}: turns {r - prev:g}° from the key before; "
                           "keep each turn under 179° (add keys) so its way is unambiguous")
            last_roll[name] = float(r)
        if "pose" in key and key["pose"] not in HAND_POSES:
            out.append(f"{at}.pose: unknown hand pose {key['pose']!r} "
                       f"(known: {', '.join(HAND_POSES)})")
        if "phase" in key and not (isinstance(key["phase"], str) and len(key["phase"]) <= 64):
            out.append(f"{at}.phase: a name of at most 64 characters")
    return out


def _check_param(name: str, spec: Param, value: Any, scenario: Scenario, where: str) -> list[str]:
    at = f"{where}.{name}"
    kind = spec.kind
    if kind in ("number", "count"):
        if not _number(value) or (kind == "count" and float(value) != int(value)):
            return [f"{at}: {'a whole number' if kind == 'count' else 'a number'} is required"]
        if not spec.low <= value <= spec.high:
            return [f"{at}: {value:g} is outside {spec.low:g} to {spec.high:g}"]
        return []
    if kind == "flag":
        return [] if isinstance(value, bool) else [f"{at}: true or false is required"]
    if kind == "choice":
        return [] if value in spec.choices else [
            f"{at}: {value!r} is not one of {', '.join(spec.choices)}"]
    if kind == "pose":
        return [] if value in HAND_POSES else [
            f"{at}: unknown hand pose {value!r} (known: {', '.join(HAND_POSES)})"]
    if kind == "phases":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        return [] if ok else [f"{at}: a list of phase names is required"]
    if kind == "path":
        return _check_path(value, at)
    if kind == "tool":
        if not any(t.name == value for t in scenario.tools):
            return [f"{at}: no tool named {value!r} in scene.tools"]
        if scenario.tool(value).holder_hand("right") is None:
            return [f"{at}: tool {value!r} is held by a controller; simulated hands cannot hold it"]
        return []
    # frame
    frame = scenario.frames.get(value) if isinstance(value, str) else None
    if frame is None:
        return [f"{at}: no frame named {value!r} in scene.frames"]
    if frame.normal is None or frame.direction is None:
        return [f"{at}: frame {value!r} needs a normal and a direction"]
    return []


def motion_params(scenario: Scenario, step: Step, fault: str | None = None
                  ) -> tuple[MotionBuilder, dict[str, Any]]:
    """The builder and its checked parameters for ``step``: pack, then step, then fault.

    Raises :class:`VrtrainerError` naming every problem (unknown builder, parameter,
    fault, a value of the wrong type or out of bounds, a missing required value).
    """
    spec = scenario.motion
    if spec is None:
        raise VrtrainerError(f"scenario {scenario.id!r} declares no simulated motion "
                             "([motion] in its scenario.toml)")
    builder = MOTION_BUILDERS.get(spec.builder)
    if builder is None:
        raise VrtrainerError(f"scenario {scenario.id!r}: unknown motion builder "
                             f"{spec.builder!r} (known: {', '.join(MOTION_BUILDERS)})")
    layers = [("motion.params", spec.params), (f"steps.{step.id}.motion", step.motion)]
    if fault is not None:
        if fault not in spec.faults:
            raise VrtrainerError(f"unknown fault {fault!r} for {scenario.id}; known: "
                                 f"{', '.join(spec.faults) or 'none'}")
        layers.append((f"motion.faults.{fault}", spec.faults[fault]))
    values: dict[str, Any] = {}
    where: dict[str, str] = {}
    problems: list[str] = []
    for origin, table in layers:
        for name, value in table.items():
            if name not in builder.params:
                problems.append(f"{origin}.{name}: {builder.name} has no parameter {name!r} "
                                f"(known: {', '.join(builder.params)})")
                continue
            values[name], where[name] = value, origin
    for name, p in builder.params.items():
        if name not in values:
            if p.default is None:
                problems.append(f"{scenario.id}/{step.id}: {builder.name} needs {name!r}"
                                + (" (per step)" if name in builder.by_step else ""))
            continue
        problems += _check_param(name, p, values[name], scenario, where[name])
    if problems:
        raise VrtrainerError(f"simulated motion of {scenario.id}: " + "; ".join(problems))
    out = {k: int(v) if builder.params[k].kind == "count" else v for k, v in values.items()}
    return builder, out


def check_motion(scenario: Scenario) -> list[str]:
    """Every problem of a pack's declared motion, for each step and each fault ([] if none)."""
    if scenario.motion is None:
        return []
    problems: list[str] = []
    for fault in (None, *scenario.motion.faults):
        for step in scenario.steps:
            try:
                motion_params(scenario, step, fault)
            except VrtrainerError as exc:
                text = str(exc)
                if text not in problems:
                    problems.append(text)
    return problems


def step_gesture(scenario: Scenario, step: str, fault: str | None = None,
                 variation: int | None = None) -> Gesture:
    """The expert gesture of ``step`` as its pack declares it, or one with a declared ``fault``.

    The pack's ``[motion]`` names a builder of :data:`MOTION_BUILDERS` and its
    parameters; a step's ``motion`` table and then the fault's override them.
    ``variation`` seeds the performer's own slow variation (None: the nominal motion).
    """
    found = [s for s in scenario.steps if s.id == step]
    if not found:
        raise VrtrainerError(f"{scenario.id} has no step {step!r}")
    builder, params = motion_params(scenario, found[0], fault)
    rng = None if variation is None else np.random.default_rng([variation, 7])
    return builder.build(scenario, rng=rng, **params)
