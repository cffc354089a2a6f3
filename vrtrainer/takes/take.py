"""Recorded takes: both hands over time, their validity, tools, head and metadata.

A take file (``.vrtake``) is a :mod:`vrtrainer.takes.archive`: a zip holding
``header.json`` (kind "vrtrainer.take", format version, metadata, tool names)
and these arrays, all little-endian, C order (T frames, K tools):

============  ================  =======  ===========================================
array         shape             dtype    meaning
============  ================  =======  ===========================================
times         (T,)              float64  seconds, strictly increasing
poses         (T, 2, 26, 7)     float32  per hand (0 left, 1 right) and joint:
                                         position x, y, z (m), quaternion x, y, z, w
radii         (T, 2, 26)        float32  joint radii (m)
flags         (T, 2, 26)        uint8    XrSpaceLocationFlags bits
active        (T, 2)            bool     XrHandJointLocationsEXT.isActive
tools         (T, K, 7)         float32  tool/controller poses, optional
tool_flags    (T, K)            uint8    XrSpaceLocationFlags of each tool pose
tool_grippers (T, K)            float32  each tool's gripper or trigger value (radians
                                         of jaw opening, or a trigger's 0..1), optional;
                                         read where the tool's pose is valid
head          (T, 7)            float32  head (view) pose, optional
head_flags    (T,)              uint8    XrSpaceLocationFlags of the head pose
============  ================  =======  ===========================================

Values are checked only where their flags say valid: a joint whose position is
not valid may hold anything finite or NaN, and nothing downstream may use it.

While an attempt is recorded, :class:`TakeWriter` appends frames to a journal
(``<take>.partial``) flushed at least every quarter second of take time, so a
process that dies loses at most that; :func:`recover_take` rebuilds a take from
the journal's complete records.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import time as _time
import zlib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from vrtrainer import __version__
from vrtrainer.errors import InvalidFileError, VrtrainerError
from vrtrainer.files import atomic_output
from vrtrainer.hands.hand import (
    HAND_COUNT,
    HAND_NAMES,
    JOINT_COUNT,
    JOINT_NAMES,
    ORIENTATION_VALID,
    POSE_SIZE,
    POSITION_VALID,
    HandFrame,
    hand_length,
)
from vrtrainer.takes.archive import ArraySpec, open_regular, read_archive, write_archive
from vrtrainer.takes.timebase import check_times

KIND = "vrtrainer.take"
FORMAT_VERSION = 1
SUFFIX = ".vrtake"
JOURNAL_SUFFIX = ".partial"
#: Largest take accepted: 40 minutes at 90 Hz.
MAX_FRAMES = 216_000
MAX_TOOLS = 8
#: Cap on a take file's uncompressed size (bytes).
MAX_BYTES = 512 * 1024 * 1024
#: Largest gripper/trigger magnitude accepted (radians or a 0..1 value: 2 pi is a full turn).
MAX_GRIPPER = 2 * np.pi
#: Tolerance on quaternion norms (float32 storage, runtime rounding).
QUAT_NORM_TOLERANCE = 1e-3

ROLES = ("expert", "trainee")
HANDEDNESS = ("right", "left")

_SPECS = {
    "times": ArraySpec(("<f8",), ("T",)),
    "poses": ArraySpec(("<f4",), ("T", HAND_COUNT, JOINT_COUNT, POSE_SIZE)),
    "radii": ArraySpec(("<f4",), ("T", HAND_COUNT, JOINT_COUNT)),
    "flags": ArraySpec(("|u1",), ("T", HAND_COUNT, JOINT_COUNT)),
    "active": ArraySpec(("|b1",), ("T", HAND_COUNT)),
    "tools": ArraySpec(("<f4",), ("T", "K", POSE_SIZE), required=False),
    "tool_flags": ArraySpec(("|u1",), ("T", "K"), required=False),
    "tool_grippers": ArraySpec(("<f4",), ("T", "K"), required=False),
    "head": ArraySpec(("<f4",), ("T", POSE_SIZE), required=False),
    "head_flags": ArraySpec(("|u1",), ("T",), required=False),
}


@dataclass
class TakeMeta:
    """Who performed a take, of what, with which device; stored in header.json."""

    scenario: str = ""
    step: int = 0
    role: str = "trainee"
    performer: str = ""
    handedness: str = "right"
    source: str = ""
    nominal_rate: float = 90.0
    created: str = ""
    vrtrainer_version: str = __version__
    notes: str = ""
    synthetic: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.created:
            self.created = datetime.now(UTC).isoformat(timespec="seconds")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any, path: str | Path = "<take>") -> TakeMeta:
        """Build from a header's ``meta`` object, checking every field's type."""
        if not isinstance(data, dict):
            raise InvalidFileError(path, "header 'meta' is not an object")
        types: dict[str, type | tuple[type, ...]] = {
            "scenario": str, "step": int, "role": str, "performer": str, "handedness": str,
            "source": str, "nominal_rate": (int, float), "created": str,
            "vrtrainer_version": str, "notes": str, "synthetic": bool, "extra": dict,
        }
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in types:
                continue  # fields from a newer minor version are ignored, not fatal
            if isinstance(value, bool) and types[key] is not bool:
                raise InvalidFileError(path, f"meta.{key} has the wrong type (bool)")
            if not isinstance(value, types[key]):
                raise InvalidFileError(
                    path, f"meta.{key} should be {getattr(types[key], '__name__', 'a number')}"
                )
            kwargs[key] = value
        meta = cls(**kwargs)
        if meta.role not in ROLES:
            raise InvalidFileError(path, f"meta.role is {meta.role!r}, expected one of {ROLES}")
        if meta.handedness not in HANDEDNESS:
            raise InvalidFileError(path, f"meta.handedness is {meta.handedness!r}")
        if not (0 < meta.nominal_rate <= 2000):
            raise InvalidFileError(path, f"meta.nominal_rate {meta.nominal_rate} is not plausible")
        return meta


@dataclass
class Take:
    """Both hands over T frames (see the module docstring for the arrays)."""

    times: np.ndarray
    poses: np.ndarray
    radii: np.ndarray
    flags: np.ndarray
    active: np.ndarray
    meta: TakeMeta = field(default_factory=TakeMeta)
    tool_names: tuple[str, ...] = ()
    tools: np.ndarray | None = None
    tool_flags: np.ndarray | None = None
    head: np.ndarray | None = None
    head_flags: np.ndarray | None = None
    tool_grippers: np.ndarray | None = None

    @property
    def n_frames(self) -> int:
        return int(self.times.shape[0])

    @property
    def duration(self) -> float:
        """Seconds from the first frame to the last."""
        return float(self.times[-1] - self.times[0]) if self.n_frames > 1 else 0.0

    def frame(self, i: int, out: HandFrame | None = None) -> HandFrame:
        """Frame ``i`` as a HandFrame, written into ``out`` when given (no allocation)."""
        if out is None:
            out = HandFrame()
        out.time = float(self.times[i])
        out.poses[...] = self.poses[i]
        out.radii[...] = self.radii[i]
        out.flags[...] = self.flags[i]
        out.active[...] = self.active[i]
        return out

    def tools_at(self, i: int) -> dict[str, np.ndarray | None]:
        """Each tool's pose (7,) at frame ``i``, None where its position is not valid."""
        if self.tools is None or self.tool_flags is None:
            return {}
        tools, flags = self.tools, self.tool_flags
        return {name: tools[i, n] if flags[i, n] & POSITION_VALID else None
                for n, name in enumerate(self.tool_names)}

    def tool_pose(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Poses (T, 7) and flags (T,) of the named tool."""
        if self.tools is None or self.tool_flags is None or name not in self.tool_names:
            raise VrtrainerError(f"take has no tool named {name!r} (tools: {self.tool_names})")
        k = self.tool_names.index(name)
        return self.tools[:, k], self.tool_flags[:, k]

    def slice(self, start: int, stop: int) -> Take:
        """Frames ``start:stop`` as a new take (copies)."""
        sl = slice(start, stop)
        return Take(
            times=self.times[sl].copy(),
            poses=self.poses[sl].copy(),
            radii=self.radii[sl].copy(),
            flags=self.flags[sl].copy(),
            active=self.active[sl].copy(),
            meta=TakeMeta(**{**self.meta.to_dict(), "extra": dict(self.meta.extra)}),
            tool_names=self.tool_names,
            tools=None if self.tools is None else self.tools[sl].copy(),
            tool_flags=None if self.tool_flags is None else self.tool_flags[sl].copy(),
            head=None if self.head is None else self.head[sl].copy(),
            head_flags=None if self.head_flags is None else self.head_flags[sl].copy(),
            tool_grippers=None if self.tool_grippers is None
            else self.tool_grippers[sl].copy(),
        )

    def validate(self, path: str | Path = "<take>") -> None:
        """Check shapes, dtypes and values; raise InvalidFileError naming ``path``."""
        validate_arrays(self._arrays(), self.tool_names, path, self.meta.nominal_rate)

    def _arrays(self) -> dict[str, np.ndarray]:
        arrays = {
            "times": self.times, "poses": self.poses, "radii": self.radii,
            "flags": self.flags, "active": self.active,
        }
        if self.tools is not None:
            arrays["tools"] = self.tools
            if self.tool_flags is not None:  # else validate_arrays says they come together
                arrays["tool_flags"] = self.tool_flags
            if self.tool_grippers is not None:
                arrays["tool_grippers"] = self.tool_grippers
        if self.head is not None:
            arrays["head"] = self.head
            if self.head_flags is not None:
                arrays["head_flags"] = self.head_flags
        return arrays


def empty_take(n_frames: int, tool_names: tuple[str, ...] = (), head: bool = False) -> Take:
    """A take of ``n_frames`` untracked frames, for builders to fill in."""
    k = len(tool_names)
    return Take(
        times=np.arange(n_frames, dtype=np.float64) / 90.0,
        poses=np.tile(np.array([0, 0, 0, 0, 0, 0, 1], np.float32), (n_frames, 2, 26, 1)),
        radii=np.zeros((n_frames, 2, 26), np.float32),
        flags=np.zeros((n_frames, 2, 26), np.uint8),
        active=np.zeros((n_frames, 2), bool),
        tool_names=tuple(tool_names),
        tools=np.tile(np.array([0, 0, 0, 0, 0, 0, 1], np.float32), (n_frames, k, 1))
        if k else None,
        tool_flags=np.zeros((n_frames, k), np.uint8) if k else None,
        head=np.tile(np.array([0, 1.6, 0, 0, 0, 0, 1], np.float32), (n_frames, 1))
        if head else None,
        head_flags=np.zeros(n_frames, np.uint8) if head else None,
    )


def validate_arrays(arrays: dict[str, np.ndarray], tool_names, path,
                    nominal_rate: float | None = None) -> None:
    """Check a take's arrays for shape, dtype and value consistency.

    Times must be a plausible time base for ``nominal_rate`` (see
    :func:`vrtrainer.takes.timebase.check_times`).
    """
    expected = {name: spec for name, spec in _SPECS.items()}
    symbols: dict[str, int] = {}
    for name, spec in expected.items():
        a = arrays.get(name)
        if a is None:
            if spec.required:
                raise InvalidFileError(path, f"array {name!r} is missing")
            continue
        if not isinstance(a, np.ndarray):
            raise InvalidFileError(path, f"array {name!r} is not a numpy array")
        if a.dtype.str.lstrip("<|=") not in {d.lstrip("<|=") for d in spec.dtypes}:
            raise InvalidFileError(path, f"array {name!r} has dtype {a.dtype}, want {spec.dtypes}")
        if a.ndim != len(spec.shape):
            raise InvalidFileError(path, f"array {name!r} has shape {a.shape}")
        for got, want in zip(a.shape, spec.shape):
            if isinstance(want, int) and got != want:
                raise InvalidFileError(path, f"array {name!r} has shape {a.shape}")
            if isinstance(want, str) and symbols.setdefault(want, got) != got:
                raise InvalidFileError(path, f"array {name!r} disagrees on {want}: {a.shape}")
    if ("tools" in arrays) != ("tool_flags" in arrays):
        raise InvalidFileError(path, "tools and tool_flags must come together")
    if ("head" in arrays) != ("head_flags" in arrays):
        raise InvalidFileError(path, "head and head_flags must come together")
    if "tool_grippers" in arrays and "tools" not in arrays:
        raise InvalidFileError(path, "tool_grippers needs tools")
    n = symbols["T"]
    if n < 1:
        raise InvalidFileError(path, "take has no frames")
    if n > MAX_FRAMES:
        raise InvalidFileError(path, f"take has {n} frames, over the cap of {MAX_FRAMES}")
    k = symbols.get("K", 0)
    if k > MAX_TOOLS or len(tool_names) != k:
        raise InvalidFileError(path, f"{k} tool arrays but tool names {list(tool_names)}")
    if not all(isinstance(t, str) and 0 < len(t) <= 200 for t in tool_names):
        raise InvalidFileError(path, "tool names must be non-empty strings of at most 200 chars")
    check_times(arrays["times"], path, nominal_rate)
    _check_poses(path, "poses", arrays["poses"], arrays["flags"], arrays["active"][..., None])
    radii, flags = arrays["radii"], arrays["flags"]
    pos_ok = (flags & POSITION_VALID) != 0
    r = radii[pos_ok]
    if r.size and not (np.all(np.isfinite(r)) and np.all(r >= 0) and np.all(r < 0.1)):
        raise InvalidFileError(path, "joint radii are not finite and within 0-10 cm where valid")
    if np.any(flags & 0xF0):
        raise InvalidFileError(path, "flags have bits outside XrSpaceLocationFlags")
    if "tools" in arrays:
        _check_poses(path, "tools", arrays["tools"], arrays["tool_flags"], True)
    if "tool_grippers" in arrays:
        g = arrays["tool_grippers"][(arrays["tool_flags"] & POSITION_VALID) != 0]
        if g.size and not (np.all(np.isfinite(g)) and np.max(np.abs(g)) <= MAX_GRIPPER):
            raise InvalidFileError(
                path, f"tool_grippers are not finite and within +-{MAX_GRIPPER:g} where valid")
    if "head" in arrays:
        _check_poses(path, "head", arrays["head"], arrays["head_flags"], True)


def _check_poses(path, name, poses, flags, active) -> None:
    if np.any(flags & 0xF0):
        raise InvalidFileError(path, f"{name} flags have bits outside XrSpaceLocationFlags")
    pos_ok = ((flags & POSITION_VALID) != 0) & active
    ori_ok = ((flags & ORIENTATION_VALID) != 0) & active
    p = poses[..., :3][pos_ok]
    if not np.all(np.isfinite(p)):
        where = np.argwhere(pos_ok & ~np.all(np.isfinite(poses[..., :3]), axis=-1))[0]
        raise InvalidFileError(
            path, f"{name} has NaN/inf positions flagged valid at index {tuple(where)}"
        )
    if p.size and np.max(np.abs(p)) > 1000:
        raise InvalidFileError(path, f"{name} has positions over 1 km from the origin")
    q = poses[..., 3:][ori_ok].astype(np.float64)
    if q.size:
        if not np.all(np.isfinite(q)):
            raise InvalidFileError(path, f"{name} has NaN/inf orientations flagged valid")
        norms = np.linalg.norm(q, axis=-1)
        if np.max(np.abs(norms - 1.0)) > QUAT_NORM_TOLERANCE:
            raise InvalidFileError(path, f"{name} has quaternions that are not unit length")


def save_take(take: Take, path: str | Path) -> Path:
    """Validate and write ``take`` to ``path`` atomically; return the path."""
    path = Path(path)
    take.validate(path)
    header = {
        "meta": take.meta.to_dict(),
        "n_frames": take.n_frames,
        "tool_names": list(take.tool_names),
        "conventions": "OpenXR: metres, seconds, right-handed, quaternion xyzw, "
        "XR_EXT_hand_tracking joint order, hands 0=left 1=right",
    }
    write_archive(path, KIND, FORMAT_VERSION, header, take._arrays())
    return path


def load_take(path: str | Path) -> Take:
    """Read a take, refusing anything malformed with an error naming the file."""
    header, arrays, _ = read_archive(path, KIND, (FORMAT_VERSION,), _SPECS, MAX_BYTES,
                                     limits={"T": MAX_FRAMES, "K": MAX_TOOLS})
    meta = TakeMeta.from_dict(header.get("meta"), path)
    tool_names = header.get("tool_names", [])
    if not isinstance(tool_names, list) or not all(isinstance(t, str) for t in tool_names):
        raise InvalidFileError(path, "header tool_names is not a list of names")
    validate_arrays(arrays, tuple(tool_names), path, meta.nominal_rate)
    if header.get("n_frames") != arrays["times"].shape[0]:
        raise InvalidFileError(path, "header n_frames disagrees with the arrays")
    return Take(
        times=arrays["times"], poses=arrays["poses"], radii=arrays["radii"],
        flags=arrays["flags"], active=arrays["active"], meta=meta,
        tool_names=tuple(tool_names), tools=arrays.get("tools"),
        tool_flags=arrays.get("tool_flags"), head=arrays.get("head"),
        head_flags=arrays.get("head_flags"), tool_grippers=arrays.get("tool_grippers"),
    )


def summarize(take: Take) -> dict[str, Any]:
    """What `vrtrainer info` says: duration, rate, coverage, hand size per hand."""
    n = take.n_frames
    rate = float(1.0 / np.median(np.diff(take.times))) if n > 1 else 0.0
    hands: dict[str, Any] = {}
    for h, name in enumerate(HAND_NAMES):
        valid = ((take.flags[:, h] & POSITION_VALID) != 0) & take.active[:, h, None]
        length = None
        full = valid.all(axis=1)
        if full.any():
            length = float(np.median(hand_length(take.poses[full, h, :, :3])))
        hands[name] = {
            "active_share": float(take.active[:, h].mean()),
            "valid_joint_share": float(valid.mean()),
            "hand_length_m": length,
        }
    return {
        "frames": n,
        "duration_s": take.duration,
        "rate_hz": rate,
        "tools": list(take.tool_names),
        "has_head": take.head is not None,
        "hands": hands,
        "meta": take.meta.to_dict(),
    }


def write_csv(take: Take, stream: TextIO) -> None:
    """Write joint positions to ``stream`` as CSV (one row a frame).

    Columns: time_s, left_active, right_active, then <hand>_<joint>_<x|y|z>_m for
    every joint; a cell is empty where that joint's position is not valid.
    """
    cols = ["time_s", "left_active", "right_active"] + [
        f"{h}_{j}_{a}_m" for h in HAND_NAMES for j in JOINT_NAMES for a in "xyz"
    ]
    valid = ((take.flags & POSITION_VALID) != 0) & take.active[:, :, None]
    w = csv.writer(stream)
    w.writerow(cols)
    for i in range(take.n_frames):
        row: list[Any] = [f"{take.times[i]:.6f}", *map(int, take.active[i])]
        for h in range(HAND_COUNT):
            for j in range(JOINT_COUNT):
                if valid[i, h, j]:
                    row.extend(f"{v:.6f}" for v in take.poses[i, h, j, :3])
                else:
                    row.extend(("", "", ""))
        w.writerow(row)


def export_csv(take: Take, path: str | Path) -> Path:
    """Write joint positions to a spreadsheet-friendly CSV file atomically (see write_csv)."""
    path = Path(path)
    with atomic_output(path, "w", newline="") as f:  # synced, no .tmp left on failure
        write_csv(take, f)
    return path


# --- incremental, crash-safe recording ------------------------------------

_JOURNAL_MAGIC = b"VRTAKE-JOURNAL\x001\n"


def _crc_offset(dtype: np.dtype) -> int:
    """Byte offset of a record's CRC, which covers the bytes before it."""
    fields = dtype.fields
    if fields is None:
        raise TypeError("a journal record is a structured dtype")
    return int(fields["crc"][1])


def _record_dtype(k: int) -> np.dtype:
    fields = [
        ("time", "<f8"),
        ("poses", "<f4", (HAND_COUNT, JOINT_COUNT, POSE_SIZE)),
        ("radii", "<f4", (HAND_COUNT, JOINT_COUNT)),
        ("flags", "u1", (HAND_COUNT, JOINT_COUNT)),
        ("active", "u1", (HAND_COUNT,)),
        ("head", "<f4", (POSE_SIZE,)),
        ("head_flags", "u1"),
    ]
    if k:
        fields += [("tools", "<f4", (k, POSE_SIZE)), ("tool_flags", "u1", (k,))]
    fields.append(("crc", "<u4"))
    return np.dtype(fields)


class TakeWriter:
    """Record a take frame by frame so that a crash loses at most a fraction of a second.

    Frames go to a journal beside the final file (``<path>.partial``), written to
    the OS every ``flush_seconds`` of take time and fsynced at most once a second
    of wall time. :meth:`close` turns the journal into the take atomically.
    """

    def __init__(
        self,
        path: str | Path,
        meta: TakeMeta,
        tool_names: tuple[str, ...] = (),
        with_head: bool = False,
        flush_seconds: float = 0.25,
        batch: int = 64,
    ) -> None:
        self.path = Path(path)
        self.journal = journal_path(self.path)
        self.meta = meta
        self.tool_names = tuple(tool_names)
        self.with_head = with_head
        self.flush_seconds = flush_seconds
        self._dtype = _record_dtype(len(self.tool_names))
        self._buf = np.zeros(batch, self._dtype)
        self._raw = self._buf.view(np.uint8).reshape(batch, self._dtype.itemsize)
        self._n = 0
        self._count = 0
        self._last_time = -np.inf
        self._batch_start: float | None = None
        self._last_sync = _time.monotonic()
        self._closed = False
        self._failed: VrtrainerError | None = None
        header = json.dumps({
            "kind": KIND + ".journal", "format_version": FORMAT_VERSION,
            "meta": meta.to_dict(), "tool_names": list(self.tool_names),
            "with_head": with_head, "final_path": self.path.name,
        }).encode()
        self._f = open(self.journal, "wb")
        self._f.write(_JOURNAL_MAGIC + len(header).to_bytes(4, "little") + header)
        self._f.flush()
        os.fsync(self._f.fileno())

    @property
    def frames_written(self) -> int:
        return self._count + self._n

    def append(
        self,
        frame: HandFrame,
        tools: np.ndarray | None = None,
        tool_flags: np.ndarray | None = None,
        head: np.ndarray | None = None,
        head_flags: int = 0,
    ) -> None:
        """Add one frame; times must increase strictly."""
        if self._failed is not None:
            raise self._failed
        if self._closed:
            raise VrtrainerError(f"{self.path}: recording already closed")
        if not frame.time > self._last_time:
            raise VrtrainerError(
                f"{self.path}: frame time {frame.time} does not follow {self._last_time}"
            )
        self._last_time = frame.time
        i, b = self._n, self._buf
        b["time"][i] = frame.time
        b["poses"][i] = frame.poses
        b["radii"][i] = frame.radii
        b["flags"][i] = frame.flags
        b["active"][i] = frame.active
        b["head_flags"][i] = head_flags if head is not None else 0
        if head is not None:
            b["head"][i] = head
        if self.tool_names:
            if tools is not None:
                b["tools"][i] = tools
                b["tool_flags"][i] = tool_flags
            else:
                b["tool_flags"][i] = 0
        if self._batch_start is None:
            self._batch_start = frame.time
        self._n += 1
        if self._n == len(self._buf) or frame.time - self._batch_start >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        """Write buffered frames to the journal (and fsync if a second has passed)."""
        if self._failed is not None:
            raise self._failed
        try:
            if self._n:
                crc_off = _crc_offset(self._dtype)
                crc = self._buf["crc"]
                for i in range(self._n):
                    crc[i] = zlib.crc32(self._raw[i, :crc_off].data)
                self._f.write(self._raw[: self._n].tobytes())
                self._f.flush()
                self._count += self._n
                self._n = 0
                self._batch_start = None
            now = _time.monotonic()
            if now - self._last_sync >= 1.0:
                os.fsync(self._f.fileno())
                self._last_sync = now
        except OSError as exc:
            raise self._fail(exc) from None

    def _fail(self, exc: OSError) -> VrtrainerError:
        """Stop recording after a write error; the journal keeps every complete frame."""
        what = "disk full" if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) else \
            f"write failed ({exc.strerror or exc})"
        self._failed = VrtrainerError(
            f"{self.journal}: {what} while recording; the {self._count} frames written so "
            f"far are kept: `vrtrainer take recover {self.journal} -o OTHER_DISK.vrtake`")
        self._closed = True
        try:
            self._f.close()
        except OSError:
            pass  # the buffered tail cannot be written either; records are checksummed
        return self._failed

    def close(self, extra: dict[str, Any] | None = None) -> Take:
        """Finish: write the take file atomically, remove the journal, return the take.

        ``extra`` is merged into the take's ``meta.extra`` (e.g. frame timings).
        """
        self.flush()
        try:
            os.fsync(self._f.fileno())
            self._f.close()
        except OSError as exc:
            raise self._fail(exc) from None
        self._closed = True
        take = _take_from_journal(self.journal)
        if extra:
            take.meta.extra.update(extra)
        try:
            save_take(take, self.path)
        except OSError as exc:
            raise self._fail(exc) from None
        os.unlink(self.journal)
        return take

    def abort(self) -> None:
        """Stop recording but keep the journal for :func:`recover_take`."""
        if not self._closed:
            try:
                self.flush()
            finally:
                if not self._f.closed:
                    self._f.close()
                self._closed = True


