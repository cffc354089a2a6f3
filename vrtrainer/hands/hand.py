"""The hand model shared by every part of vrtrainer: OpenXR's 26 hand joints.

Conventions (XR_EXT_hand_tracking, OpenXR 1.0/1.1):

* Joints are indexed in spec order, ``XrHandJointEXT``: 0 palm, 1 wrist,
  2-5 thumb (metacarpal, proximal, distal, tip), 6-10 index (metacarpal,
  proximal, intermediate, distal, tip), 11-15 middle, 16-20 ring, 21-25 little.
* A joint pose is 7 numbers: position (x, y, z) in metres, then the orientation
  quaternion (x, y, z, w). Spaces are right-handed.
* Joint frames: +Z points back along the bone, away from the fingertip (towards
  the wrist); +Y points out of the back of the hand; +X completes a right-handed
  frame. The palm joint sits at the centre of the middle finger's metacarpal,
  the wrist joint at the wrist crease.
* Hands are indexed 0 = left, 1 = right (``XR_HAND_LEFT_EXT`` and
  ``XR_HAND_RIGHT_EXT`` minus one).
* Per-joint validity is a bit mask of ``XrSpaceLocationFlags``; a hand that the
  runtime does not track at all has ``isActive`` false.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

JOINT_COUNT = 26
HAND_COUNT = 2
POSE_SIZE = 7  # px, py, pz, qx, qy, qz, qw

LEFT = 0
RIGHT = 1
HAND_NAMES = ("left", "right")

JOINT_NAMES: tuple[str, ...] = (
    "palm",
    "wrist",
    "thumb_metacarpal",
    "thumb_proximal",
    "thumb_distal",
    "thumb_tip",
    "index_metacarpal",
    "index_proximal",
    "index_intermediate",
    "index_distal",
    "index_tip",
    "middle_metacarpal",
    "middle_proximal",
    "middle_intermediate",
    "middle_distal",
    "middle_tip",
    "ring_metacarpal",
    "ring_proximal",
    "ring_intermediate",
    "ring_distal",
    "ring_tip",
    "little_metacarpal",
    "little_proximal",
    "little_intermediate",
    "little_distal",
    "little_tip",
)
JOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(JOINT_NAMES)}

PALM = 0
WRIST = 1

FINGER_NAMES = ("thumb", "index", "middle", "ring", "little")
#: Joints of each finger from the metacarpal to the tip (the thumb has no
#: intermediate phalanx in OpenXR).
FINGERS: tuple[tuple[int, ...], ...] = (
    (2, 3, 4, 5),
    (6, 7, 8, 9, 10),
    (11, 12, 13, 14, 15),
    (16, 17, 18, 19, 20),
    (21, 22, 23, 24, 25),
)
FINGERTIPS: tuple[int, ...] = tuple(f[-1] for f in FINGERS)


def _parents() -> np.ndarray:
    parents = np.full(JOINT_COUNT, -1, dtype=np.int64)
    parents[PALM] = WRIST
    for finger in FINGERS:
        parents[finger[0]] = WRIST
        for parent, child in zip(finger[:-1], finger[1:]):
            parents[child] = parent
    parents.setflags(write=False)
    return parents


#: Parent of each joint in the skeleton tree; the wrist is the root (-1). The
#: palm hangs off the wrist but starts no bone.
PARENTS: np.ndarray = _parents()

#: An order of the joints in which every parent comes before its children.
TOPOLOGICAL_ORDER: tuple[int, ...] = (WRIST, PALM, *[j for f in FINGERS for j in f])

#: Bones as (parent joint, child joint): wrist to each metacarpal, then along
#: each finger to its tip. 24 bones; the palm joint is on no bone.
BONES: tuple[tuple[int, int], ...] = tuple(
    (int(PARENTS[j]), j) for f in FINGERS for j in f
)

#: Finger index (0 thumb .. 4 little) of each joint, -1 for palm and wrist.
JOINT_FINGER: np.ndarray = np.array(
    [-1, -1] + [fi for fi, f in enumerate(FINGERS) for _ in f], dtype=np.int64
)
JOINT_FINGER.setflags(write=False)

# XrSpaceLocationFlags bits.
ORIENTATION_VALID = 0x1
POSITION_VALID = 0x2
ORIENTATION_TRACKED = 0x4
POSITION_TRACKED = 0x8
ALL_VALID = ORIENTATION_VALID | POSITION_VALID
FULLY_TRACKED = ALL_VALID | ORIENTATION_TRACKED | POSITION_TRACKED


def position_valid(flags: np.ndarray) -> np.ndarray:
    """True where a joint's position may be used (POSITION_VALID set)."""
    return (np.asarray(flags) & POSITION_VALID) != 0


