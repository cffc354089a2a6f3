"""Comparison features of a take: what a hand does, independent of who and where.

Per hand, every frame gives (channel kinds in :data:`KINDS`):

* ``position``: each joint's position in the wrist's frame, divided by the
  performer's hand length and multiplied by :data:`STANDARD_HAND_LENGTH`, so it
  reads as metres on a standard hand whatever the performer's size;
* ``flexion``: the signed angle between consecutive bones of each finger about
  the joint's +X axis (radians; 3 for the thumb, 4 for the others), larger
  when more curled, negative when bent backwards;
* ``abduction``: the spread between neighbouring fingers: the difference of
  their proximal phalanges' sideways angles in the wrist's frame (radians);
* ``path``: the wrist's position relative to its mean pose over the take, in
  that mean pose's frame (metres: the task, not the hand, sets its size), and ``turn``: the wrist's
  rotation from its mean orientation (rotation vector, radians). Both are
  invariant to where the performer stands and which way they face;
* optional ``world``: the wrist's position in the tracking space (metres),
  for gestures whose place matters, and ``tool``: one tool's position in
  another's frame (metres), e.g. a torch relative to the workpiece;
* optional channels that keep the tracking space's axes, for gestures defined by
  which way the hand points or moves in the room (a swipe up vs down, a palm
  turned to the floor): ``centred``, the palm's position relative to its mean
  over the take (metres, not rotated); ``facing``, the back-of-hand normal and
  the pointing direction (palm's +Y and -Z) as unit vectors; ``palm_relative``,
  joint positions relative to the palm in the tracking space's axes, normalised
  to a standard hand like ``position``.

Per tool named in :attr:`FeatureConfig.tools` (a controller, a torch, a surgical
master), whatever the hands do: ``tool_path`` and ``tool_turn``, the tool's
position and rotation relative to its mean pose over the take, in that mean
pose's frame, as the wrist's ``path`` and ``turn``; and ``gripper``, the tool's
gripper or trigger value (the take's ``tool_grippers``) where it has one.

A channel is valid only where every joint, tool or orientation it is computed
from is valid and the hand active; invalid values are masked (their numbers are
meaningless), never zero-filled or interpolated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vrtrainer.errors import VrtrainerError
from vrtrainer.hands.hand import (
    BONES,
    FINGER_NAMES,
    FINGERS,
    HAND_NAMES,
    JOINT_COUNT,
    JOINT_FINGER,
    JOINT_NAMES,
    PALM,
    WRIST,
    orientation_valid,
    position_valid,
    quat_to_matrix,
)
from vrtrainer.takes.take import Take

#: Hand length (wrist to middle fingertip, m) positions are normalised to.
STANDARD_HAND_LENGTH = 0.19
KINDS = ("position", "flexion", "abduction", "path", "turn", "world", "tool",
         "centred", "facing", "palm_relative", "tool_path", "tool_turn", "gripper")
(POSITION, FLEXION, ABDUCTION, PATH, TURN, WORLD, TOOL,
 CENTRED, FACING, PALM_RELATIVE, TOOL_PATH, TOOL_TURN, GRIPPER) = range(len(KINDS))
#: Kinds measured in metres (the others are angles in radians, or unit vectors,
#: whose differences read as radians for small turns; a gripper's value is its
#: jaw angle in radians, or a trigger's 0..1).
LENGTH_KINDS = (POSITION, PATH, WORLD, TOOL, CENTRED, PALM_RELATIVE, TOOL_PATH)
#: Kinds that describe a tool's own motion (channels named ``tool.<name>.<kind>...``).
TOOL_KINDS = (TOOL_PATH, TOOL_TURN, GRIPPER)
#: Kinds whose x component a mirror through the YZ plane negates.
MIRROR_X_KINDS = (*LENGTH_KINDS, FACING)
#: Joints that get a position channel: not the wrist (the origin), nor the palm
#: and metacarpal joints, which move with the wrist and would only dilute errors.
POSITION_JOINTS: tuple[int, ...] = tuple(
    j for j in range(JOINT_COUNT) if j not in (WRIST, PALM, *(f[0] for f in FINGERS))
)
#: Joints that get a ``palm_relative`` channel: the position joints and the wrist,
#: whose place relative to the palm tells how the hand is held.
PALM_RELATIVE_JOINTS: tuple[int, ...] = (WRIST, *POSITION_JOINTS)
#: Neighbouring finger pairs whose spread is measured.
ABDUCTION_PAIRS: tuple[tuple[int, int], ...] = ((0, 1), (1, 2), (2, 3), (3, 4))


def _finger_chain(finger: int) -> tuple[int, ...]:
    return (WRIST, *FINGERS[finger])


@dataclass(frozen=True)
class FeatureConfig:
    """Which channels to compute and how much each weighs in alignment and scoring.

    ``kind_weights`` by kind name and ``joint_weights`` by joint name (default 1)
    multiply; ``tool_pairs`` are (tool, anchor) names for ``tool`` channels;
    ``tools`` names the tools whose own path, turn and gripper are compared.
    ``centred``, ``facing`` and ``palm_relative`` add the channels of those kinds
    (off by default: they depend on which way the performer faces).
    """

    positions: bool = True
    angles: bool = True
    path: bool = True
    world: bool = False
    tool_pairs: tuple[tuple[str, str], ...] = ()
    centred: bool = False
    facing: bool = False
    palm_relative: bool = False
    kind_weights: dict[str, float] = field(default_factory=dict)
    joint_weights: dict[str, float] = field(default_factory=dict)
    tools: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(set(self.tools)) != len(self.tools):
            raise VrtrainerError(f"tools {list(self.tools)} name a tool twice")
        for name, w in {**self.kind_weights, **self.joint_weights}.items():
            if not (isinstance(w, (int, float)) and np.isfinite(w) and w >= 0):
                raise VrtrainerError(f"feature weight for {name!r} must be >= 0, not {w!r}")
        unknown = set(self.kind_weights) - set(KINDS)
        if unknown:
            raise VrtrainerError(f"unknown channel kinds {sorted(unknown)}; known: {KINDS}")
        unknown = set(self.joint_weights) - set(JOINT_NAMES)
        if unknown:
            raise VrtrainerError(f"unknown joint names {sorted(unknown)}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "positions": self.positions, "angles": self.angles, "path": self.path,
            "world": self.world, "tool_pairs": [list(p) for p in self.tool_pairs],
            "centred": self.centred, "facing": self.facing,
            "palm_relative": self.palm_relative,
            "kind_weights": dict(self.kind_weights), "joint_weights": dict(self.joint_weights),
            "tools": list(self.tools),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureConfig:
        try:
            return cls(
                positions=bool(data["positions"]), angles=bool(data["angles"]),
                path=bool(data["path"]), world=bool(data["world"]),
                tool_pairs=tuple((str(a), str(b)) for a, b in data["tool_pairs"]),
                # absent from templates written before these kinds existed
                centred=bool(data.get("centred", False)),
                facing=bool(data.get("facing", False)),
                palm_relative=bool(data.get("palm_relative", False)),
                kind_weights={str(k): float(v) for k, v in data["kind_weights"].items()},
                joint_weights={str(k): float(v) for k, v in data["joint_weights"].items()},
                tools=tuple(str(t) for t in data.get("tools", [])),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise VrtrainerError(f"feature configuration is malformed: {exc}") from None


@dataclass(frozen=True)
class Layout:
    """What each channel is: parallel arrays (C,) plus a readable name."""

    names: tuple[str, ...]
    kind: np.ndarray  # index into KINDS
    hand: np.ndarray  # 0 left, 1 right, -1 none
    joint: np.ndarray  # joint index for position channels, else -1
    finger: np.ndarray  # finger index (0 thumb..4 little) or -1
    axis: np.ndarray  # 0, 1, 2 for x, y, z components, -1 for angles
    weight: np.ndarray  # kind weight x joint weight

    @property
    def size(self) -> int:
        return len(self.names)

    def groups(self) -> np.ndarray:
        """Group id (C,) of each channel: a joint's or vector's x, y, z share one."""
        gid = np.zeros(self.size, np.int64)
        g = -1
        for c in range(self.size):
            vector = self.axis[c] >= 0
            if not (vector and self.axis[c] > 0 and self.kind[c] == self.kind[c - 1]
                    and self.hand[c] == self.hand[c - 1] and self.joint[c] == self.joint[c - 1]):
                g += 1
            gid[c] = g
        return gid


def build_layout(config: FeatureConfig, hands: tuple[int, ...]) -> Layout:
    """Channel layout for ``hands`` (indices, ascending) under ``config``."""
    rows: list[tuple[str, int, int, int, int, int]] = []
    for h in hands:
        hn = HAND_NAMES[h]
        if config.positions:
            for j in POSITION_JOINTS:
                for a, ax in enumerate("xyz"):
                    rows.append((f"{hn}.{JOINT_NAMES[j]}.{ax}", POSITION, h, j,
                                 int(JOINT_FINGER[j]), a))
        if config.angles:
            for f in range(5):
                chain = _finger_chain(f)
                for k in range(1, len(chain) - 1):
                    rows.append((f"{hn}.{FINGER_NAMES[f]}.flex{k}", FLEXION, h, chain[k], f, -1))
            for f1, f2 in ABDUCTION_PAIRS:
                rows.append((f"{hn}.spread.{FINGER_NAMES[f1]}-{FINGER_NAMES[f2]}", ABDUCTION,
                             h, -1, f2, -1))
        if config.path:
            for a, ax in enumerate("xyz"):
                rows.append((f"{hn}.path.{ax}", PATH, h, WRIST, -1, a))
            for a, ax in enumerate("xyz"):
                rows.append((f"{hn}.turn.{ax}", TURN, h, WRIST, -1, a))
        if config.world:
            for a, ax in enumerate("xyz"):
                rows.append((f"{hn}.world.{ax}", WORLD, h, WRIST, -1, a))
        if config.centred:
            for a, ax in enumerate("xyz"):
                rows.append((f"{hn}.centred.{ax}", CENTRED, h, PALM, -1, a))
        if config.facing:
            for name in ("back", "pointing"):
                for a, ax in enumerate("xyz"):
                    rows.append((f"{hn}.facing.{name}.{ax}", FACING, h, PALM, -1, a))
        if config.palm_relative:
            for j in PALM_RELATIVE_JOINTS:
                for a, ax in enumerate("xyz"):
                    rows.append((f"{hn}.palm_relative.{JOINT_NAMES[j]}.{ax}", PALM_RELATIVE,
                                 h, j, int(JOINT_FINGER[j]), a))
    for tool, anchor in config.tool_pairs:
        for a, ax in enumerate("xyz"):
            rows.append((f"tool.{tool}@{anchor}.{ax}", TOOL, -1, -1, -1, a))
    for tool in config.tools:
        for tool_kind in (TOOL_PATH, TOOL_TURN):
            for a, ax in enumerate("xyz"):
                rows.append((f"tool.{tool}.{KINDS[tool_kind][5:]}.{ax}", tool_kind,
                             -1, -1, -1, a))
        rows.append((f"tool.{tool}.gripper", GRIPPER, -1, -1, -1, -1))
    if not rows:
        raise VrtrainerError("the feature configuration selects no channels")
    names, kind, hand, joint, finger, axis = zip(*rows)
    kind_w = np.array([config.kind_weights.get(KINDS[k], 1.0) for k in kind])
    joint_w = np.array([config.joint_weights.get(JOINT_NAMES[j], 1.0) if j >= 0 else 1.0
                        for j in joint])
    return Layout(
        names=tuple(names), kind=np.array(kind), hand=np.array(hand), joint=np.array(joint),
        finger=np.array(finger), axis=np.array(axis), weight=kind_w * joint_w,
    )


@dataclass
class Features:
    """Feature sequence of one take: values (T, C), validity mask (T, C), times (T,)."""

    values: np.ndarray
    mask: np.ndarray
    times: np.ndarray
    layout: Layout
    hand_lengths: dict[str, float]

    @property
    def n_frames(self) -> int:
        return int(self.values.shape[0])


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 0, n, 1.0)


def _flexion(u: np.ndarray, v: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Signed angle (..., ) from bone ``u`` to the next bone ``v`` about the joint's
    +X axis, positive when curling towards the palm.

    Signed, a straight finger's tracking noise averages out instead of adding
    up (an unsigned angle is never below zero); the same for a mirrored hand.
    """
    return np.arctan2(-np.sum(np.cross(u, v) * axis, axis=-1), np.sum(u * v, axis=-1))


