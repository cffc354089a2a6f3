"""Simulated hands: takes of a gesture by a synthetic expert or a flawed trainee.

:func:`simulate` turns a :class:`~vrtrainer.hands.gestures.Gesture` into a
:class:`~vrtrainer.takes.take.Take`: it varies the keyframes as a person does from one
take to the next, applies the requested trainee flaws, interpolates at the
requested rate and runs the hand model's forward kinematics, producing
OpenXR-conformant joint poses, radii and location flags.

Everything random comes from ``numpy.random.default_rng`` seeded by ``seed``
alone, one independent stream per concern, so a take is bit-identical for a
given seed and a trainee's take differs from the expert's with the same seed
only by its flaws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from vrtrainer.errors import VrtrainerError
from vrtrainer.hands.gestures import (
    GESTURES,
    Gesture,
    Grip,
    KeyArrays,
    Keyframe,
    interpolate,
    interpolate_poses,
    pack,
    wrist_for_tool,
)
from vrtrainer.hands.hand import (
    FINGER_NAMES,
    FINGERS,
    FULLY_TRACKED,
    HAND_COUNT,
    HAND_NAMES,
    JOINT_COUNT,
    POSE_SIZE,
    mirror_poses,
)
from vrtrainer.hands.kinematics import (
    DEFAULT_HAND_LENGTH,
    HandShape,
    clip_angles,
    compose_poses,
    finger_angles,
    orientation,
    pose_hand,
)
from vrtrainer.takes.take import Take, TakeMeta

__all__ = [
    "FLAW_NAMES", "GESTURES", "Flaw", "Gesture", "Grip", "HandShape", "Keyframe",
    "finger_angles", "orientation", "parse_flaw", "pose_hand", "simulate", "wrist_for_tool",
]

# name: (default amount or None if the flaw takes no amount, lowest, highest, unit)
_FLAW_SPECS: dict[str, tuple[float | None, float, float, str]] = {
    "slow": (1.5, 1.0, 5.0, "tempo factor > 1"),
    "fast": (1.5, 1.0, 3.0, "tempo factor > 1"),
    "warp": (0.3, 0.0, 1.0, "warp amount in (0, 1]"),
    "jitter": (5.0, 0.0, 50.0, "millimetres"),
    "dropout": (0.1, 0.0, 0.9, "fraction of joint samples"),
    "wrong-finger": (40.0, 5.0, 90.0, "degrees"),
    "skip-phase": (None, 0.0, 0.0, ""),
    "tremor": (3.0, 0.0, 30.0, "millimetres"),
    "hand-size": (1.2, 0.6, 1.5, "scale of hand length"),
    "mirror": (None, 0.0, 0.0, ""),
}
#: Flaw names as the CLI spells them.
FLAW_NAMES: tuple[str, ...] = tuple(_FLAW_SPECS)
ROLES = ("expert", "trainee")
MAX_RATE = 1000.0


@dataclass(frozen=True)
class Flaw:
    """A trainee flaw and its amount (``None`` picks the default for flaws that have one)."""

    name: str
    amount: float | None = None

    def __post_init__(self) -> None:
        if self.name not in _FLAW_SPECS:
            raise VrtrainerError(
                f"unknown flaw {self.name!r}; known flaws: {', '.join(FLAW_NAMES)}"
            )
        default, low, high, unit = _FLAW_SPECS[self.name]
        if default is None:
            if self.amount is not None:
                raise VrtrainerError(f"flaw {self.name!r} takes no amount")
            return
        amount = default if self.amount is None else self.amount
        if isinstance(amount, bool) or not isinstance(amount, (int, float)):
            raise VrtrainerError(f"flaw {self.name!r}: amount {amount!r} is not a number")
        amount = float(amount)
        low_ok = amount > low if self.name not in ("wrong-finger", "hand-size") else amount >= low
        if not (np.isfinite(amount) and low_ok and amount <= high):
            raise VrtrainerError(
                f"flaw {self.name!r}: amount {amount:g} is outside {low:g}-{high:g} ({unit})"
            )
        object.__setattr__(self, "amount", amount)

    def __str__(self) -> str:
        return self.name if self.amount is None else f"{self.name}={self.amount:g}"

    @property
    def size(self) -> float:
        """The amount of a flaw that has one (checked, the default filled in)."""
        if self.amount is None:
            raise VrtrainerError(f"flaw {self.name!r} has no amount")
        return self.amount


def parse_flaw(text: str) -> Flaw:
    """A flaw from its CLI spelling, ``NAME`` or ``NAME=AMOUNT`` (e.g. ``slow=1.5``)."""
    name, sep, value = str(text).strip().partition("=")
    name = name.strip().lower()
    if not sep:
        return Flaw(name)
    try:
        amount = float(value)
    except ValueError:
        raise VrtrainerError(f"flaw {text!r}: {value!r} is not a number") from None
    return Flaw(name, amount)


_STREAMS = ("natural", "head", *FLAW_NAMES)


def _stream(seed: int, name: str) -> np.random.Generator:
    """An independent random stream for one concern (natural variation, a flaw) of a take."""
    return np.random.default_rng([seed, _STREAMS.index(name)])


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * x * (10 - 15 * x + 6 * x * x)


# --- natural variation and keyframe-level flaws ------------------------------

def _vary(keys: KeyArrays, rng: np.random.Generator) -> KeyArrays:
    """Take-to-take human variation: timing, amplitude, wrist path, finger angles."""
    k = keys.times.shape[0]
    out = keys.copy()
    dt = np.diff(keys.times) * np.exp(rng.normal(0.0, 0.05, k - 1))
    out.times = np.concatenate([[0.0], np.cumsum(dt)]) * np.exp(rng.normal(0.0, 0.03))
    # The path is scaled about, and shifted with, the hands' common starting
    # point, mostly alike for both hands, so that two hands that meet (a clap,
    # stacked hands) still meet; fingers vary by a few degrees, so a pinch
    # still closes.
    centre = keys.wrists[0, keys.used, :3].mean(axis=0)
    amplitude = np.exp(rng.normal(0.0, 0.04))
    common = rng.normal(0.0, 0.003, (k, 1, 3)) + rng.normal(0.0, 0.004, 3)
    own = rng.normal(0.0, 0.001, (k, HAND_COUNT, 3))
    out.wrists[..., :3] = centre + (keys.wrists[..., :3] - centre) * amplitude + common + own
    wobble = Rotation.from_rotvec(np.radians(rng.normal(0.0, 2.0, (k * HAND_COUNT, 3))))
    q = Rotation.from_quat(keys.wrists[..., 3:].reshape(-1, 4)) * wobble
    out.wrists[..., 3:] = q.as_quat().reshape(k, HAND_COUNT, 4)
    offsets = rng.normal(0.0, 1.5, keys.angles.shape) + rng.normal(0.0, 1.0, keys.angles.shape[1:])
    out.angles = clip_angles(keys.angles + offsets)
    return out


def _skip_phase(gesture: Gesture, keys: KeyArrays, rng: np.random.Generator) -> tuple:
    """Drop one interior phase's keyframes and the time spent reaching them."""
    phases = gesture.phases()
    last = len(gesture.keyframes) - 1
    interior = [(label, idx) for label, idx in phases if 0 not in idx and last not in idx]
    if not interior:
        raise VrtrainerError(f"gesture {gesture.name!r} has no interior phase to skip")
    label, idx = interior[int(rng.integers(len(interior)))]
    before, after = idx[0] - 1, idx[-1] + 1
    kept = np.array([i for i in range(len(gesture.keyframes)) if i not in idx])
    out = keys.take(kept)
    removed = keys.times[idx[-1]] - keys.times[before]
    out.times = np.where(kept >= after, keys.times[kept] - removed, keys.times[kept])
    detail = {"phase": label, "keyframes": [int(i) for i in idx],
              "seconds_removed": round(float(removed), 4)}
    return out, detail


