"""Open, versioned, pickle-free array archives: a zip of .npy files plus header.json.

Takes, expert templates and the arrays inside scenario packs all use this
container. It is readable with the standard library and numpy alone::

    with zipfile.ZipFile(path) as z:
        header = json.loads(z.read("header.json"))
        poses = np.load(io.BytesIO(z.read("poses.npy")), allow_pickle=False)

Reading checks everything before trusting it: member names, sizes and
compression ratios (zip bombs), each array's declared dtype and shape from its
.npy header before the data is read (no object dtypes, no pickles, no
oversized arrays), and the header's kind and format version.
"""

from __future__ import annotations

import io
import json
import math
import os
import stat
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib import format as npformat

from vrtrainer.errors import InvalidFileError
from vrtrainer.files import atomic_output

HEADER_NAME = "header.json"
#: Default cap on the bytes an archive may hold once uncompressed.
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
#: Cap on the header's size; it holds metadata only.
MAX_HEADER_BYTES = 1024 * 1024
#: Cap on the compression ratio of members big enough to matter. Deflate
#: cannot exceed about 1032:1, which a constant array (a simulated take's
#: radii) nearly reaches, so the cap sits just above it and only other
#: methods (refused anyway) or forged headers could pass it.
MAX_RATIO = 1100
#: Compression methods accepted: stored and deflate (bounded ratio).
COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
MAX_MEMBERS = 64


@dataclass(frozen=True)
class ArraySpec:
    """What one array must be: allowed dtypes and a shape pattern.

    ``shape`` holds ints for fixed sizes and strings for sizes that must agree
    between arrays (e.g. "T" for the frame count); ``required`` False lets the
    array be absent.
    """

    dtypes: tuple[str, ...]
    shape: tuple[int | str, ...]
    required: bool = True


def write_archive(
    path: str | Path,
    kind: str,
    version: int,
    header: Mapping[str, Any],
    arrays: Mapping[str, np.ndarray],
) -> None:
    """Write ``arrays`` and ``header`` atomically to ``path``.

    The file is written beside its destination, flushed to disk, then renamed
    over it, so a crash leaves either the old file or the new one, never half.
    """
    full_header = {"kind": kind, "format_version": version, **dict(header)}
    with atomic_output(path) as raw:
        with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr(HEADER_NAME, json.dumps(full_header, indent=1, sort_keys=True))
            for name, array in arrays.items():
                array = np.ascontiguousarray(array)
                if array.dtype.hasobject:
                    raise ValueError(f"array {name!r} has object dtype")
                buf = io.BytesIO()
                npformat.write_array(buf, array, allow_pickle=False)
                z.writestr(f"{name}.npy", buf.getvalue())