def robust_hand_length(positions: np.ndarray, valid: np.ndarray) -> float | None:
    """Hand length (m) from one hand's joint positions (T, 26, 3) over a take.

    Each bone's length is the median over the frames where both its ends are
    valid, so a few bad frames or a curled finger do not change it; the hand
    length sums the middle finger's bones. None if a middle-finger bone is
    never seen.
    """
    total = 0.0
    for parent, child in BONES:
        if JOINT_FINGER[child] != 2:
            continue
        ok = valid[:, parent] & valid[:, child]
        if not ok.any():
            return None
        d = np.linalg.norm(positions[ok, child] - positions[ok, parent], axis=-1)
        total += float(np.median(d))
    return total


def _quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton products (..., 4) of quaternions stored (x, y, z, w)."""
    ax, ay, az, aw = np.moveaxis(a, -1, 0)
    bx, by, bz, bw = np.moveaxis(b, -1, 0)
    return np.stack([
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    ], axis=-1)


def quat_log(q: np.ndarray) -> np.ndarray:
    """Rotation vectors (..., 3) of quaternions (..., 4) (x, y, z, w); angle in [0, pi]."""
    q = np.asarray(q, dtype=np.float64)
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    q = np.where(q[..., 3:4] < 0, -q, q)
    v = q[..., :3]
    s = np.linalg.norm(v, axis=-1, keepdims=True)
    angle = 2.0 * np.arctan2(s, q[..., 3:4])
    # angle / s -> 2 as s -> 0
    return v * np.where(s > 1e-12, angle / np.where(s > 1e-12, s, 1.0), 2.0)


def rotvec_matrix(r: np.ndarray) -> np.ndarray:
    """Rotation matrices (..., 3, 3) of rotation vectors (..., 3) (Rodrigues)."""
    r = np.asarray(r, dtype=np.float64)
    angle = np.linalg.norm(r, axis=-1, keepdims=True)
    half = angle / 2.0
    scale = np.where(angle > 1e-12, np.sin(half) / np.where(angle > 1e-12, angle, 1.0), 0.5)
    return quat_to_matrix(np.concatenate([r * scale, np.cos(half)], axis=-1))


def _mean_quat(q: np.ndarray) -> np.ndarray:
    """Average orientation (Markley et al.): the top eigenvector of sum q q^T."""
    _, vecs = np.linalg.eigh(q.T @ q)
    return vecs[:, -1]


def _mean_pose(pos: np.ndarray, quat: np.ndarray, ok: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Mean wrist position and orientation (quaternion) over the whole take.

    Lost frames are bridged for this purpose only (positions linearly,
    orientations by the nearest tracked frame), so that where tracking was
    lost does not shift the anchor of every other frame's path.
    """
    n = pos.shape[0]
    idx = np.flatnonzero(ok)
    t = np.arange(n)
    filled = np.stack([np.interp(t, idx, pos[idx, a]) for a in range(3)], axis=1)
    nearest = idx[np.clip(np.searchsorted(idx, t), 0, idx.size - 1)]
    before = idx[np.clip(np.searchsorted(idx, t) - 1, 0, idx.size - 1)]
    nearest = np.where(np.abs(before - t) < np.abs(nearest - t), before, nearest)
    q = quat[nearest].astype(np.float64)
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    return filled.mean(axis=0), _mean_quat(q)