def orientation_valid(flags: np.ndarray) -> np.ndarray:
    """True where a joint's orientation may be used (ORIENTATION_VALID set)."""
    return (np.asarray(flags) & ORIENTATION_VALID) != 0


def pose_valid(flags: np.ndarray) -> np.ndarray:
    """True where both position and orientation are valid."""
    return (np.asarray(flags) & ALL_VALID) == ALL_VALID


@dataclass
class HandFrame:
    """Both hands at one instant, as OpenXR reports them.

    ``poses`` (2, 26, 7) float32 position + quaternion (x, y, z, w) in metres,
    ``radii`` (2, 26) float32 joint radii in metres, ``flags`` (2, 26) uint8
    XrSpaceLocationFlags, ``active`` (2,) bool isActive per hand, ``time`` in
    seconds. Arrays are meant to be reused from frame to frame.
    """

    time: float = 0.0
    poses: np.ndarray = field(
        default_factory=lambda: np.zeros((HAND_COUNT, JOINT_COUNT, POSE_SIZE), np.float32)
    )
    radii: np.ndarray = field(
        default_factory=lambda: np.zeros((HAND_COUNT, JOINT_COUNT), np.float32)
    )
    flags: np.ndarray = field(
        default_factory=lambda: np.zeros((HAND_COUNT, JOINT_COUNT), np.uint8)
    )
    active: np.ndarray = field(default_factory=lambda: np.zeros(HAND_COUNT, bool))

    def valid_positions(self) -> np.ndarray:
        """(2, 26) bool: joints whose position is valid on an active hand."""
        return position_valid(self.flags) & self.active[:, None]

    def copy_from(self, other: HandFrame) -> None:
        """Overwrite this frame's buffers with ``other`` (no allocation)."""
        self.time = other.time
        self.poses[...] = other.poses
        self.radii[...] = other.radii
        self.flags[...] = other.flags
        self.active[...] = other.active


# Mirroring a hand through the YZ plane (x -> -x) turns a right hand into a
# left one. Positions flip x; a rotation R becomes M R M with M = diag(-1, 1, 1),
# which keeps +Y out of the back of the hand and +Z along the bone, as OpenXR
# wants for the other hand. For quaternions that is (x, y, z, w) -> (x, -y, -z, w).
_MIRROR_POSE = np.array([-1, 1, 1, 1, -1, -1, 1], dtype=np.float32)


def mirror_poses(poses: np.ndarray) -> np.ndarray:
    """Mirror joint poses (..., 7) through the YZ plane of their space.

    The result is the pose set of the other hand performing the same gesture
    reflected left-right; swap the hand axis to relabel which hand it is.
    """
    poses = np.asarray(poses)
    return poses * _MIRROR_POSE.astype(poses.dtype)