def _warp(tau: np.ndarray, duration: float, amount: float, rng: np.random.Generator):
    """Gesture time at output times ``tau``: a smooth, strictly monotone warp of [0, D]."""
    u = np.linspace(0.0, 1.0, 2001)
    log_speed = np.zeros_like(u)
    for harmonic in (1, 2, 3):
        log_speed += rng.normal(0.0, 1.0 / harmonic) * np.sin(
            2 * np.pi * harmonic * u + rng.uniform(0, 2 * np.pi)
        )
    log_speed *= amount / max(np.max(np.abs(log_speed)), 1e-9)
    speed = np.exp(log_speed)
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (speed[1:] + speed[:-1]))])
    t_of_u = duration * cum / cum[-1]
    return np.interp(tau / duration, u, t_of_u), {"max_speed_ratio": round(float(
        np.max(speed) / np.min(speed)), 3)}


def _wrong_finger(angles, used, tau, degrees, rng):
    """Hold one finger of one used hand in a wrong pose over part of the gesture."""
    hands = np.flatnonzero(used)
    hand = int(hands[rng.integers(len(hands))])
    finger = int(rng.integers(5))
    duration = tau[-1]
    start = rng.uniform(0.2, 0.45) * duration
    end = min(start + rng.uniform(0.3, 0.45) * duration, 0.95 * duration)
    ramp = min(0.15, 0.25 * (end - start))
    weight = _smoothstep((tau - start) / ramp) * _smoothstep((end - tau) / ramp)
    window = (tau >= start) & (tau <= end)
    curl = angles[window, hand, finger, :3].sum(axis=1).mean()
    sign = -1.0 if curl > 90.0 else 1.0
    profile = np.array([0.6, 1.0, 1.0, 0.0]) if finger == 0 else np.array([1.0, 1.0, 0.6, 0.0])
    out = angles.copy()
    out[:, hand, finger] = clip_angles(
        angles[:, hand] + (sign * degrees * weight)[:, None, None] * profile * (
            np.arange(5) == finger)[:, None]
    )[:, finger]
    detail = {"hand": hand, "finger": FINGER_NAMES[finger], "degrees": sign * degrees,
              "start": round(float(start), 4), "end": round(float(end), 4)}
    return out, detail