def open_regular(path: str | Path, max_bytes: int | None = None):
    """Open ``path`` for binary reading only if it is a regular file (at most ``max_bytes``).

    A FIFO, device or socket named like a take would block ``open`` or never end; it is
    opened without blocking, looked at, and refused. Raises :class:`InvalidFileError`.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InvalidFileError(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InvalidFileError(path, "is not a regular file (a folder, FIFO or device?)")
        if max_bytes is not None and info.st_size > max_bytes:
            raise InvalidFileError(
                path, f"file is {info.st_size} bytes, over the cap of {max_bytes}"
            )
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_archive(
    path: str | Path,
    kind: str,
    versions: tuple[int, ...],
    specs: Mapping[str, ArraySpec],
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: Mapping[str, int] | None = None,
) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, int]]:
    """Read and check an archive written by :func:`write_archive`.

    Returns the header, the arrays and the sizes bound to the shape symbols
    (e.g. ``{"T": 900}``). ``limits`` caps symbols (e.g. ``{"T": 216000}``), checked
    from each array's ``.npy`` header before its data is read. Raises
    :class:`InvalidFileError` naming the file and the problem for anything
    unexpected; nothing is unpickled or executed.
    """
    path = Path(path)
    raw = open_regular(path, max_bytes)
    try:
        zf = zipfile.ZipFile(raw)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raw.close()
        raise InvalidFileError(path, f"not a valid archive (zip): {exc}") from None
    with raw, zf:
        return _read(zf, path, kind, versions, specs, max_bytes, dict(limits or {}))


def _read(zf: zipfile.ZipFile, path: Path, kind: str, versions: tuple[int, ...],
          specs: Mapping[str, ArraySpec], max_bytes: int, limits: dict[str, int]
          ) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, int]]:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise InvalidFileError(path, f"{len(infos)} members, more than the cap of {MAX_MEMBERS}")
    by_name: dict[str, zipfile.ZipInfo] = {}
    total = 0
    allowed = {HEADER_NAME} | {f"{name}.npy" for name in specs}
    for info in infos:
        name = info.filename
        if name not in allowed:
            raise InvalidFileError(path, f"unexpected member {name!r} (only {sorted(allowed)})")
        if name in by_name:
            raise InvalidFileError(path, f"member {name!r} appears twice")
        if info.flag_bits & 0x1:
            raise InvalidFileError(path, f"member {name!r} is encrypted")
        if info.compress_type not in COMPRESSIONS:
            raise InvalidFileError(
                path, f"member {name!r} uses compression method {info.compress_type}; "
                "only stored and deflate are accepted"
            )
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
            raise InvalidFileError(
                path, f"member {name!r} compression ratio is over {MAX_RATIO} (zip bomb?)"
            )
        total += info.file_size
        by_name[name] = info
    if total > max_bytes:
        raise InvalidFileError(path, f"uncompressed size {total} bytes is over the cap {max_bytes}")
    if HEADER_NAME not in by_name:
        raise InvalidFileError(path, "no header.json inside")
    if by_name[HEADER_NAME].file_size > MAX_HEADER_BYTES:
        raise InvalidFileError(path, "header.json is too large")
    header = _parse_header(path, _read_member(zf, path, by_name[HEADER_NAME]))
    if header.get("kind") != kind:
        raise InvalidFileError(path, f"is a {header.get('kind')!r} file, expected {kind!r}")
    version = header.get("format_version")
    if type(version) is not int or version not in versions:  # not True, not 1.0
        raise InvalidFileError(
            path,
            f"format version {version!r} is not supported (this vrtrainer reads {list(versions)})",
        )
    arrays: dict[str, np.ndarray] = {}
    symbols: dict[str, int] = {}
    for name, spec in specs.items():
        member = by_name.get(f"{name}.npy")
        if member is None:
            if spec.required:
                raise InvalidFileError(path, f"array {name!r} is missing")
            continue
        arrays[name] = _read_array(zf, path, member, name, spec, symbols, max_bytes, limits)
    return header, arrays, symbols


def _read_member(zf: zipfile.ZipFile, path: Path, info: zipfile.ZipInfo) -> bytes:
    try:
        with zf.open(info) as f:
            data = f.read(info.file_size + 1)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise InvalidFileError(path, f"member {info.filename!r} is damaged: {exc}") from None
    except Exception as exc:  # zlib.error and friends from a corrupt stream
        raise InvalidFileError(path, f"member {info.filename!r} is damaged: {exc}") from None
    if len(data) != info.file_size:
        raise InvalidFileError(path, f"member {info.filename!r} is not the size it declares")
    return data


def _parse_header(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        header = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # ValueError: also ints over 4300 digits
        raise InvalidFileError(path, f"header.json is not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(header, dict):
        raise InvalidFileError(path, "header.json is not a JSON object")
    return header


def _read_array(
    zf, path, info, name, spec: ArraySpec, symbols: dict[str, int], max_bytes: int,
    limits: Mapping[str, int],
) -> np.ndarray:
    """Read one ``.npy`` member: its header first, checked, then exactly its data."""
    try:
        stream = zf.open(info)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise InvalidFileError(path, f"member {info.filename!r} is damaged: {exc}") from None
    with stream:
        shape, dtype, offset = _array_header(stream, path, info, name)
        expected = _check_array_header(path, name, spec, shape, dtype, symbols, max_bytes,
                                       limits)
        if offset + expected != info.file_size:
            raise InvalidFileError(
                path, f"array {name!r} declares {expected} bytes of data but holds "
                f"{info.file_size - offset}"
            )
        try:
            data = stream.read(expected + 1)
        except Exception as exc:  # zlib.error, BadZipFile (CRC) from a corrupt stream
            raise InvalidFileError(path, f"member {info.filename!r} is damaged: {exc}") from None
    if len(data) != expected:
        raise InvalidFileError(path, f"member {info.filename!r} is not the size it declares")
    array = np.frombuffer(data, dtype=dtype).reshape(shape)
    if dtype.kind == "b" and array.size and data.translate(None, b"\x00\x01"):
        raise InvalidFileError(path, f"array {name!r} holds booleans other than 0 and 1")
    return array.copy()


def _array_header(stream, path, info, name) -> tuple[tuple, np.dtype, int]:
    """Shape, dtype and data offset from a ``.npy`` header read off ``stream``."""
    try:
        major, minor = npformat.read_magic(stream)
        if (major, minor) == (1, 0):
            shape, fortran, dtype = npformat.read_array_header_1_0(stream)
        elif (major, minor) == (2, 0):
            shape, fortran, dtype = npformat.read_array_header_2_0(stream)
        else:
            raise ValueError(f"unsupported .npy version {major}.{minor}")
        offset = stream.tell()
    except InvalidFileError:
        raise
    except Exception as exc:
        raise InvalidFileError(path, f"array {name!r} has a bad .npy header: {exc}") from None
    if fortran:
        raise InvalidFileError(path, f"array {name!r} is Fortran-ordered; expected C order")
    return shape, dtype, offset


def _check_array_header(
    path, name, spec: ArraySpec, shape, dtype, symbols: dict[str, int], max_bytes: int,
    limits: Mapping[str, int],
) -> int:
    """Check a declared dtype and shape against ``spec`` and the caps; return data bytes.

    Sizes are Python integers: a product of dimensions cannot wrap around as int64 does.
    """
    if dtype.hasobject:
        raise InvalidFileError(path, f"array {name!r} holds Python objects (pickle); refused")
    if dtype.str.lstrip("<|=") not in {d.lstrip("<|=") for d in spec.dtypes} or dtype.str[0] == ">":
        raise InvalidFileError(
            path, f"array {name!r} has dtype {dtype.str}, expected one of {list(spec.dtypes)}"
        )
    if not isinstance(shape, tuple) or not all(
        type(d) is int and d >= 0 for d in shape  # not bool, not negative
    ):
        raise InvalidFileError(path, f"array {name!r} declares shape {shape!r}, not sizes")
    if len(shape) != len(spec.shape):
        raise InvalidFileError(
            path, f"array {name!r} has shape {shape}, expected {len(spec.shape)} dimensions"
        )
    expected = math.prod(shape) * dtype.itemsize
    if expected > max_bytes:
        raise InvalidFileError(
            path, f"array {name!r} declares {expected} bytes, over the cap of {max_bytes}"
        )
    for got, want in zip(shape, spec.shape):
        if isinstance(want, int):
            if got != want:
                raise InvalidFileError(
                    path, f"array {name!r} has shape {shape}, expected {_pattern(spec.shape)}"
                )
            continue
        if want in limits and got > limits[want]:
            raise InvalidFileError(
                path, f"array {name!r} declares {got} along {want!r}, over the cap of "
                f"{limits[want]}"
            )
        if symbols.setdefault(want, got) != got:
            raise InvalidFileError(
                path,
                f"array {name!r} has {got} along {want!r} but other arrays have {symbols[want]}",
            )
    return expected


def _pattern(shape: tuple[int | str, ...]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"
