"""Mutations of valid files for the fuzz harnesses: bytes, zips, .npy headers, JSON, TOML, text.

Each function takes the parent input and a ``random.Random`` and returns a child; they
aim at the places where loaders make decisions (sizes, counts, names, types, nesting)
rather than only at random bytes, which mostly stop at the first checksum.
"""

from __future__ import annotations

import copy
import io
import json
import random
import re
import struct
import warnings
import zipfile
from collections.abc import Callable

INTERESTING_INTS = (0, 1, -1, 2, 7, 26, 255, 256, 65535, 2**31 - 1, 2**31, 2**32 - 1, 2**32,
                    2**63 - 1, -(2**31), 10**12, 3_000_000_000)
WEIRD_JSON = (None, True, False, 0, -1, 1.5, 1e308, -1e308, 10**30, "", "x" * 5000, "\x00",
              "../../etc/passwd", "/etc/passwd", [], {}, [[[[[]]]]], {"a": {"b": {}}},
              "é\u202e", 2**63, float("nan"), float("inf"))
NUMBER_TOKENS = ("nan", "inf", "-inf", "1e400", "", " ", "-0", "0x10", "1_0", "\u0661",
                 "1e-400", "+", "9" * 400, "NaN", "infinity", "1,5", "\x00", "1e5", "-1e5")


def byte_mutation(data: bytes, rng: random.Random) -> bytes:
    """One classic byte-level edit: flip, set, overwrite an int, cut, insert, repeat."""
    b = bytearray(data)
    op = rng.randrange(8)
    if not b:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
    i = rng.randrange(len(b))
    if op == 0:
        b[i] ^= 1 << rng.randrange(8)
    elif op == 1:
        b[i] = rng.choice((0, 0xFF, 0x7F, 0x80, 0x20, 0x0A, 0x2E, 0x2F))
    elif op == 2:
        v = rng.choice(INTERESTING_INTS) & 0xFFFFFFFF
        b[i:i + 4] = struct.pack("<I", v)
    elif op == 3:
        del b[rng.randrange(len(b) + 1):]
    elif op == 4:
        b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 32)))
    elif op == 5:
        j = min(len(b), i + rng.randrange(1, 256))
        del b[i:j]
    elif op == 6:
        j = min(len(b), i + rng.randrange(1, 256))
        b[i:i] = b[i:j] * rng.randrange(1, 8)
    else:
        j = rng.randrange(len(b))
        b[i], b[j] = b[j], b[i]
    return bytes(b)


# -- zips ----------------------------------------------------------------------


def read_members(data: bytes) -> list[tuple[str, bytes]] | None:
    """The members of a zip held in ``data``, or None if it does not open."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return [(i.filename, z.read(i)) for i in z.infolist()]
    except Exception:
        return None


def write_members(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED,
                  odd: int | None = None) -> bytes:
    """A zip of ``members``, deflated fast; member ``odd`` (if given) uses ``method``."""
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w") as z:
        warnings.simplefilter("ignore")  # duplicate names are wanted
        for k, (name, content) in enumerate(members):
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = method if k == odd else zipfile.ZIP_DEFLATED
            z.writestr(info, content, compresslevel=1)
    return buf.getvalue()


HOSTILE_NAMES = ("../evil.txt", "/abs/evil.txt", "a/../../x.txt", "C:/x.txt", "a\\b.txt",
                 "takes/../../x.vrtake", "./scenario.toml", "a//b.txt", "x\x01.txt", "",
                 "run.sh", "model.pkl", "data.npy", "lib.so", "nested.zip", "é/ü.txt",
                 "a/" * 20 + "deep.txt", "scenario.toml")


def edit_central_directory(data: bytes, rng: random.Random) -> bytes:
    """Change one field of one central directory entry (sizes, method, flags, offset)."""
    b = bytearray(data)
    entries = [m.start() for m in re.finditer(b"PK\x01\x02", data)]
    if not entries:
        return byte_mutation(data, rng)
    pos = rng.choice(entries)
    field_at, fmt = rng.choice(((10, "<H"), (8, "<H"), (20, "<I"), (24, "<I"), (42, "<I"),
                                (28, "<H"), (38, "<I")))
    if pos + field_at + struct.calcsize(fmt) > len(b):
        return bytes(b)
    limit = 0xFFFF if fmt == "<H" else 0xFFFFFFFF
    value = rng.choice((0, 1, 8, 12, 14, 99, 0xFFFF, 0xFFFFFFFF, 10**9, 2**31, 1 << 20))
    struct.pack_into(fmt, b, pos + field_at, value & limit)
    return bytes(b)


def zip_mutation(data: bytes, rng: random.Random,
                 by_suffix: dict[str, Callable[[bytes, random.Random], bytes]]) -> bytes:
    """Edit a zip as a zip: one member's content (by its suffix), names, members, method."""
    members = read_members(data)
    if members is None or rng.random() < 0.1:
        return byte_mutation(data, rng)
    op = rng.randrange(10)
    if op <= 4 and members:
        k = rng.randrange(len(members))
        name, content = members[k]
        suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
        mutate = by_suffix.get(suffix, byte_mutation)
        members[k] = (name, mutate(content, rng))
    elif op == 5 and members:
        k = rng.randrange(len(members))
        members[k] = (rng.choice(HOSTILE_NAMES), members[k][1])
    elif op == 6:
        content = rng.choice((b"", b"\x7fELF" + bytes(60), b"#!/bin/sh\necho hi\n",
                              b"\x80\x04\x95" + bytes(20), b"\0" * rng.choice((10, 1 << 20))))
        members.append((rng.choice(HOSTILE_NAMES), content))
    elif op == 7 and members:
        members.pop(rng.randrange(len(members)))
    elif op == 8 and members:
        members.append(rng.choice(members))
    method = rng.choice((zipfile.ZIP_STORED,) * 2 + (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA))
    odd = rng.randrange(len(members)) if members and rng.random() < 0.2 else None
    try:
        out = write_members(members, method, odd)
    except Exception:
        return byte_mutation(data, rng)
    if op == 9 or rng.random() < 0.15:
        out = edit_central_directory(out, rng)
    return out