def _tremor(tau, amount_mm, rng):
    """A wrist displacement (T, 3) oscillating at 8-12 Hz with a wandering amplitude."""
    freq = rng.uniform(8.0, 12.0)
    main = rng.normal(size=3)
    main /= np.linalg.norm(main)
    side = np.cross(main, rng.normal(size=3))
    side /= np.linalg.norm(side)
    phase = rng.uniform(0, 2 * np.pi, 3)
    envelope = 1.0 + 0.3 * np.sin(2 * np.pi * rng.uniform(0.2, 0.6) * tau + phase[2])
    wave = (np.sin(2 * np.pi * freq * tau + phase[0])[:, None] * main
            + 0.4 * np.sin(2 * np.pi * freq * tau + phase[1])[:, None] * side)
    return amount_mm / 1000.0 * envelope[:, None] * wave, round(float(freq), 3)


def _dropout(flags, active, used, fraction, rate, rng):
    """Clear flags on about ``fraction`` of the used hands' joint samples, in bursts."""
    n = flags.shape[0]
    hands = np.flatnonzero(used)
    lost = np.zeros((n, HAND_COUNT, JOINT_COUNT), bool)
    target = int(round(fraction * n * JOINT_COUNT * len(hands)))
    events = {"hand": 0, "finger": 0}
    for _ in range(100_000):
        have = int(lost.sum())
        if have >= target:
            break
        hand = int(hands[rng.integers(len(hands))])
        if rng.random() < 0.35:
            joints = np.arange(JOINT_COUNT)
            span = rng.uniform(0.1, 0.6)
            events["hand"] += 1
        else:
            joints = np.array(FINGERS[int(rng.integers(5))])
            span = rng.uniform(0.05, 0.4)
            events["finger"] += 1
        first = int(rng.integers(n))
        frames = np.arange(first, min(n, first + max(1, int(span * rate))))
        new = (~lost[frames][:, hand][:, joints]).sum(axis=1)
        stop = int(np.searchsorted(np.cumsum(new), target - have)) + 1
        frames = frames[:stop]
        lost[frames[:, None], hand, joints[None, :]] = True
    whole = lost.all(axis=2)
    active = active & ~whole
    flags = np.where(lost, 0, flags).astype(np.uint8)
    return flags, active, {"events": events, "share": round(float(
        lost[:, hands].mean()), 4)}


def _continuous(poses: np.ndarray) -> np.ndarray:
    """Flip quaternion signs (frames on axis 0) so each frame's is near the previous one's."""
    q = poses[..., 3:]
    dots = np.sum(q[1:] * q[:-1], axis=-1)
    signs = np.cumprod(np.where(dots < 0, -1.0, 1.0), axis=0)
    poses[1:, ..., 3:] *= signs[..., None]
    return poses


def _hold_last_valid(poses, valid):
    """Where a joint is not valid, repeat its last valid pose (its first, before any)."""
    n = poses.shape[0]
    index = np.where(valid, np.arange(n)[:, None], -1)
    last = np.maximum.accumulate(index, axis=0)
    first = np.argmax(valid, axis=0)
    last = np.where(last < 0, first[None], last)
    return np.take_along_axis(poses, last[..., None], axis=0)