def quat_to_matrix(q: np.ndarray) -> np.ndarray:
    """Rotation matrices (..., 3, 3) from quaternions (..., 4) stored (x, y, z, w)."""
    q = np.asarray(q, dtype=np.float64)
    x, y, z, w = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    n = x * x + y * y + z * z + w * w
    s = np.where(n > 0, 2.0 / np.where(n > 0, n, 1.0), 0.0)
    m = np.empty(q.shape[:-1] + (3, 3))
    m[..., 0, 0] = 1 - s * (y * y + z * z)
    m[..., 0, 1] = s * (x * y - z * w)
    m[..., 0, 2] = s * (x * z + y * w)
    m[..., 1, 0] = s * (x * y + z * w)
    m[..., 1, 1] = 1 - s * (x * x + z * z)
    m[..., 1, 2] = s * (y * z - x * w)
    m[..., 2, 0] = s * (x * z - y * w)
    m[..., 2, 1] = s * (y * z + x * w)
    m[..., 2, 2] = 1 - s * (x * x + y * y)
    return m


def matrix_to_quat(m: np.ndarray) -> np.ndarray:
    """Quaternions (..., 4) stored (x, y, z, w), w >= 0, from rotation matrices (..., 3, 3)."""
    m = np.asarray(m, dtype=np.float64)
    flat = m.reshape(-1, 3, 3)
    out = np.empty((flat.shape[0], 4))
    for i, r in enumerate(flat):
        t = r[0, 0] + r[1, 1] + r[2, 2]
        if t > 0:
            s = np.sqrt(t + 1.0) * 2
            q = ((r[2, 1] - r[1, 2]) / s, (r[0, 2] - r[2, 0]) / s, (r[1, 0] - r[0, 1]) / s, s / 4)
        elif r[0, 0] > r[1, 1] and r[0, 0] > r[2, 2]:
            s = np.sqrt(1.0 + r[0, 0] - r[1, 1] - r[2, 2]) * 2
            q = (s / 4, (r[0, 1] + r[1, 0]) / s, (r[0, 2] + r[2, 0]) / s, (r[2, 1] - r[1, 2]) / s)
        elif r[1, 1] > r[2, 2]:
            s = np.sqrt(1.0 + r[1, 1] - r[0, 0] - r[2, 2]) * 2
            q = ((r[0, 1] + r[1, 0]) / s, s / 4, (r[1, 2] + r[2, 1]) / s, (r[0, 2] - r[2, 0]) / s)
        else:
            s = np.sqrt(1.0 + r[2, 2] - r[0, 0] - r[1, 1]) * 2
            q = ((r[0, 2] + r[2, 0]) / s, (r[1, 2] + r[2, 1]) / s, s / 4, (r[1, 0] - r[0, 1]) / s)
        qa = np.asarray(q)
        out[i] = qa / np.linalg.norm(qa) * (1 if qa[3] >= 0 else -1)
    return out.reshape(m.shape[:-2] + (4,))


def quat_rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vectors (..., 3) by unit quaternions (..., 4) stored (x, y, z, w)."""
    q = np.asarray(q, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    u = q[..., :3]
    w = q[..., 3:4]
    t = 2.0 * np.cross(u, v)
    return v + w * t + np.cross(u, t)


def joint_axes(poses: np.ndarray) -> np.ndarray:
    """Joint frame axes in world space, (..., 3, 3) with columns +X, +Y, +Z."""
    return quat_to_matrix(np.asarray(poses)[..., 3:7])


def bone_lengths(positions: np.ndarray) -> np.ndarray:
    """Lengths (..., 24) of the 24 bones from joint positions (..., 26, 3)."""
    p = np.asarray(positions, dtype=np.float64)
    parents = np.array([b[0] for b in BONES])
    children = np.array([b[1] for b in BONES])
    return np.linalg.norm(p[..., children, :] - p[..., parents, :], axis=-1)


def hand_length(positions: np.ndarray) -> np.ndarray:
    """Hand length (...,) in metres: wrist to middle fingertip along the bones.

    Summing the bone lengths of the middle finger makes it independent of how
    curled the finger is, so it measures the performer, not the pose.
    """
    lengths = bone_lengths(positions)
    middle = [i for i, (_, c) in enumerate(BONES) if JOINT_FINGER[c] == 2]
    return lengths[..., middle].sum(axis=-1)
