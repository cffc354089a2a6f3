"""Keyframed expert motions of the bundled trade scenarios, and their typical faults.

Each function builds :class:`vrtrainer.hands.gestures.Gesture` keyframes for one step
of a scenario from the scenario's own geometry (seam, panel, chest, tool grip),
so that the simulator's takes sit exactly where the pack's metrics measure.
Expert values follow the trade figures cited in each pack's scenario.toml;
faults are the same motion with one trade error (a wrong angle, too shallow
compressions...), for tests and demonstrations. Simulator flaws (fast, slow,
skip-phase...) apply on top of either.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.spatial.transform import Rotation

from vrtrainer.errors import VrtrainerError
from vrtrainer.hands.gestures import Gesture, Grip, Keyframe, wrist_for_tool
from vrtrainer.hands.hand import JOINT_INDEX
from vrtrainer.hands.kinematics import HandShape, finger_angles, pose_hand
from vrtrainer.scenario.model import Scenario

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
            ctwd: float = 0.010, speed: float = 0.006,
            rng: np.random.Generator | None = None) -> Gesture:
    """Position (approach and pause) or weld (travel along the seam) with the torch.

    The torch is keyed as a free tool on its exact path (its tip on the seam
    at ``ctwd``, the angles held) with the hand placed on it by the grip: the
    simulator's per-keyframe wrist variation, right for hands, would swing a
    20 cm torch by several millimetres per keyframe. ``rng`` adds a welder's
    own slow variation instead (about 1.5 degrees, 0.7 mm).
    """
    seam = scenario.frames["seam"]
    grip = _tool_grip(scenario, "torch")
    d = seam.direction
    up = np.array([0.0, 1.0, 0.0])
    length = float(seam.length)
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
        raise VrtrainerError(f"welding has no step {step!r}")
    n = len(plan)
    dw, dt, dc = _drift(rng, 1.5, n), _drift(rng, 1.5, n), _drift(rng, 0.0007, n)
    keys = []
    for i, (t, s, lift, phase) in enumerate(plan):
        axis = torch_axis(d, seam.normal, work + dw[i], travel + dt[i])
        tip = seam.origin + s * d - axis * (ctwd + dc[i] + lift)
        tool = _tool_pose_for_tip(scenario, "torch", tip, axis, up)
        keys.append((t, wrist_for_tool(tool, grip), GRASP, {"torch": tool}, phase))
    return Gesture(f"welding-{step}", _frames(keys), ("right",), "Fillet weld with a MIG torch.")


# -- spray painting ----------------------------------------------------------------------


def painting(scenario: Scenario, step: str, distance: float = 0.20, tilt: float = 0.0,
             speed: float = 0.40, passes: int = 4, overlap: float = 0.5, fan: float = 0.15,
             rng: np.random.Generator | None = None) -> Gesture:
    """Horizontal passes over the panel, top to bottom, turning beyond its edges.

    Passes are ``fan * (1 - overlap)`` apart; ``tilt`` swings the gun about the
    vertical (degrees) as a trainee who arcs from the wrist does.
    """
    if step != "passes":
        raise VrtrainerError(f"spray-panel has no step {step!r}")
    panel = scenario.frames["panel"]
    grip = _tool_grip(scenario, "gun")
    n, u = panel.normal, panel.direction
    v = np.cross(n, u)
    width, height = panel.size
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
        tool = _tool_pose_for_tip(scenario, "gun", tip, aim, v)
        keys.append((time, wrist_for_tool(tool, grip), TRIGGER, {"gun": tool}, phase))
    return Gesture("spray-passes", _frames(keys), ("right",), "Spray passes over a panel.")


# -- CPR -----------------------------------------------------------------------------------


def cpr(scenario: Scenario, step: str, count: int = 30, rate: float = 110.0,
        depth: float = 0.055, leaning: float = 0.0, apart: float = 0.0,
        rng: np.random.Generator | None = None) -> Gesture:
    """Stacked hands compressing the chest ``count`` times at ``rate`` per minute.

    The right hand's heel is on the chest, the left hand on top of it;
    ``leaning`` keeps the hands that far down at the top of each cycle
    (incomplete release: each compression still travels ``depth`` from there);
    ``apart`` shifts the top hand off the lower one.
    """
    if step != "compressions":
        raise VrtrainerError(f"cpr-compressions has no step {step!r}")
    chest = scenario.frames["chest"]
    n = chest.normal
    palm_down = oriented([0.0, 0.0, -1.0], n)  # fingers forward, back of the hand up
    lower = chest.origin + 0.025 * n  # palm joint of the hand in contact
    upper = lower + 0.03 * n + apart * chest.direction
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
        raise VrtrainerError(f"hand-rub has no step {step!r}")
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


#: Motion builders by scenario id: builder(scenario, step_id, **fault) -> Gesture.
BUILDERS: dict[str, Callable[..., Gesture]] = {
    "welding-fillet": welding,
    "spray-panel": painting,
    "cpr-compressions": cpr,
    "hand-rub": hand_rub,
}

#: Typical faults per scenario: name -> keyword arguments of the builder.
FAULTS: dict[str, dict[str, dict[str, float]]] = {
    "welding-fillet": {
        "work-angle-high": {"work": 70.0},
        "drag": {"travel": -10.0},
        "too-far": {"ctwd": 0.025},
    },
    "spray-panel": {
        "tilted": {"tilt": 25.0},
        "too-close": {"distance": 0.10},
        "too-far": {"distance": 0.32},
        "wide-passes": {"overlap": 0.1},
    },
    "hand-rub": {
        "one-sided": {"one_sided": True},
        "too-short": {"strokes": 4},
    },
    "cpr-compressions": {
        "shallow": {"depth": 0.035},
        "leaning": {"leaning": 0.015},
        "hands-apart": {"apart": 0.06},
    },
}


def step_gesture(scenario: Scenario, step: str, fault: str | None = None,
                 variation: int | None = None) -> Gesture:
    """The expert gesture of ``step`` of a bundled scenario, or one with a typical ``fault``.

    ``variation`` seeds the performer's own slow variation of tool-held motion
    (None: the nominal motion).
    """
    builder = BUILDERS.get(scenario.id)
    if builder is None:
        raise VrtrainerError(f"no simulated motion for scenario {scenario.id!r}")
    kwargs = {}
    if fault is not None:
        faults = FAULTS.get(scenario.id, {})
        if fault not in faults:
            raise VrtrainerError(
                f"unknown fault {fault!r} for {scenario.id}; known: {', '.join(faults)}"
            )
        kwargs = faults[fault]
    rng = None if variation is None else np.random.default_rng([variation, 7])
    return builder(scenario, step, rng=rng, **kwargs)