def hands_in(take: Take) -> tuple[int, ...]:
    """Hands active in at least a tenth of the take's frames.

    If neither is: none for a take with tools (the tools are what moved), both
    otherwise (the hands were lost).
    """
    share = take.active.mean(axis=0)
    used = tuple(int(h) for h in np.flatnonzero(share >= 0.1))
    return used or (() if take.tool_names else (0, 1))


def default_config(takes: list[Take]) -> FeatureConfig:
    """The default features for ``takes``: with the tools that every one of them has."""
    common = [t for t in takes[0].tool_names if all(t in k.tool_names for k in takes[1:])]
    return FeatureConfig(tools=tuple(common))


def _tool_motion(take: Take, tool: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A tool's (path, turn) (T, 6) relative to its mean pose, gripper (T,), validity (T,).

    A take without that tool has it never tracked (the reference's tool was not seen).
    """
    n = take.n_frames
    if tool not in take.tool_names:
        return np.zeros((n, 6)), np.full(n, np.nan), np.zeros(n, bool)
    poses, flags = take.tool_pose(tool)
    ok = position_valid(flags) & orientation_valid(flags)
    pos = poses[:, :3].astype(np.float64)
    quat = np.where(ok[:, None], poses[:, 3:].astype(np.float64), [0.0, 0.0, 0.0, 1.0])
    motion = np.zeros((n, 6))
    if ok.any():
        centre, mean_q = _mean_pose(pos, quat, ok)
        motion[:, :3] = (pos - centre) @ quat_to_matrix(mean_q)
        inv = mean_q * np.array([-1.0, -1.0, -1.0, 1.0])
        motion[:, 3:] = quat_log(_quat_mul(inv, quat))
    grip = np.full(n, np.nan)
    if take.tool_grippers is not None:
        grip = take.tool_grippers[:, take.tool_names.index(tool)].astype(np.float64)
    return motion, grip, ok


def take_features(
    take: Take, config: FeatureConfig | None = None, hands: tuple[int, ...] | None = None
) -> Features:
    """Features of ``take`` for ``hands`` (default: the hands it uses)."""
    config = config or FeatureConfig()
    hands = hands_in(take) if hands is None else tuple(sorted(hands))
    layout = build_layout(config, hands)
    n = take.n_frames
    values = np.zeros((n, layout.size))
    mask = np.zeros((n, layout.size), bool)
    lengths: dict[str, float] = {}
    col = 0
    for h in hands:
        pos = take.poses[:, h, :, :3].astype(np.float64)
        quat = take.poses[:, h, WRIST, 3:].astype(np.float64)
        active = take.active[:, h]
        pvalid = position_valid(take.flags[:, h]) & active[:, None]
        ovalid = orientation_valid(take.flags[:, h]) & active[:, None]
        wvalid = pvalid[:, WRIST] & orientation_valid(take.flags[:, h, WRIST]) & active
        length = robust_hand_length(pos, pvalid)
        lengths[HAND_NAMES[h]] = float(length) if length else float("nan")
        scale = STANDARD_HAND_LENGTH / length if length else 0.0
        rot = np.zeros((n, 3, 3))
        if wvalid.any():
            q = np.where(wvalid[:, None], quat, [0.0, 0.0, 0.0, 1.0])
            rot = quat_to_matrix(q)
        rel = pos - pos[:, WRIST:WRIST + 1]
        local = np.einsum("tji,tkj->tki", rot, rel)  # R^T (p - p_wrist)
        if config.positions:
            for j in POSITION_JOINTS:
                values[:, col:col + 3] = local[:, j] * scale
                mask[:, col:col + 3] = (wvalid & pvalid[:, j] & (scale > 0))[:, None]
                col += 3
        if config.angles:
            for f in range(5):
                chain = _finger_chain(f)
                for k in range(1, len(chain) - 1):
                    a, b, c = chain[k - 1], chain[k], chain[k + 1]
                    axis = quat_to_matrix(take.poses[:, h, b, 3:].astype(np.float64))[..., 0]
                    values[:, col] = _flexion(pos[:, b] - pos[:, a], pos[:, c] - pos[:, b], axis)
                    mask[:, col] = (pvalid[:, a] & pvalid[:, b] & pvalid[:, c]
                                    & ovalid[:, b])
                    col += 1
            # Spread: difference of the two proximal phalanges' sideways angles
            # (out of the wrist's YZ plane); unlike an angle between projected
            # bones it stays defined however far the fingers curl. The sign
            # makes a left hand read like the mirrored right one.
            side = 1.0 if h == 1 else -1.0
            for f1, f2 in ABDUCTION_PAIRS:
                (m1, p1), (m2, p2) = FINGERS[f1][1:3], FINGERS[f2][1:3]
                u = _unit(local[:, p1] - local[:, m1])[:, 0]
                v = _unit(local[:, p2] - local[:, m2])[:, 0]
                values[:, col] = side * (np.arcsin(np.clip(v, -1, 1))
                                         - np.arcsin(np.clip(u, -1, 1)))
                mask[:, col] = wvalid & pvalid[:, m1] & pvalid[:, p1] & pvalid[:, m2] & pvalid[
                    :, p2]
                col += 1
        if config.path:
            ok = wvalid
            if ok.any():
                centre, mean_q = _mean_pose(pos[:, WRIST], quat, ok)
                values[:, col:col + 3] = (pos[:, WRIST] - centre) @ quat_to_matrix(mean_q)
                q = np.where(wvalid[:, None], quat, [0.0, 0.0, 0.0, 1.0])
                inv = mean_q * np.array([-1.0, -1.0, -1.0, 1.0])
                values[:, col + 3:col + 6] = quat_log(_quat_mul(inv, q))
            mask[:, col:col + 6] = ok[:, None]
            col += 6
        if config.world:
            values[:, col:col + 3] = pos[:, WRIST]
            mask[:, col:col + 3] = pvalid[:, WRIST][:, None]
            col += 3
        if config.centred:
            ok = pvalid[:, PALM]
            if ok.any():
                idx = np.flatnonzero(ok)
                t = np.arange(n)
                # lost frames bridged for the mean only, as for the path's anchor
                centre = np.array([np.interp(t, idx, pos[idx, PALM, a]).mean() for a in range(3)])
                values[:, col:col + 3] = pos[:, PALM] - centre
            mask[:, col:col + 3] = ok[:, None]
            col += 3
        if config.facing:
            ok = ovalid[:, PALM]
            q = np.where(ok[:, None], take.poses[:, h, PALM, 3:].astype(np.float64),
                         [0.0, 0.0, 0.0, 1.0])
            palm_rot = quat_to_matrix(q)
            values[:, col:col + 3] = palm_rot[..., 1]
            values[:, col + 3:col + 6] = -palm_rot[..., 2]
            mask[:, col:col + 6] = ok[:, None]
            col += 6
        if config.palm_relative:
            for j in PALM_RELATIVE_JOINTS:
                values[:, col:col + 3] = (pos[:, j] - pos[:, PALM]) * scale
                mask[:, col:col + 3] = (pvalid[:, PALM] & pvalid[:, j] & (scale > 0))[:, None]
                col += 3
    for tool, anchor in config.tool_pairs:
        tp, tf = take.tool_pose(tool)
        ap, af = take.tool_pose(anchor)
        ok = position_valid(tf) & position_valid(af) & orientation_valid(af)
        aq = np.where(ok[:, None], ap[:, 3:].astype(np.float64), [0.0, 0.0, 0.0, 1.0])
        rel = tp[:, :3].astype(np.float64) - ap[:, :3]
        values[:, col:col + 3] = np.einsum("tji,tj->ti", quat_to_matrix(aq), rel)
        mask[:, col:col + 3] = ok[:, None]
        col += 3
    for tool in config.tools:
        motion, grip, ok = _tool_motion(take, tool)
        values[:, col:col + 6] = motion
        values[:, col + 6] = grip
        mask[:, col:col + 6] = ok[:, None]
        mask[:, col + 6] = ok & np.isfinite(grip)
        col += 7
    assert col == layout.size
    mask &= np.isfinite(values)
    values[~mask] = 0.0  # storage only: masked values are never read
    return Features(values, mask, take.times.astype(np.float64).copy(), layout, lengths)


def smoothed(features: Features, seconds: float = 0.1) -> Features:
    """A copy with each channel's valid values averaged over a centred window.

    Tracking noise and jitter are judged separately (steadiness); shape is
    judged on the motion without them. Only valid values are averaged and
    validity is unchanged.
    """
    n = features.n_frames
    if n < 3 or seconds <= 0:
        return features
    rate = (n - 1) / max(features.times[-1] - features.times[0], 1e-9)
    half = int(round(seconds * rate / 2))
    if half < 1:
        return features
    m = features.mask.astype(np.float64)
    v = np.where(features.mask, features.values, 0.0)
    cv = np.concatenate([np.zeros((1, v.shape[1])), np.cumsum(v, axis=0)])
    cm = np.concatenate([np.zeros((1, m.shape[1])), np.cumsum(m, axis=0)])
    lo = np.clip(np.arange(n) - half, 0, n)
    hi = np.clip(np.arange(n) + half + 1, 0, n)
    total = cv[hi] - cv[lo]
    count = cm[hi] - cm[lo]
    out = np.where(features.mask, total / np.maximum(count, 1.0), 0.0)
    return Features(out, features.mask.copy(), features.times, features.layout,
                    features.hand_lengths)


def mirror_channels(values: np.ndarray, mask: np.ndarray, layout: Layout) -> tuple[
        np.ndarray, np.ndarray]:
    """The same motion made by the other hand(s): swap left and right, reflect x.

    A mirror through the YZ plane turns a right hand into a left one (see
    :func:`vrtrainer.hands.hand.mirror_poses`): x components of metric channels and of
    facing directions change sign, rotation vectors keep x and flip y and z,
    angles stay. The channels of hand h move to the slot of hand 1-h in the same
    layout, which must hold both hands or be one-handed (the slot is then
    relabelled).
    """
    sign = np.ones(layout.size)
    xs = np.isin(layout.kind, MIRROR_X_KINDS) & (layout.axis == 0)
    yz = np.isin(layout.kind, (TURN, TOOL_TURN)) & (layout.axis > 0)
    sign[xs | yz] = -1.0
    hands = sorted(set(int(h) for h in layout.hand if h >= 0))
    order = np.arange(layout.size)
    if len(hands) == 2:
        left = np.flatnonzero(layout.hand == 0)
        right = np.flatnonzero(layout.hand == 1)
        order[left] = right
        order[right] = left
    return values[:, order] * sign[order], mask[:, order]


def features_as(take: Take, config: FeatureConfig, hands: tuple[int, ...],
                handedness: str) -> Features:
    """``take``'s (unsmoothed) features in the layout of a reference of ``hands`` made
    ``handedness``-handed: a take by the other hand is mirrored into it."""
    mirror = take.meta.handedness != handedness
    use = tuple(sorted(1 - h for h in hands)) if mirror else hands
    f = take_features(take, config, use)
    if mirror:
        f.values, f.mask = mirror_channels(f.values, f.mask, f.layout)
        f.layout = build_layout(config, hands)
    return f


def mirrored_layout(layout: Layout) -> Layout:
    """Layout of :func:`mirror_channels`' output for a one-handed layout (relabelled)."""
    hands = sorted(set(int(h) for h in layout.hand if h >= 0))
    if len(hands) != 1:
        return layout
    h = hands[0]
    other = 1 - h
    names = tuple(n.replace(HAND_NAMES[h] + ".", HAND_NAMES[other] + ".", 1) for n in
                  layout.names)
    hand = np.where(layout.hand == h, other, layout.hand)
    return Layout(names, layout.kind, hand, layout.joint, layout.finger, layout.axis,
                  layout.weight)


def clock(start: float, end: float, rate: float) -> np.ndarray:
    """Uniform frame times from ``start`` to ``end`` (inclusive when on the grid) at ``rate``."""
    n = int(np.floor((end - start) * rate + 1e-6)) + 1
    return start + np.arange(max(n, 2)) / rate


def resample_values(values: np.ndarray, mask: np.ndarray, times: np.ndarray,
                    new_times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masked channels (T, C) at ``new_times``: linear between the two frames around each
    new time when both are valid, the nearer one's value when only it is; valid where
    the nearer frame is.

    Scoring compares a take and a reference on one clock, so that neither frame rate
    changes the result (issue 13).
    """
    n = times.shape[0]
    if n < 2:
        return (np.repeat(values[:1], new_times.shape[0], axis=0),
                np.repeat(mask[:1], new_times.shape[0], axis=0))
    k = np.clip(np.searchsorted(times, new_times, side="right") - 1, 0, n - 2)
    span = times[k + 1] - times[k]
    u = np.clip((new_times - times[k]) / np.where(span > 0, span, 1.0), 0.0, 1.0)[:, None]
    a, b = values[k], values[k + 1]
    ma, mb = mask[k], mask[k + 1]
    near_b = u > 0.5
    out = np.where(ma & mb, a + (b - a) * u, np.where(near_b, b, a))
    valid = np.where(near_b, mb, ma)
    return np.where(valid, out, 0.0), valid


def on_clock(features: Features, rate: float) -> Features:
    """The features resampled onto a uniform clock at ``rate`` frames per second
    (unchanged if already on it)."""
    t = features.times
    grid = clock(float(t[0]), float(t[-1]), rate)
    if grid.shape == t.shape and np.allclose(grid, t, rtol=0.0, atol=1e-9):
        return features
    values, mask = resample_values(features.values, features.mask, t, grid)
    return Features(values, mask, grid, features.layout, features.hand_lengths)