# -- .npy ----------------------------------------------------------------------

_NPY_DESCRS = ("'<f8'", "'<f4'", "'>f4'", "'|u1'", "'|b1'", "'|O'", "'<U8'", "'|V8'",
               "[('a', '<f4')]", "'<c16'", "'<i8'", "'<f2'", "'x'", "None", "'<M8[s]'")


def npy_mutation(data: bytes, rng: random.Random) -> bytes:
    """Edit a .npy file's header (shape, dtype, order, version, length) or its data."""
    if not data.startswith(b"\x93NUMPY") or len(data) < 10 or rng.random() < 0.15:
        return byte_mutation(data, rng)
    major = data[6]
    hl_size = 2 if major == 1 else 4
    hlen = int.from_bytes(data[8:8 + hl_size], "little")
    head_end = 8 + hl_size + hlen
    header = data[8 + hl_size:head_end].decode("latin1")
    body = data[head_end:]
    op = rng.randrange(8)
    if op == 0:
        dims = [rng.choice((0, 1, 2, 7, 26, -1, 10**12, 2**40, 216_001)) for _ in
                range(rng.randrange(0, 5))]
        shape = "(" + ", ".join(map(str, dims)) + ("," if len(dims) == 1 else "") + ")"
        header = re.sub(r"'shape': \([^)]*\)", f"'shape': {shape}", header)
    elif op == 1:
        header = re.sub(r"'descr': ('[^']*'|\[[^\]]*\])", f"'descr': {rng.choice(_NPY_DESCRS)}",
                        header)
    elif op == 2:
        header = header.replace("False", "True")
    elif op == 3:
        version = rng.choice((b"\x01\x00", b"\x02\x00", b"\x03\x00", b"\x09\x09"))
        return data[:6] + version + data[8:]
    elif op == 4:
        header = header.replace("{", "{" + rng.choice(("'x': 1, ", "'shape': (1,), ", "")), 1)
        header = rng.choice((header, header[: rng.randrange(len(header) + 1)]))
    elif op == 5 and body:
        b = bytearray(body)
        for _ in range(rng.randrange(1, 8)):
            at = rng.randrange(max(1, len(b) - 8))
            b[at:at + 8] = rng.choice((struct.pack("<d", float("nan")),
                                       struct.pack("<f", float("inf")) * 2,
                                       struct.pack("<f", 1e30) * 2, bytes(8), b"\xff" * 8,
                                       struct.pack("<f", -1.0) * 2))
        body = bytes(b)
    elif op == 6:
        body = body[: rng.randrange(len(body) + 1)] if rng.random() < 0.5 else body * 2
    else:
        return byte_mutation(data, rng)
    raw = header.encode("latin1")
    size = len(raw).to_bytes(hl_size, "little") if len(raw) < 256 ** hl_size else b"\xff" * hl_size
    return data[:8] + size + raw + body


# -- JSON, TOML and text ------------------------------------------------------


def _weird(rng: random.Random):
    return copy.deepcopy(rng.choice(WEIRD_JSON))


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