def journal_path(take_path: str | Path) -> Path:
    """The journal file that records ``take_path`` while it is being recorded."""
    p = Path(take_path)
    return p.with_name(p.name + JOURNAL_SUFFIX)


#: Cap on a journal's JSON header (bytes).
MAX_JOURNAL_HEADER = 1_000_000
#: Journal records checked per read (bounded memory for any file size).
_JOURNAL_CHUNK = 2048


def _journal_header(journal: Path, f) -> dict[str, Any]:
    """The journal's JSON header, its kind, version and field types checked."""
    head = f.read(len(_JOURNAL_MAGIC) + 4)
    if not head.startswith(_JOURNAL_MAGIC) or len(head) < len(_JOURNAL_MAGIC) + 4:
        raise InvalidFileError(journal, "not a vrtrainer take journal")
    hlen = int.from_bytes(head[len(_JOURNAL_MAGIC):], "little")
    if hlen > MAX_JOURNAL_HEADER:
        raise InvalidFileError(journal, "journal header is damaged")
    raw = f.read(hlen)
    if len(raw) != hlen:
        raise InvalidFileError(journal, "journal header is damaged")
    try:
        header = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # also ints over 4300 digits, nesting bombs
        raise InvalidFileError(journal, f"journal header is not JSON: {str(exc)[:200]}") from None
    if not isinstance(header, dict):
        raise InvalidFileError(journal, "journal header is not a JSON object")
    if header.get("kind") != KIND + ".journal":
        raise InvalidFileError(journal, f"is a {str(header.get('kind'))[:80]!r} file, not a "
                                        "take journal")
    version = header.get("format_version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise InvalidFileError(
            journal, f"journal format version {str(version)[:40]} is not supported "
            f"(this vrtrainer reads {FORMAT_VERSION})"
        )
    tool_names = header.get("tool_names", [])
    if (not isinstance(tool_names, list) or len(tool_names) > MAX_TOOLS
            or not all(isinstance(t, str) and 0 < len(t) <= 200 for t in tool_names)):
        raise InvalidFileError(journal, "journal tool_names is not a list of tool names")
    if not isinstance(header.get("with_head", False), bool):
        raise InvalidFileError(journal, "journal with_head is not true or false")
    return header


