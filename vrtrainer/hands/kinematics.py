"""A kinematic model of the human hand that yields OpenXR hand-joint poses.

The model is a right hand in its wrist frame (OpenXR joint-frame axes: +Z back
towards the forearm, +Y out of the back of the hand, so the fingers point along
-Z and, for a right hand, the thumb lies towards -X). A left hand is the mirror
image (x -> -x, as :func:`vrtrainer.hands.hand.mirror_poses`).

Joint angles are given per hand as an array (..., 5, 4) in degrees, one row per
finger (thumb, index, middle, ring, little):

* fingers: MCP flexion, PIP flexion, DIP flexion, MCP abduction (spread away
  from the middle finger; for the middle finger, towards the index);
* thumb: CMC flexion (across the palm), MCP flexion, IP flexion, CMC abduction
  (away from the palm, radially and palmarly).

Positive flexion curls towards the palm. :func:`pose_hand` does the forward
kinematics for any number of frames at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.transform import Rotation

from vrtrainer.errors import VrtrainerError
from vrtrainer.hands.hand import FINGERS, JOINT_COUNT, PALM, POSE_SIZE, WRIST, mirror_poses

THUMB, INDEX, MIDDLE, RING, LITTLE = range(5)
ANGLE_SHAPE = (5, 4)

#: Typical adult hand length (wrist crease to middle fingertip), metres: the
#: midpoint of adult female (~17.5 cm) and male (~19.5 cm) means in common
#: anthropometric surveys.
DEFAULT_HAND_LENGTH = 0.186
#: Hand lengths the model accepts (a child's hand to a very large adult hand).
MIN_HAND_LENGTH = 0.12
MAX_HAND_LENGTH = 0.26

# Kinematic segment lengths as fractions of hand length, from Buchholz,
# Armstrong & Goldstein (1992), "Anthropometric data for describing the
# kinematics of the human hand", Ergonomics 35(3):261-273, table of segment
# length / hand length: metacarpal, proximal, middle, distal (the distal
# segment runs from the DIP joint centre to the fingertip). The thumb has no
# middle phalanx; its row is metacarpal, proximal, distal. Phalanx ratios that
# follow (proximal 1.6-1.9x middle, middle 1.3-1.6x distal) are those of joint
# centres, not of bone lengths as in osteometric studies such as Buryanov &
# Kotiuk (2010), Int. J. Morphol. 28(3):755-758.
_SEGMENTS = np.array(
    [
        [0.251, 0.196, 0.0, 0.158],  # thumb (CMC-MCP, MCP-IP, -, IP-tip)
        [0.374, 0.265, 0.143, 0.097],  # index
        [0.373, 0.277, 0.170, 0.108],  # middle
        [0.336, 0.259, 0.165, 0.107],  # ring
        [0.295, 0.206, 0.117, 0.093],  # little
    ]
)
# Whatever the middle finger's segments leave of the hand length lies between
# the wrist crease and the third carpometacarpal joint (Buchholz et al. place
# the CMC joints about 7 % of hand length distal to the crease).
_MIDDLE_BASE = 1.0 - _SEGMENTS[MIDDLE].sum()

# Carpometacarpal joint centres in the wrist frame, fractions of hand length
# (x radial -, y dorsal +, z distal -). The bases of metacarpals II-V span about
# 3.5 cm on a 19 cm hand; the ring and little bases sit slightly palmar, giving
# the transverse arch; the thumb's CMC (trapezium) lies radial and palmar.
_BASES = np.array(
    [
        [-0.105, -0.050, -0.065],
        [-0.072, 0.000, -0.075],
        [0.000, 0.000, -_MIDDLE_BASE],
        [0.060, -0.006, -0.068],
        [0.112, -0.016, -0.058],
    ]
)
# Metacarpal directions: fan angle towards the thumb (degrees about +Y) and
# palmar droop (degrees about +X, negative = palmar). The thumb's metacarpal at
# rest points forwards, radially and palmarly and is pronated about its own
# axis, so its nail faces partly sideways.
_FAN = np.array([42.0, 4.0, 0.0, -5.0, -11.0])
_DROOP = np.array([-22.0, 0.0, 0.0, -3.0, -6.0])
_THUMB_PRONATION = 55.0

# Joint radii (distance from the joint centre to the skin) for a hand of
# DEFAULT_HAND_LENGTH, metres, from finger breadths and depths at the joints
# (about 2 cm at the index PIP, 1.3 cm at its tip; Buchholz & Armstrong 1991,
# "An ellipsoidal representation of human hand anthropometry", Human Factors
# 33(4)). Order: palm, wrist, then each finger base to tip.
_RADII = np.array(
    [
        0.0130, 0.0140,
        0.0120, 0.0105, 0.0095, 0.0085,
        0.0100, 0.0095, 0.0085, 0.0075, 0.0065,
        0.0100, 0.0100, 0.0090, 0.0080, 0.0068,
        0.0095, 0.0092, 0.0082, 0.0072, 0.0062,
        0.0090, 0.0082, 0.0072, 0.0064, 0.0055,
    ]
)

#: Anatomical ranges (degrees) of each angle, rows as the angle arrays: used to
#: keep simulated variation and flaws physiological.
ANGLE_LIMITS = np.array(
    [
        [[-15, 60], [-10, 75], [-15, 85], [-15, 60]],  # thumb CMC, MCP, IP, CMC abd
        [[-20, 95], [0, 110], [-5, 85], [-15, 25]],
        [[-20, 95], [0, 110], [-5, 85], [-15, 20]],
        [[-20, 95], [0, 110], [-5, 85], [-15, 20]],
        [[-20, 95], [0, 110], [-5, 85], [-15, 30]],
    ],
    dtype=np.float64,
)

# Sign that turns each finger's abduction into a rotation about +Y (positive
# rotation swings the finger towards -X, the thumb side of a right hand).
_ABDUCTION_SIGN = np.array([1.0, 1.0, 1.0, -1.0, -1.0])


def _rest_rotations() -> np.ndarray:
    rot = Rotation.from_euler("YX", np.stack([_FAN, _DROOP], axis=1), degrees=True)
    m = rot.as_matrix()
    m[THUMB] = m[THUMB] @ Rotation.from_euler("Z", _THUMB_PRONATION, degrees=True).as_matrix()
    return m


_REST = _rest_rotations()


@dataclass(frozen=True)
class HandShape:
    """The size and proportions of one performer's hand.

    ``segments`` (5, 4) bone lengths in metres (metacarpal, proximal, middle,
    distal-to-tip; the thumb's middle entry is 0), ``bases`` (5, 3) the
    carpometacarpal joint centres in the wrist frame, ``radii`` (26,) joint
    radii. Build one with :meth:`from_length`.
    """

    hand_length: float
    segments: np.ndarray = field(repr=False)
    bases: np.ndarray = field(repr=False)
    radii: np.ndarray = field(repr=False)

    @classmethod
    def from_length(cls, hand_length: float = DEFAULT_HAND_LENGTH) -> HandShape:
        """A hand of the given length (wrist crease to middle fingertip, metres)."""
        length = float(hand_length)
        if not (MIN_HAND_LENGTH <= length <= MAX_HAND_LENGTH):
            raise VrtrainerError(
                f"hand length {length:.3f} m is outside {MIN_HAND_LENGTH}-{MAX_HAND_LENGTH} m"
            )
        scale = length / DEFAULT_HAND_LENGTH
        return cls(
            hand_length=length,
            segments=_SEGMENTS * length,
            bases=_BASES * length,
            radii=(_RADII * scale).astype(np.float32),
        )

    def scaled(self, factor: float) -> HandShape:
        """The same proportions at ``factor`` times the size."""
        return HandShape.from_length(self.hand_length * factor)


def finger_angles(
    thumb: tuple[float, float, float, float] = (10.0, 10.0, 10.0, 10.0),
    index: tuple[float, float, float, float] = (15.0, 20.0, 10.0, 0.0),
    middle: tuple[float, float, float, float] = (18.0, 25.0, 12.0, 0.0),
    ring: tuple[float, float, float, float] = (20.0, 28.0, 14.0, 0.0),
    little: tuple[float, float, float, float] = (22.0, 30.0, 15.0, 0.0),
) -> np.ndarray:
    """Angles (5, 4) in degrees, defaulting to a relaxed hand (see module docs)."""
    return np.array([thumb, index, middle, ring, little], dtype=np.float64)


def clip_angles(angles: np.ndarray) -> np.ndarray:
    """Angles clipped to :data:`ANGLE_LIMITS`."""
    return np.clip(angles, ANGLE_LIMITS[..., 0], ANGLE_LIMITS[..., 1])


def _rot_x(deg: np.ndarray) -> np.ndarray:
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    m = np.zeros(a.shape + (3, 3))
    m[..., 0, 0] = 1.0
    m[..., 1, 1] = c
    m[..., 1, 2] = -s
    m[..., 2, 1] = s
    m[..., 2, 2] = c
    return m


def _rot_y(deg: np.ndarray) -> np.ndarray:
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    m = np.zeros(a.shape + (3, 3))
    m[..., 1, 1] = 1.0
    m[..., 0, 0] = c
    m[..., 0, 2] = s
    m[..., 2, 0] = -s
    m[..., 2, 2] = c
    return m


def _pose_right(shape: HandShape, wrist: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """Forward kinematics of a right hand; wrist (N, 7), angles (N, 5, 4) -> (N, 26, 7)."""
    n = wrist.shape[0]
    r_wrist = Rotation.from_quat(wrist[:, 3:7]).as_matrix()
    p_wrist = wrist[:, :3]
    pos = np.empty((n, JOINT_COUNT, 3))
    rot = np.empty((n, JOINT_COUNT, 3, 3))
    pos[:, WRIST] = p_wrist
    rot[:, WRIST] = r_wrist
    bends: tuple[np.ndarray, ...]
    lengths: tuple[float, ...]
    for f, joints in enumerate(FINGERS):
        seg = shape.segments[f]
        base = p_wrist + np.einsum("nij,j->ni", r_wrist, shape.bases[f])
        r = r_wrist @ _REST[f]
        if f == THUMB:
            # The thumb's metacarpal moves at the CMC joint.
            r = r @ _rot_y(angles[:, f, 3]) @ _rot_x(-angles[:, f, 0])
            bends = (_rot_x(-angles[:, f, 1]), _rot_x(-angles[:, f, 2]))
            lengths = (seg[0], seg[1], seg[3])
        else:
            # Finger metacarpals are rigid; the MCP is a universal joint
            # (abduction, then flexion about the abducted axis).
            mcp = _rot_y(_ABDUCTION_SIGN[f] * angles[:, f, 3]) @ _rot_x(-angles[:, f, 0])
            bends = (mcp, _rot_x(-angles[:, f, 1]), _rot_x(-angles[:, f, 2]))
            lengths = (seg[0], seg[1], seg[2], seg[3])
        p = base
        for k, j in enumerate(joints):
            pos[:, j] = p
            rot[:, j] = r
            if k < len(lengths):
                p = p - r[:, :, 2] * lengths[k]  # along the bone, -Z
            if k < len(bends):
                r = r @ bends[k]
    middle = FINGERS[MIDDLE]
    pos[:, PALM] = 0.5 * (pos[:, middle[0]] + pos[:, middle[1]])
    rot[:, PALM] = rot[:, middle[0]]
    out = np.empty((n, JOINT_COUNT, POSE_SIZE))
    out[..., :3] = pos
    out[..., 3:] = Rotation.from_matrix(rot.reshape(-1, 3, 3)).as_quat(canonical=True).reshape(
        n, JOINT_COUNT, 4
    )
    return out


def pose_hand(
    shape: HandShape, wrist_pose: np.ndarray, angles: np.ndarray, side: str = "right"
) -> np.ndarray:
    """Joint poses (..., 26, 7) of a hand from its wrist pose (..., 7) and angles (..., 5, 4).

    ``wrist_pose`` is position + quaternion (x, y, z, w) of the wrist joint in
    the output space; ``side`` 'left' builds the mirror-image hand, so the same
    angles give the same gesture with the thumb on the other side. Works on a
    single frame or on a batch of frames at once.
    """
    wrist_pose = np.asarray(wrist_pose, dtype=np.float64)
    angles = np.asarray(angles, dtype=np.float64)
    if wrist_pose.shape[-1:] != (POSE_SIZE,) or angles.shape[-2:] != ANGLE_SHAPE:
        raise VrtrainerError(
            f"pose_hand wants wrist poses (..., 7) and angles (..., 5, 4), got "
            f"{wrist_pose.shape} and {angles.shape}"
        )
    if side not in ("right", "left"):
        raise VrtrainerError(f"side must be 'right' or 'left', not {side!r}")
    batch = np.broadcast_shapes(wrist_pose.shape[:-1], angles.shape[:-2])
    wrist = np.broadcast_to(wrist_pose, batch + (POSE_SIZE,)).reshape(-1, POSE_SIZE).copy()
    ang = np.broadcast_to(angles, batch + ANGLE_SHAPE).reshape(-1, *ANGLE_SHAPE).copy()
    if side == "left":
        wrist = mirror_poses(wrist)
    out = _pose_right(shape, wrist, ang)
    if side == "left":
        out = mirror_poses(out)
    return out.reshape(batch + (JOINT_COUNT, POSE_SIZE))


def orientation(axes: str, degrees: tuple[float, ...] | list[float]) -> np.ndarray:
    """Quaternion (x, y, z, w) from intrinsic rotations, e.g. ``orientation("XY", (90, 20))``.

    Axes are the rotating frame's, upper case as in scipy (X then Y about the
    new Y). Identity is a right hand palm down with the fingers pointing -Z.
    """
    return Rotation.from_euler(axes, degrees, degrees=True).as_quat(canonical=True)


def make_pose(position: tuple[float, float, float] | np.ndarray, quat: np.ndarray) -> np.ndarray:
    """A pose (7,) from a position and a quaternion (normalised)."""
    q = np.asarray(quat, dtype=np.float64)
    norm = np.linalg.norm(q)
    if not np.isfinite(norm) or norm < 1e-9:
        raise VrtrainerError(f"quaternion {q} cannot be normalised")
    return np.concatenate([np.asarray(position, dtype=np.float64), q / norm])


def compose_poses(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pose ``a`` then ``b`` expressed in ``a``'s frame: world pose of a child (..., 7)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    ra = Rotation.from_quat(a[..., 3:7].reshape(-1, 4).copy())
    rb = Rotation.from_quat(b[..., 3:7].reshape(-1, 4).copy())
    shape = np.broadcast_shapes(a.shape, b.shape)
    pa = np.broadcast_to(a[..., :3], shape[:-1] + (3,)).reshape(-1, 3).copy()
    pb = np.broadcast_to(b[..., :3], shape[:-1] + (3,)).reshape(-1, 3).copy()
    out = np.empty((pa.shape[0], POSE_SIZE))
    out[:, :3] = pa + ra.apply(pb)
    out[:, 3:] = (ra * rb).as_quat(canonical=True)
    return out.reshape(shape)


def relative_pose(parent: np.ndarray, child: np.ndarray) -> np.ndarray:
    """The pose of ``child`` in ``parent``'s frame (inverse of :func:`compose_poses`)."""
    parent = np.asarray(parent, dtype=np.float64)
    child = np.asarray(child, dtype=np.float64)
    rp = Rotation.from_quat(parent[..., 3:7].reshape(-1, 4).copy())
    rc = Rotation.from_quat(child[..., 3:7].reshape(-1, 4).copy())
    shape = np.broadcast_shapes(parent.shape, child.shape)
    d = np.broadcast_to(child[..., :3] - parent[..., :3], shape[:-1] + (3,)).reshape(-1, 3).copy()
    out = np.empty((d.shape[0], POSE_SIZE))
    out[:, :3] = rp.inv().apply(d)
    out[:, 3:] = (rp.inv() * rc).as_quat(canonical=True)
    return out.reshape(shape)