def json_value_mutation(doc, rng: random.Random):
    """Replace, delete or add one value somewhere in a parsed JSON document (in place)."""
    paths = list(_paths(doc))
    path = rng.choice(paths)
    if not path:
        return _weird(rng) if rng.random() < 0.1 else doc
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    op = rng.randrange(4)
    if op == 0 and isinstance(parent, dict):
        del parent[key]
    elif op == 0 and isinstance(parent, list):
        parent.pop(key)
    elif op == 1 and isinstance(parent, dict):
        parent[rng.choice(("x", "extra", "kind", "format_version", "shape", "__proto__"))] = \
            _weird(rng)
    elif op == 2 and isinstance(parent[key], int | float) and not isinstance(parent[key], bool):
        parent[key] = rng.choice((parent[key] * -1, parent[key] + 1, parent[key] * 1000,
                                  0, float("nan"), float("inf"), 2**64))
    else:
        parent[key] = _weird(rng)
    return doc


def json_mutation(data: bytes, rng: random.Random) -> bytes:
    """A parsed-and-redumped JSON edit most of the time, a byte edit otherwise."""
    try:
        doc = json.loads(data)
    except Exception:
        return byte_mutation(data, rng)
    if rng.random() < 0.15:
        return byte_mutation(data, rng)
    for _ in range(rng.randrange(1, 4)):
        doc = json_value_mutation(doc, rng)
    text = json.dumps(doc)
    if rng.random() < 0.05:
        depth = rng.choice((50, 2000, 100_000))
        text = text.replace("[]", "[" * depth + "]" * depth, 1) if "[]" in text else \
            "[" * depth + "]" * depth
    return text.encode()


_TOML_VALUES = ('""', "-1", "1e400", "nan", "inf", "[]", "{}", '"../x"', "true", "[[1]]",
                '"/etc/passwd"', "0", "99999999999999999999", '"a\\u0000b"', "2", "1979-05-27",
                '"assets/box.glb"', '"takes/expert-1.vrtake"', "[0, 0, 0, 0]", "[1e308, 0, 0]",
                '"scenario.toml"', '"assets/../scenario.toml"', '"takes/"', "{ a = { b = 1 } }")


def toml_mutation(data: bytes, rng: random.Random) -> bytes:
    """Line-level edits of a TOML document: values, keys, tables, nesting, garbage."""
    text = data.decode("utf-8", "replace")
    lines = text.splitlines() or [""]
    for _ in range(rng.randrange(1, 4)):
        i = rng.randrange(len(lines))
        op = rng.randrange(8)
        if op == 0:
            lines.pop(i)
        elif op == 1:
            lines.insert(i, lines[i])
        elif op == 2 and "=" in lines[i]:
            key = lines[i].split("=", 1)[0]
            lines[i] = f"{key}= {rng.choice(_TOML_VALUES)}"
        elif op == 3:
            depth = rng.choice((5, 13, 40, 3000))
            lines.insert(i, "bomb = " + "[" * depth + "]" * depth)
        elif op == 4:
            lines.insert(i, rng.choice(("[steps]", "[[scene.objects]]", "schema_version = 2",
                                        "a.b.c.d.e.f.g.h.i.j.k.l.m.n = 1", "[metrics.x]",
                                        'kind = "tool_speed"', "[[steps]]", "id = 3")))
        elif op == 5:
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
        elif op == 6:
            lines[i] = byte_mutation(lines[i].encode(), rng).decode("utf-8", "replace")
        else:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        if not lines:
            lines = [""]
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


def number_text_mutation(data: bytes, rng: random.Random, separators: str = " ") -> bytes:
    """Edits of a text file of numbers: fields, lines, separators, encodings."""
    text = data.decode("utf-8", "replace")
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    op = rng.randrange(9)
    if op <= 2:
        fields = re.split(f"([{re.escape(separators)}])", lines[i])
        k = rng.randrange(len(fields))
        fields[k] = rng.choice(NUMBER_TOKENS) if rng.random() < 0.7 else \
            str(rng.choice((1e3, -1e3, 100.1, 1e-30, 1e30)))
        lines[i] = "".join(fields)
    elif op == 3:
        lines.pop(i)
    elif op == 4:
        lines.insert(i, lines[i])
    elif op == 5:
        parts = re.split(f"[{re.escape(separators)}]", lines[i])
        parts = parts[: rng.randrange(len(parts) + 1)] if rng.random() < 0.5 else parts + parts
        lines[i] = rng.choice(separators).join(parts)
    elif op == 6:
        lines[i] = lines[i].replace(rng.choice(separators), rng.choice((";", ",", " ", "\t", "")))
    elif op == 7:
        lines.insert(i, rng.choice(("", "   ", "\r", "#comment", "x" * 20000, "\x00\x01",
                                    "\ufeff" + lines[i])))
    else:
        return byte_mutation(data, rng)
    return "\n".join(lines).encode("utf-8", "surrogatepass")


def stacked(mutate: Callable[[bytes, random.Random], bytes], data: bytes,
            rng: random.Random) -> bytes:
    """One to three mutations applied one after the other."""
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        try:
            data = mutate(data, rng)
        except Exception:  # a mutator tripping over its own input: fall back to bytes
            data = byte_mutation(data, rng)
    return data