def _head(tau, wrists, used, rng):
    """A standing performer's head, looking at the working hands, swaying slightly."""
    target = wrists[:, used, :3].reshape(-1, 3).mean(axis=0)
    base = np.array([0.0, 1.62, 0.05])
    sway = 0.005 * np.sin(2 * np.pi * rng.uniform(0.15, 0.35, 3) * tau[:, None]
                          + rng.uniform(0, 2 * np.pi, 3))
    look = target - base
    look /= np.linalg.norm(look)
    yaw = np.degrees(np.arctan2(-look[0], -look[2]))
    pitch = np.degrees(np.arcsin(look[1]))
    head = np.empty((tau.shape[0], POSE_SIZE))
    head[:, :3] = base + sway
    head[:, 3:] = orientation("YX", (yaw, pitch))
    return head


# --- the simulator -----------------------------------------------------------

def _resolve_gesture(gesture: Gesture | str) -> Gesture:
    if isinstance(gesture, Gesture):
        return gesture
    if gesture not in GESTURES:
        raise VrtrainerError(
            f"unknown gesture {gesture!r}; built-in gestures: {', '.join(sorted(GESTURES))}"
        )
    return GESTURES[gesture]


def _resolve_flaws(flaws: Sequence[Flaw | str]) -> dict[str, Flaw]:
    if isinstance(flaws, (str, Flaw)):
        flaws = (flaws,)
    out: dict[str, Flaw] = {}
    for item in flaws:
        flaw = item if isinstance(item, Flaw) else parse_flaw(item)
        if flaw.name in out:
            raise VrtrainerError(f"flaw {flaw.name!r} is given twice")
        out[flaw.name] = flaw
    if "slow" in out and "fast" in out:
        raise VrtrainerError("flaws 'slow' and 'fast' contradict each other")
    return out


