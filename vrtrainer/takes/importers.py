"""Importers: captures from other trackers turned into takes (OpenXR's 26 joints, tools).

Three formats are read (joint-by-joint mapping and reasoning in docs/importers.md):

* ``shrec17``: SHREC'17 / DHG-14/28 Intel RealSense skeletons, ``skeletons_world.txt``:
  one line per frame, 66 numbers separated by spaces = 22 joints x (x, y, z) in metres
  (wrist, palm, then base..tip of thumb, index, middle, ring, little), 30 fps.
* ``sfinge3d``: SFINGE 3D Leap Motion captures: one line per frame, 140 numbers
  separated by ';' or ',' (a trailing separator allowed) = 20 joints x (position x, y, z,
  quaternion x, y, z, w): palm, thumb A, B, tip, then A, B, C, tip of index, middle,
  ring, little, in a left-handed (Unity) space, 20 fps.
* ``jigsaws``: JIGSAWS da Vinci kinematics, 30 Hz: the two master manipulators the
  surgeon's hands hold become two tools with a gripper channel each (no hands).

Joints the tracker measured get POSITION_VALID | POSITION_TRACKED; joints derived from
them (metacarpals, OpenXR's palm, ...) only POSITION_VALID. Orientations are all derived
from bone directions and the palm plane, so they are ORIENTATION_VALID, never TRACKED.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vrtrainer.errors import InvalidFileError, VrtrainerError
from vrtrainer.hands.hand import (
    FINGERS,
    HAND_COUNT,
    JOINT_COUNT,
    LEFT,
    ORIENTATION_TRACKED,
    ORIENTATION_VALID,
    PALM,
    PARENTS,
    POSE_SIZE,
    POSITION_TRACKED,
    POSITION_VALID,
    RIGHT,
    WRIST,
)
from vrtrainer.takes.take import MAX_FRAMES, Take, TakeMeta, empty_take

#: Largest capture file read (bytes); a 40-minute Leap capture at 20 fps is ~60 MB.
MAX_FILE_BYTES = 128 * 1024 * 1024
#: Longest line accepted (characters); a SFINGE line is ~1.3 kB.
MAX_LINE_CHARS = 16_384
#: Coordinates beyond this many metres from the origin are refused as absurd.
MAX_COORDINATE = 100.0
#: A hand's measured joints lie at least this far (m) from their centroid in some joint:
#: less is every joint at one point, a blank or placeholder frame.
MIN_HAND_SPREAD_M = 0.01
#: ... and no joint further than this from it: more is not one hand.
MAX_HAND_SPREAD_M = 0.5
#: Fastest a joint may move between frames. Real captures peak at 12.5 m/s (SHREC'17)
#: and 3.9 m/s (SFINGE 3D) over every file; faster is a tracking glitch.
MAX_JOINT_SPEED_M_S = 30.0

MEASURED = POSITION_VALID | POSITION_TRACKED | ORIENTATION_VALID
DERIVED = POSITION_VALID | ORIENTATION_VALID

#: Where a finger's metacarpal joint (its carpometacarpal joint) lies on the segment from
#: the wrist to the finger's knuckle: the carpal bones take about a quarter of that length
#: for the four fingers; the thumb's carpometacarpal joint sits further out (measured on
#: the RealSense skeletons, which report it: 2.6 cm of 6.6 cm).
METACARPAL_FRACTION = 0.25
THUMB_METACARPAL_FRACTION = 0.4

#: Nominal joint radii (metres) for an average adult hand: palm, wrist, then per finger
#: joint from the metacarpal to the tip.
_PALM_RADIUS = 0.02
_WRIST_RADIUS = 0.02
_FINGER_RADII = (
    (0.019, 0.013, 0.011, 0.009),
    (0.021, 0.011, 0.009, 0.008, 0.007),
    (0.021, 0.011, 0.009, 0.008, 0.007),
    (0.019, 0.010, 0.008, 0.007, 0.006),
    (0.017, 0.009, 0.007, 0.006, 0.005),
)


def nominal_radii() -> np.ndarray:
    """(26,) float32 nominal joint radii; the imported trackers report none."""
    radii = np.zeros(JOINT_COUNT, np.float32)
    radii[PALM] = _PALM_RADIUS
    radii[WRIST] = _WRIST_RADIUS
    for finger, values in zip(FINGERS, _FINGER_RADII):
        radii[list(finger)] = values
    return radii


# ---------------------------------------------------------------------------- parsing


def read_rows(
    path: str | Path,
    n_values: int,
    separators: str,
    *,
    max_bytes: int | None = None,
    max_frames: int = MAX_FRAMES,
) -> np.ndarray:
    """Read a text file of ``n_values`` numbers per line into (frames, n_values) float64.

    ``separators`` lists the characters that may separate numbers (whitespace always
    does); one trailing separator per line is allowed, blank lines are skipped. Every
    problem (missing file, size, encoding, column count, non-number, NaN or infinity,
    absurd size) raises InvalidFileError naming the file and the line.
    """
    path = Path(path)
    text = _read_text(path, MAX_FILE_BYTES if max_bytes is None else max_bytes)
    return _parse_rows(path, text.splitlines(), n_values, separators, 1, max_frames)


def _read_text(path: Path, max_bytes: int) -> str:
    """The file as ASCII text, refusing missing, non-regular, oversized or binary files."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidFileError(path, f"cannot read: {exc.strerror or exc}") from None
    if not path.is_file():
        raise InvalidFileError(path, "not a regular file")
    if size > max_bytes:
        raise InvalidFileError(path, f"{size} bytes, more than the {max_bytes} accepted")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidFileError(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidFileError(path, f"line {line}: not a plain-text number file") from None


def _parse_rows(
    path: Path, lines: list[str], n_values: int, separators: str, first: int, max_frames: int
) -> np.ndarray:
    """Numbers of ``lines`` (the first is line number ``first``), see :func:`read_rows`."""
    table = str.maketrans({c: " " for c in separators})
    rows: list[list[float]] = []
    for number, line in enumerate(lines, start=first):
        if len(line) > MAX_LINE_CHARS:
            raise InvalidFileError(path, f"line {number}: longer than {MAX_LINE_CHARS} characters")
        stripped = line.strip()
        if not stripped:
            continue
        if stripped[-1] in separators:
            stripped = stripped[:-1]
        fields = stripped.translate(table).split() if separators else stripped.split()
        if len(fields) != n_values or (separators and _empty_field(stripped, separators)):
            raise InvalidFileError(
                path, f"line {number}: {len(fields)} values, expected {n_values}"
            )
        try:
            values = [float(f) for f in fields]
        except ValueError:
            bad = next(f for f in fields if not _is_float(f))
            raise InvalidFileError(path, f"line {number}: {bad[:20]!r} is not a number") from None
        if not all(math.isfinite(v) for v in values):
            raise InvalidFileError(path, f"line {number}: NaN or infinite value")
        if len(rows) >= max_frames:
            raise InvalidFileError(path, f"more than {max_frames} frames")
        rows.append(values)
    if not rows:
        raise InvalidFileError(path, "no frames (empty file)")
    return np.asarray(rows, dtype=np.float64)


def _empty_field(line: str, separators: str) -> bool:
    """True when two separators follow each other (a missing value)."""
    for sep in separators:
        if sep + sep in line.replace(" ", "") or line.startswith(sep):
            return True
    return False


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_coordinates(path: Path, positions: np.ndarray) -> None:
    """Refuse captures whose coordinates are too far away to be metres of a hand."""
    far = np.abs(positions).max(axis=(1, 2)) > MAX_COORDINATE
    if far.any():
        line = int(np.argmax(far)) + 1
        raise InvalidFileError(
            path, f"frame {line}: coordinate beyond {MAX_COORDINATE:g} m (not metres?)"
        )


# ---------------------------------------------------------------------------- geometry


def _check_plausible(path: Path, positions: np.ndarray, measured: np.ndarray,
                     rate: float) -> None:
    """Refuse a capture no hand could make: joints all at one point, a hand spread over
    more than a metre, or joints jumping faster than :data:`MAX_JOINT_SPEED_M_S`."""
    p = positions[:, measured]
    spread = np.linalg.norm(p - p.mean(axis=1, keepdims=True), axis=-1).max(axis=1)
    low = np.flatnonzero(spread < MIN_HAND_SPREAD_M)
    if low.size:
        raise InvalidFileError(
            path, f"frame {low[0] + 1}: every joint lies within {MIN_HAND_SPREAD_M * 100:g} cm "
            "of the others (a blank frame, or all joints at the origin?)"
        )
    high = np.flatnonzero(spread > MAX_HAND_SPREAD_M)
    if high.size:
        raise InvalidFileError(
            path, f"frame {high[0] + 1}: joints lie up to {spread[high[0]]:.2f} m from the hand's "
            f"centre, over {MAX_HAND_SPREAD_M:g} m: not one hand"
        )
    if p.shape[0] > 1:
        speed = np.linalg.norm(np.diff(p, axis=0), axis=-1).max(axis=1) * rate
        fast = np.flatnonzero(speed > MAX_JOINT_SPEED_M_S)
        if fast.size:
            i = fast[0]
            raise InvalidFileError(
                path, f"frame {i + 2}: a joint moves {speed[i] / rate:.2f} m in one frame "
                f"({speed[i]:.0f} m/s, over {MAX_JOINT_SPEED_M_S:g} m/s): a tracking glitch?"
            )


def _unit(v: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """Normalise (..., 3) vectors; near-zero ones take ``fallback`` (same shape)."""
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    ok = n > 1e-9
    return np.where(ok, v / np.where(ok, n, 1.0), fallback)


def _orthogonal(v: np.ndarray, z: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """The unit component of ``v`` orthogonal to unit ``z``, or ``fallback`` if none."""
    return _unit(v - (v * z).sum(-1, keepdims=True) * z, fallback)


def _frame_quat(z: np.ndarray, y_hint: np.ndarray, x_hint: np.ndarray | None) -> np.ndarray:
    """Quaternions (..., 4) of right-handed frames with +Z = ``z``.

    With ``x_hint`` the +X axis is ``x_hint`` made orthogonal to Z (and +Y = Z x X); else
    +Y is ``y_hint`` made orthogonal to Z. The other hint is the fallback when the first
    is parallel to the bone.
    """
    if x_hint is None:
        y = _orthogonal(y_hint, z, _any_perpendicular(z))
        x = np.cross(y, z)
    else:
        y_alt = _orthogonal(y_hint, z, _any_perpendicular(z))
        x = _orthogonal(x_hint, z, np.cross(y_alt, z))
        y = np.cross(z, x)
    return matrices_to_quats(np.stack([x, y, z], axis=-1))


def _any_perpendicular(z: np.ndarray) -> np.ndarray:
    """Some unit vector perpendicular to each unit ``z`` (last-resort fallback)."""
    helper = np.where(np.abs(z[..., :1]) < 0.9, [1.0, 0.0, 0.0], [0.0, 1.0, 0.0])
    return _unit(np.cross(z, helper), np.broadcast_to([0.0, 0.0, 1.0], z.shape))


def matrices_to_quats(m: np.ndarray) -> np.ndarray:
    """Quaternions (..., 4) stored (x, y, z, w), w >= 0, of rotation matrices (..., 3, 3).

    Vectorised (Shepperd's method: each matrix uses the largest of the four candidate
    denominators), so importing thousands of frames stays fast.
    """
    m = np.asarray(m, dtype=np.float64)
    m00, m11, m22 = m[..., 0, 0], m[..., 1, 1], m[..., 2, 2]
    candidates = np.stack(
        [1 + m00 - m11 - m22, 1 - m00 + m11 - m22, 1 - m00 - m11 + m22, 1 + m00 + m11 + m22],
        axis=-1,
    )
    pick = np.argmax(candidates, axis=-1)
    s = np.sqrt(np.maximum(np.take_along_axis(candidates, pick[..., None], -1)[..., 0], 1e-12))
    s2 = 2.0 * s
    a21, a12 = m[..., 2, 1], m[..., 1, 2]
    a02, a20 = m[..., 0, 2], m[..., 2, 0]
    a10, a01 = m[..., 1, 0], m[..., 0, 1]
    q = np.empty(m.shape[:-2] + (4,))
    options = [
        (s / 2, (a01 + a10) / s2, (a02 + a20) / s2, (a21 - a12) / s2),
        ((a01 + a10) / s2, s / 2, (a12 + a21) / s2, (a02 - a20) / s2),
        ((a02 + a20) / s2, (a12 + a21) / s2, s / 2, (a10 - a01) / s2),
        ((a21 - a12) / s2, (a02 - a20) / s2, (a10 - a01) / s2, s / 2),
    ]
    for k, comps in enumerate(options):
        sel = pick == k
        for c in range(4):
            q[..., c] = np.where(sel, comps[c], q[..., c] if k else 0.0)
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    return np.where(q[..., 3:4] < 0, -q, q)


def back_of_hand(positions: np.ndarray, hand: int) -> np.ndarray:
    """Unit normal (..., 3) out of the back of the hand from the palm plane.

    The plane goes through the wrist and the index and little knuckles (proximal
    joints); which side is the back depends on the hand: for a right hand it is
    (little - wrist) x (index - wrist), for a left hand the opposite.
    """
    p = positions
    n = np.cross(p[..., 22, :] - p[..., WRIST, :], p[..., 7, :] - p[..., WRIST, :])
    if hand == LEFT:
        n = -n
    return _unit(n, _any_perpendicular(_unit(p[..., 12, :] - p[..., WRIST, :], n)))


def joint_orientations(positions: np.ndarray, hand: int) -> np.ndarray:
    """Quaternions (T, 26, 4) for every joint from positions (T, 26, 3), OpenXR frames.

    +Z of a joint points back along the bone it starts, away from the fingertip (a tip
    uses the bone that ends at it; wrist and palm use the middle metacarpal). Fingers
    take +X from the palm's lateral axis (index to little knuckle on a right hand,
    little to index on a left one), which stays perpendicular to bones that only flex;
    wrist, palm and thumb take +Y from the back-of-hand normal. +Y then points out of the
    back of the hand for a flat hand, and rolls with the finger when it flexes.
    """
    p = np.asarray(positions, dtype=np.float64)
    back = back_of_hand(p, hand)
    lateral = p[:, 22] - p[:, 7]
    if hand == LEFT:
        lateral = -lateral
    quats = np.zeros(p.shape[:2] + (4,))
    middle_dir = _unit(p[:, 11] - p[:, 12], -back)
    quats[:, WRIST] = _frame_quat(_unit(p[:, WRIST] - p[:, 12], middle_dir), back, None)
    quats[:, PALM] = _frame_quat(middle_dir, back, None)
    for fi, finger in enumerate(FINGERS):
        for k, j in enumerate(finger):
            if k + 1 < len(finger):
                bone = p[:, j] - p[:, finger[k + 1]]
            else:
                bone = p[:, PARENTS[j]] - p[:, j]
            z = _unit(bone, middle_dir)
            quats[:, j] = _frame_quat(z, back, None if fi == 0 else lateral)
    return quats


# ---------------------------------------------------------------------------- builders


@dataclass(frozen=True)
class ImportFormat:
    """One importable capture format: its reader and its defaults."""

    name: str
    description: str
    rate: float
    read: Callable[..., Take]


def _hand_index(handedness: str) -> int:
    if handedness not in ("right", "left"):
        raise VrtrainerError(f"handedness must be 'right' or 'left', not {handedness!r}")
    return RIGHT if handedness == "right" else LEFT


def _check_rate(rate: float) -> float:
    rate = float(rate)
    if not (math.isfinite(rate) and 0 < rate <= 2000):
        raise VrtrainerError(f"frame rate must be in (0, 2000] Hz, got {rate}")
    return rate


def _build_take(
    path: Path,
    positions: np.ndarray,
    measured: np.ndarray,
    hand: int,
    rate: float,
    source: str,
    notes: str,
) -> Take:
    """A one-handed take from 26 OpenXR joint positions (T, 26, 3) per frame."""
    _check_plausible(path, positions, measured, rate)
    n = positions.shape[0]
    poses = np.zeros((n, HAND_COUNT, JOINT_COUNT, POSE_SIZE), np.float32)
    poses[..., 6] = 1.0
    poses[:, hand, :, :3] = positions
    poses[:, hand, :, 3:] = joint_orientations(positions, hand)
    flags = np.zeros((n, HAND_COUNT, JOINT_COUNT), np.uint8)
    flags[:, hand] = np.where(measured, MEASURED, DERIVED)
    radii = np.zeros((n, HAND_COUNT, JOINT_COUNT), np.float32)
    radii[:, hand] = nominal_radii()
    active = np.zeros((n, HAND_COUNT), bool)
    active[:, hand] = True
    meta = TakeMeta(
        role="expert",
        handedness="right" if hand == RIGHT else "left",
        source=f"{source}:{path.name}",
        nominal_rate=rate,
        notes=notes,
    )
    take = Take(
        times=np.arange(n, dtype=np.float64) / rate,
        poses=poses,
        radii=radii,
        flags=flags,
        active=active,
        meta=meta,
    )
    take.validate(path)
    return take


def _metacarpal(wrist: np.ndarray, knuckle: np.ndarray, fraction: float) -> np.ndarray:
    return wrist + fraction * (knuckle - wrist)


#: SHREC'17 joint (0..21) -> OpenXR joint. Palm (1) is not mapped: RealSense's palm
#: centre lies half-way from the wrist to the middle knuckle, OpenXR's palm at the centre
#: of the middle metacarpal, so the latter is derived.
SHREC17_TO_OPENXR: dict[int, int] = {
    0: WRIST,
    **{2 + k: FINGERS[0][k] for k in range(4)},
    **{6 + 4 * (f - 1) + k: FINGERS[f][1 + k] for f in range(1, 5) for k in range(4)},
}


def read_shrec17(path: str | Path, *, handedness: str = "right", rate: float = 30.0) -> Take:
    """Import a SHREC'17 / DHG ``skeletons_world.txt`` (22 RealSense joints) as a take.

    Positions stay in the capture's own frame (metres). The RealSense skeleton measures
    the wrist, the thumb from its carpometacarpal joint to its tip and the four fingers
    from the knuckle to the tip; the four finger metacarpal joints and OpenXR's palm are
    derived (see docs/importers.md).
    """
    path = Path(path)
    hand = _hand_index(handedness)
    rate = _check_rate(rate)
    raw = read_rows(path, 66, "").reshape(-1, 22, 3)
    _check_coordinates(path, raw)
    p = np.zeros((raw.shape[0], JOINT_COUNT, 3))
    measured = np.zeros(JOINT_COUNT, bool)
    for src, dst in SHREC17_TO_OPENXR.items():
        p[:, dst] = raw[:, src]
        measured[dst] = True
    for finger in FINGERS[1:]:
        p[:, finger[0]] = _metacarpal(p[:, WRIST], p[:, finger[1]], METACARPAL_FRACTION)
    p[:, PALM] = 0.5 * (p[:, 11] + p[:, 12])
    return _build_take(
        path, p, measured, hand, rate, "shrec17",
        "imported from a SHREC'17/DHG RealSense skeleton; metacarpals and palm derived",
    )


#: SFINGE 3D joint (0..19) -> OpenXR joint. SFINGE's joint 0 is labelled palm, yet it
#: lies about 9 cm from the middle knuckle (median over the dictionary), where the wrist
#: is; it is taken as the wrist.
SFINGE3D_TO_OPENXR: dict[int, int] = {
    0: WRIST,
    **{1 + k: FINGERS[0][1 + k] for k in range(3)},
    **{4 + 4 * (f - 1) + k: FINGERS[f][1 + k] for f in range(1, 5) for k in range(4)},
}


def read_sfinge3d(path: str | Path, *, handedness: str = "right", rate: float = 20.0) -> Take:
    """Import a SFINGE 3D Leap Motion capture (20 joints with quaternions) as a take.

    The capture space is left-handed (Unity: y up, z forward); z is negated to make it
    right-handed as OpenXR's. The Leap quaternions are checked (unit norm) but not used:
    orientations come from the bones like for every import, so all formats agree. The
    metacarpal joints and OpenXR's palm are derived (see docs/importers.md).
    """
    path = Path(path)
    hand = _hand_index(handedness)
    rate = _check_rate(rate)
    raw = read_rows(path, 140, ";,").reshape(-1, 20, 7)
    _check_coordinates(path, raw[..., :3])
    norms = np.linalg.norm(raw[..., 3:], axis=-1)
    bad = np.abs(norms - 1.0) > 0.01
    if bad.any():
        frame, joint = np.argwhere(bad)[0]
        raise InvalidFileError(
            path, f"line {frame + 1}: joint {joint} quaternion has norm {norms[frame, joint]:.3f}"
        )
    src = raw[..., :3] * [1.0, 1.0, -1.0]
    p = np.zeros((raw.shape[0], JOINT_COUNT, 3))
    measured = np.zeros(JOINT_COUNT, bool)
    for s, d in SFINGE3D_TO_OPENXR.items():
        p[:, d] = src[:, s]
        measured[d] = True
    p[:, FINGERS[0][0]] = _metacarpal(p[:, WRIST], p[:, FINGERS[0][1]], THUMB_METACARPAL_FRACTION)
    for finger in FINGERS[1:]:
        p[:, finger[0]] = _metacarpal(p[:, WRIST], p[:, finger[1]], METACARPAL_FRACTION)
    p[:, PALM] = 0.5 * (p[:, 11] + p[:, 12])
    return _build_take(
        path, p, measured, hand, rate, "sfinge3d",
        "imported from a SFINGE 3D Leap Motion capture; wrist from SFINGE's palm, "
        "metacarpals and palm derived, z negated (left-handed source)",
    )


# ---------------------------------------------------------------------------- JIGSAWS

#: The two master manipulators of a JIGSAWS kinematics file, as they become tools.
JIGSAWS_MASTERS = ("MASTER_LEFT", "MASTER_RIGHT")
JIGSAWS_TOOLS = ("master_left", "master_right")
#: Per manipulator, in the order of the standard 76-column file (19 per manipulator,
#: MASTER_LEFT, MASTER_RIGHT, SLAVE_LEFT, SLAVE_RIGHT).
JIGSAWS_FIELDS = (
    "POS_X", "POS_Y", "POS_Z",
    *(f"ROT_R{r}{c}" for r in (1, 2, 3) for c in (1, 2, 3)),
    "LIN_VEL_X", "LIN_VEL_Y", "LIN_VEL_Z", "ROT_VEL_X", "ROT_VEL_Y", "ROT_VEL_Z",
    "GRIPPER_ANGLE",
)
JIGSAWS_COLUMNS = tuple(
    f"{arm}_{f}"
    for arm in ("MASTER_LEFT", "MASTER_RIGHT", "SLAVE_LEFT", "SLAVE_RIGHT")
    for f in JIGSAWS_FIELDS
)
#: The da Vinci console frame to OpenXR's: its +x points to the surgeon's left (the left
#: master sits at +x), +y up, +z away from the surgeon; a half turn about y makes it
#: OpenXR's +x right, +y up, +z towards the user. A rotation, so handedness is kept.
DAVINCI_TO_OPENXR = np.diag([-1.0, 1.0, -1.0])
#: Largest departure of a stored rotation matrix from orthonormal (|R R^T - I|) accepted;
#: the recorded ones are within 0.002.
ROTATION_TOLERANCE = 0.05
#: Gripper angles beyond this (radians) are refused as absurd (the recorded span -2..0.6).
MAX_GRIPPER_ANGLE = 2 * math.pi


def read_jigsaws(path: str | Path, *, handedness: str = "right", rate: float = 30.0) -> Take:
    """Import a JIGSAWS kinematics file: the two master manipulators as two tools.

    Tools ``master_left`` and ``master_right`` get the manipulator's position (m) and
    orientation (its rotation matrix as a quaternion), both turned into OpenXR's axes by
    :data:`DAVINCI_TO_OPENXR`, and its gripper angle (radians) in ``tool_grippers``. Both
    hands are inactive. The file is either the processed CSV (a header line naming the
    columns, comma separated) or the original text (76 numbers a line, whitespace
    separated, in :data:`JIGSAWS_COLUMNS` order); the patient-side columns and the
    velocities are read but not kept. ``handedness`` is the surgeon's dominant hand.
    """
    path = Path(path)
    _hand_index(handedness)
    rate = _check_rate(rate)
    lines = _read_text(path, MAX_FILE_BYTES).splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise InvalidFileError(path, "no frames (empty file)")
    head = lines[first]
    if len(head) > MAX_LINE_CHARS:
        raise InvalidFileError(path, f"line {first + 1}: longer than {MAX_LINE_CHARS} characters")
    names = [c.strip() for c in head.replace(",", " ").split()]
    if names and not _is_float(names[0]):
        missing = [c for c in (f"{m}_{f}" for m in JIGSAWS_MASTERS for f in JIGSAWS_FIELDS)
                   if c not in names]
        if missing:
            raise InvalidFileError(
                path, f"line {first + 1}: header lacks column {missing[0]} "
                      f"({len(missing)} master columns missing)")
        if len(set(names)) != len(names):
            raise InvalidFileError(path, f"line {first + 1}: header repeats a column name")
        body, start = lines[first + 1:], first + 2
    else:
        names, body, start = list(JIGSAWS_COLUMNS), lines, 1
    raw = _parse_rows(path, body, len(names), ",", start, MAX_FRAMES)
    col = {name: i for i, name in enumerate(names)}
    n = raw.shape[0]
    tools = np.zeros((n, len(JIGSAWS_MASTERS), POSE_SIZE), np.float32)
    grippers = np.zeros((n, len(JIGSAWS_MASTERS)), np.float32)
    for k, arm in enumerate(JIGSAWS_MASTERS):
        pos = raw[:, [col[f"{arm}_{f}"] for f in JIGSAWS_FIELDS[:3]]]
        rot = raw[:, [col[f"{arm}_{f}"] for f in JIGSAWS_FIELDS[3:12]]].reshape(n, 3, 3)
        grip = raw[:, col[f"{arm}_GRIPPER_ANGLE"]]
        far = np.abs(pos).max(axis=1) > MAX_COORDINATE
        if far.any():
            raise InvalidFileError(path, f"frame {int(np.argmax(far)) + 1}: {arm} position "
                                         f"beyond {MAX_COORDINATE:g} m (not metres?)")
        error = np.abs(rot @ rot.transpose(0, 2, 1) - np.eye(3)).max(axis=(1, 2))
        bad = (error > ROTATION_TOLERANCE) | (np.linalg.det(rot) <= 0)
        if bad.any():
            raise InvalidFileError(path, f"frame {int(np.argmax(bad)) + 1}: {arm} rotation "
                                         "matrix is not a rotation")
        wild = np.abs(grip) > MAX_GRIPPER_ANGLE
        if wild.any():
            raise InvalidFileError(path, f"frame {int(np.argmax(wild)) + 1}: {arm} gripper "
                                         f"angle beyond {MAX_GRIPPER_ANGLE:.2f} rad")
        tools[:, k, :3] = pos @ DAVINCI_TO_OPENXR.T
        tools[:, k, 3:] = matrices_to_quats(DAVINCI_TO_OPENXR @ rot)
        grippers[:, k] = grip
    take = empty_take(n, JIGSAWS_TOOLS)
    take.times = np.arange(n, dtype=np.float64) / rate
    take.tools = tools
    take.tool_flags = np.full((n, len(JIGSAWS_TOOLS)), MEASURED | ORIENTATION_TRACKED, np.uint8)
    take.tool_grippers = grippers
    match = _JIGSAWS_NAME.fullmatch(path.stem)
    take.meta = TakeMeta(
        role="expert", handedness=handedness, source=f"jigsaws:{path.name}", nominal_rate=rate,
        scenario=match.group(1) if match else "", performer=match.group(2) if match else "",
        notes="imported from JIGSAWS kinematics: master manipulators as tools "
              "master_left/master_right, da Vinci console frame turned to OpenXR's",
    )
    take.validate(path)
    return take


_JIGSAWS_NAME = re.compile(r"([A-Za-z_]+)_([A-Z])(\d{3})")


@dataclass(frozen=True)
class JigsawsRating:
    """One trial's ratings in a JIGSAWS meta file."""

    trial: str
    skill: str  # self-proclaimed: N novice, I intermediate, E expert
    grs: int  # global rating score, 6..30
    osats: tuple[int, ...]  # the six sub-scores, 1..5

    @property
    def subject(self) -> str:
        """The subject letter of the trial name (``Knot_Tying_B001`` -> ``B``)."""
        m = _JIGSAWS_NAME.fullmatch(self.trial)
        return m.group(2) if m else ""


#: Largest meta file read (bytes); the real ones are ~2 kB.
MAX_META_BYTES = 1024 * 1024


def read_jigsaws_meta(path: str | Path) -> dict[str, JigsawsRating]:
    """Ratings of a JIGSAWS ``meta_file_<Task>.txt``, by trial name.

    A line is: trial name, self-proclaimed skill (N, I or E), GRS (6..30), then the six
    OSATS sub-scores (1..5), whitespace separated. Anything else is refused naming the
    line.
    """
    path = Path(path)
    out: dict[str, JigsawsRating] = {}
    for number, line in enumerate(_read_text(path, MAX_META_BYTES).splitlines(), start=1):
        if len(line) > MAX_LINE_CHARS:
            raise InvalidFileError(path, f"line {number}: longer than {MAX_LINE_CHARS} characters")
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 9:
            raise InvalidFileError(path, f"line {number}: {len(fields)} fields, expected 9 "
                                         "(trial, skill, GRS, six OSATS scores)")
        trial, skill, *scores = fields
        if not _JIGSAWS_NAME.fullmatch(trial):
            raise InvalidFileError(path, f"line {number}: {trial[:40]!r} is not a trial name")
        if skill not in ("N", "I", "E"):
            raise InvalidFileError(path, f"line {number}: skill {skill[:10]!r} is not N, I or E")
        if not all(s.isdigit() and len(s) <= 2 for s in scores):
            raise InvalidFileError(path, f"line {number}: scores must be whole numbers")
        grs, *osats = (int(s) for s in scores)
        if not 6 <= grs <= 30 or not all(1 <= o <= 5 for o in osats):
            raise InvalidFileError(path, f"line {number}: GRS must be 6..30 and OSATS 1..5")
        if trial in out:
            raise InvalidFileError(path, f"line {number}: trial {trial} is listed twice")
        out[trial] = JigsawsRating(trial, skill, grs, tuple(osats))
    if not out:
        raise InvalidFileError(path, "no trials (empty file)")
    return out


FORMATS: dict[str, ImportFormat] = {
    "shrec17": ImportFormat(
        "shrec17", "SHREC'17 / DHG RealSense skeletons_world.txt (22 joints, 30 fps)",
        30.0, read_shrec17,
    ),
    "sfinge3d": ImportFormat(
        "sfinge3d", "SFINGE 3D Leap Motion text (20 joints + quaternions, 20 fps)",
        20.0, read_sfinge3d,
    ),
    "jigsaws": ImportFormat(
        "jigsaws", "JIGSAWS da Vinci kinematics (two master manipulators as tools, 30 Hz)",
        30.0, read_jigsaws,
    ),
}


def import_take(
    fmt: str, path: str | Path, *, handedness: str = "right", rate: float | None = None
) -> Take:
    """Import ``path`` in format ``fmt`` (a key of FORMATS) as a take."""
    if fmt not in FORMATS:
        raise VrtrainerError(f"unknown import format {fmt!r}; known: {', '.join(FORMATS)}")
    f = FORMATS[fmt]
    return f.read(path, handedness=handedness, rate=f.rate if rate is None else rate)
