"""A small but complete scenario pack written for tests, and ways to make it hostile."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import numpy as np
import trimesh
from handmade import random_take

from vrtrainer.takes.take import save_take

MINI_TOML = """\
# A minimal pack: one bench, a torch, a seam, one step.
schema_version = 1
id = "mini-weld"
version = "0.1.0"
trade = "welding"
licence = "CC-BY-4.0"
authors = ["tests"]

[title]
fr = "Mini soudure"
en = "Mini weld"

[instructions]
fr = "Soudez la ligne."
en = "Weld the line."

[[scene.objects]]
name = "bench"
mesh = "assets/box.glb"
position = [0, 0.8, -0.4]

[[scene.tools]]
name = "torch"
mesh = "assets/box.glb"
held_by = "right_hand"
tip = [0, 0, -0.1]
axis = [0, 0, -1]

[[scene.frames]]
name = "seam"
kind = "line"
origin = [0, 0.9, -0.4]
direction = [1, 0, 0]
normal = [0, 1, 0]
length = 0.2

[metrics.work]
kind = "work_angle"
label = { fr = "Angle de travail", en = "Work angle" }
tool = "torch"
frame = "seam"
ideal = 45
min = 35
max = 55

[[steps]]
id = "weld"
instruction = { fr = "Soudez.", en = "Weld." }
hands = "right"
reference = { takes = ["takes/expert-1.vrtake"] }
joint_weights = { all = 1, index = 2, wrist = 3 }
pass_threshold = 70
time_limits = { min = 1, max = 30 }
metrics = ["work"]
"""


def box_glb() -> bytes:
    """A real 12-triangle GLB made by trimesh."""
    return trimesh.creation.box(extents=(0.1, 0.1, 0.1)).export(file_type="glb")


def make_pack(root: Path, toml: str = MINI_TOML) -> Path:
    """Write the mini pack (scenario.toml, a GLB, an expert take) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "scenario.toml").write_text(toml)
    (root / "assets").mkdir(exist_ok=True)
    (root / "assets" / "box.glb").write_bytes(box_glb())
    (root / "takes").mkdir(exist_ok=True)
    save_take(random_take(20, tools=("torch",)), root / "takes" / "expert-1.vrtake")
    return root


def zip_folder(folder: Path, out: Path, extra: dict[str, bytes] | None = None) -> Path:
    """Zip a pack folder (members relative to it), plus raw extra members."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                z.write(f, f.relative_to(folder).as_posix())
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return out


def glb_from_json(doc: dict, bin_chunk: bytes = b"") -> bytes:
    """A GLB container around a glTF JSON document (and optional BIN chunk)."""
    raw = json.dumps(doc).encode()
    raw += b" " * (-len(raw) % 4)
    body = struct.pack("<II", len(raw), 0x4E4F534A) + raw
    if bin_chunk:
        bin_chunk += b"\0" * (-len(bin_chunk) % 4)
        body += struct.pack("<II", len(bin_chunk), 0x004E4942) + bin_chunk
    return b"glTF" + struct.pack("<II", 2, 12 + len(body)) + body


def billion_face_glb() -> bytes:
    """A 200-byte GLB that declares three billion indices (a billion triangles)."""
    doc = {
        "asset": {"version": "2.0"},
        "buffers": [{"byteLength": 48}],
        "bufferViews": [{"buffer": 0, "byteLength": 36}, {"buffer": 0, "byteOffset": 36,
                                                          "byteLength": 12}],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3"},
            {"bufferView": 1, "componentType": 5125, "count": 3_000_000_000, "type": "SCALAR"},
        ],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
    }
    return glb_from_json(doc, bytes(48))


def object_npy() -> bytes:
    """A .npy holding a pickled Python object array."""
    buf = io.BytesIO()
    np.save(buf, np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    return buf.getvalue()


def patch_central_sizes(zip_path: Path, member: str, size: int) -> None:
    """Make the zip's central directory lie about ``member``'s uncompressed size."""
    data = bytearray(zip_path.read_bytes())
    name = member.encode()
    pos = 0
    while True:
        pos = data.find(b"PK\x01\x02", pos)
        if pos < 0:
            raise ValueError(member)
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46 : pos + 46 + name_len]) == name:
            struct.pack_into("<I", data, pos + 24, size)
            break
        pos += 4
    zip_path.write_bytes(bytes(data))