def simulate(
    gesture: Gesture | str,
    role: str = "expert",
    flaws: Sequence[Flaw | str] = (),
    hand: str = "right",
    seed: int = 0,
    rate: float = 90.0,
    hand_length: float | None = None,
) -> Take:
    """Simulate one take of ``gesture`` (a Gesture or a built-in name).

    ``role`` 'expert' or 'trainee' (only trainees have ``flaws``, given as
    :class:`Flaw` or their CLI spelling); ``hand`` the performing hand for a
    one-handed gesture ('left' mirrors it; for a two-handed gesture it swaps the
    hands' roles); ``rate`` frames per second; ``hand_length`` metres, default
    :data:`~vrtrainer.hands.kinematics.DEFAULT_HAND_LENGTH`.
    """
    g = _resolve_gesture(gesture)
    if role not in ROLES:
        raise VrtrainerError(f"role must be one of {ROLES}, not {role!r}")
    if hand not in HAND_NAMES:
        raise VrtrainerError(f"hand must be 'right' or 'left', not {hand!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise VrtrainerError(f"seed must be a non-negative integer, not {seed!r}")
    if not (isinstance(rate, (int, float)) and 1.0 <= rate <= MAX_RATE):
        raise VrtrainerError(f"rate {rate!r} is outside 1-{MAX_RATE:g} frames per second")
    chosen = _resolve_flaws(flaws)
    if role == "expert" and chosen:
        raise VrtrainerError("an expert take has no flaws; simulate role='trainee'")
    seed = int(seed)
    rate = float(rate)
    details: list[dict] = []

    def note(flaw: Flaw, **info) -> None:
        details.append({"flaw": flaw.name, "amount": flaw.amount, **info})

    keys = _vary(pack(g), _stream(seed, "natural"))
    if "skip-phase" in chosen:
        keys, info = _skip_phase(g, keys, _stream(seed, "skip-phase"))
        note(chosen["skip-phase"], **info)
    tempo = 1.0
    if "slow" in chosen:
        tempo = chosen["slow"].size
        note(chosen["slow"])
    elif "fast" in chosen:
        tempo = 1.0 / chosen["fast"].size
        note(chosen["fast"])
    duration = float(keys.times[-1]) * tempo
    n = int(np.floor(duration * rate + 1e-9)) + 1
    tau = np.arange(n) / rate
    gesture_time = tau
    if "warp" in chosen:
        gesture_time, info = _warp(tau, duration, chosen["warp"].size, _stream(seed, "warp"))
        note(chosen["warp"], **info)
    gesture_time = gesture_time / tempo

    wrists = interpolate_poses(keys.times, keys.wrists, gesture_time)
    angles = interpolate(keys.times, keys.angles, gesture_time)
    free_tools = (interpolate_poses(keys.times, keys.tools, gesture_time) if keys.tools.shape[1]
                  else np.empty((n, 0, POSE_SIZE)))
    used = keys.used.copy()

    wrong = None
    if "wrong-finger" in chosen:
        angles, wrong = _wrong_finger(angles, used, tau, chosen["wrong-finger"].size,
                                      _stream(seed, "wrong-finger"))
    if "tremor" in chosen:
        rng = _stream(seed, "tremor")
        freqs = []
        for shaking in np.flatnonzero(used):
            shake, freq = _tremor(tau, chosen["tremor"].size, rng)
            wrists[:, shaking, :3] += shake
            freqs.append(freq)
        note(chosen["tremor"], frequency_hz=freqs)

    grips = {name: (g.grips[name].hand, g.grips[name].pose) for name in g.grips}
    mirrored = (hand == "left") != ("mirror" in chosen)
    if mirrored:
        wrists = mirror_poses(wrists)[:, ::-1].copy()
        angles = angles[:, ::-1].copy()
        used = used[::-1].copy()
        free_tools = mirror_poses(free_tools)
        grips = {name: ("left" if h == "right" else "right", mirror_poses(p))
                 for name, (h, p) in grips.items()}
        if wrong is not None:
            wrong["hand"] = HAND_COUNT - 1 - wrong["hand"]
    if "mirror" in chosen:
        note(chosen["mirror"])
    if wrong is not None:
        wrong["hand"] = HAND_NAMES[wrong["hand"]]
        note(chosen["wrong-finger"], **wrong)

    length = DEFAULT_HAND_LENGTH if hand_length is None else float(hand_length)
    shape = HandShape.from_length(length)
    if "hand-size" in chosen:
        shape = shape.scaled(chosen["hand-size"].size)
        note(chosen["hand-size"], hand_length=round(shape.hand_length, 5))

    poses = np.empty((n, HAND_COUNT, JOINT_COUNT, POSE_SIZE))
    for h, name in enumerate(HAND_NAMES):
        poses[:, h] = pose_hand(shape, wrists[:, h], angles[:, h], side=name)
    tool_poses = np.empty((n, len(g.tool_names), POSE_SIZE))
    for k, name in enumerate(g.grips):
        holder, grip_pose = grips[name]
        tool_poses[:, k] = compose_poses(wrists[:, HAND_NAMES.index(holder)], grip_pose)
    tool_poses[:, len(g.grips):] = free_tools

    _continuous(poses)
    _continuous(tool_poses)
    if "jitter" in chosen:
        rng = _stream(seed, "jitter")
        sigma = chosen["jitter"].size / 1000.0 / np.sqrt(3.0)
        poses[..., :3] += rng.normal(0.0, sigma, poses[..., :3].shape) * used[:, None, None]
        note(chosen["jitter"])

    active = np.broadcast_to(used, (n, HAND_COUNT)).copy()
    flags = np.where(active[..., None], FULLY_TRACKED, 0).astype(np.uint8)
    flags = np.broadcast_to(flags, (n, HAND_COUNT, JOINT_COUNT)).copy()
    if "dropout" in chosen:
        flags, active, info = _dropout(flags, active, used, chosen["dropout"].amount, rate,
                                       _stream(seed, "dropout"))
        valid = (flags != 0) & active[..., None]
        for lost in np.flatnonzero(used):
            if valid[:, lost].any():
                poses[:, lost] = _hold_last_valid(poses[:, lost], valid[:, lost])
        note(chosen["dropout"], **info)

    head = _head(tau, wrists, used, _stream(seed, "head"))
    performer = ("left" if hand == "right" else "right") if "mirror" in chosen else hand
    flaw_text = ", ".join(str(chosen[name]) for name in FLAW_NAMES if name in chosen)
    meta = TakeMeta(
        scenario="",
        step=0,
        role=role,
        performer=f"simulated-{seed}",
        handedness=performer,
        source="simulator",
        nominal_rate=rate,
        notes=f"simulated {g.name}; flaws: {flaw_text or 'none'}",
        synthetic=True,
        extra={"gesture": g.name, "seed": seed, "hand_length": round(shape.hand_length, 5),
               "flaws": details},
    )
    k = len(g.tool_names)
    return Take(
        times=tau.astype(np.float64),
        poses=poses.astype(np.float32),
        radii=np.broadcast_to(shape.radii, (n, HAND_COUNT, JOINT_COUNT)).astype(np.float32),
        flags=flags,
        active=active,
        meta=meta,
        tool_names=g.tool_names,
        tools=tool_poses.astype(np.float32) if k else None,
        tool_flags=np.full((n, k), FULLY_TRACKED, np.uint8) if k else None,
        head=head.astype(np.float32),
        head_flags=np.full(n, FULLY_TRACKED, np.uint8),
    )