def _take_from_journal(journal: Path) -> Take:
    with open_regular(journal) as f:
        header = _journal_header(journal, f)
        tool_names = header.get("tool_names", [])
        meta = TakeMeta.from_dict(header.get("meta"), journal)
        dtype = _record_dtype(len(tool_names))
        crc_off = _crc_offset(dtype)
        # Read records a chunk at a time and stop at the first torn one: a sparse or
        # padded file costs at most a chunk more than its good frames.
        chunks: list[np.ndarray] = []
        good = 0
        while good < MAX_FRAMES:
            want = min(_JOURNAL_CHUNK, MAX_FRAMES - good)
            try:
                body = f.read(want * dtype.itemsize)
            except OSError as exc:
                raise InvalidFileError(journal, f"cannot read: {exc.strerror or exc}") from None
            n = len(body) // dtype.itemsize
            if n == 0:
                break
            recs = np.frombuffer(body, dtype=dtype, count=n)
            raw = np.frombuffer(body, dtype=np.uint8, count=n * dtype.itemsize).reshape(n, -1)
            ok = 0
            for i in range(n):
                if zlib.crc32(raw[i, :crc_off].data) != recs["crc"][i]:
                    break
                ok += 1
            if ok:
                chunks.append(recs[:ok])
                good += ok
            if ok < want:
                break
    if good == 0:
        raise InvalidFileError(journal, "journal holds no complete frame")
    recs = np.concatenate(chunks)
    k = len(tool_names)
    with_head = bool(header.get("with_head"))
    take = Take(
        times=recs["time"].astype(np.float64),
        poses=recs["poses"].astype(np.float32),
        radii=recs["radii"].astype(np.float32),
        flags=recs["flags"].astype(np.uint8),
        active=recs["active"].astype(bool),
        meta=meta,
        tool_names=tuple(tool_names),
        tools=recs["tools"].astype(np.float32) if k else None,
        tool_flags=recs["tool_flags"].astype(np.uint8) if k else None,
        head=recs["head"].astype(np.float32) if with_head else None,
        head_flags=recs["head_flags"].astype(np.uint8) if with_head else None,
    )
    take.validate(journal)
    return take


def recover_take(journal: str | Path, out: str | Path | None = None) -> tuple[Take, Path]:
    """Rebuild the take from a crashed recording's journal and save it.

    Every complete frame (its checksum intact) is kept; a torn last frame is
    dropped. The take is written to ``out`` (default: the journal's name
    without ``.partial``); the journal is left in place for the user to delete.
    """
    journal = Path(journal)
    take = _take_from_journal(journal)
    if out is None:
        name = journal.name
        out = journal.with_name(name[: -len(JOURNAL_SUFFIX)] if name.endswith(JOURNAL_SUFFIX)
                                else name + SUFFIX)
    take.meta.notes = (take.meta.notes + " [recovered from an interrupted recording]").strip()
    save_take(take, out)
    return take, Path(out)
