"""Valid scenario packs for the pack fuzz harnesses, and mutations that know their files."""

from __future__ import annotations

import json
import random
import struct
import tempfile
from pathlib import Path

import trimesh
from mutators import (
    byte_mutation,
    json_mutation,
    json_value_mutation,
    npy_mutation,
    toml_mutation,
    zip_mutation,
)
from packmaker import MINI_TOML, glb_from_json, make_pack, zip_folder


def pack_zips() -> list[bytes]:
    """The tests' mini pack zipped, and the same with its mesh as .gltf plus .bin files."""
    out = []
    with tempfile.TemporaryDirectory() as d:
        root = make_pack(Path(d) / "mini")
        out.append(zip_folder(root, Path(d) / "mini.zip").read_bytes())
        files = trimesh.creation.box(extents=(0.1, 0.1, 0.1)).export(file_type="gltf")
        (root / "assets" / "box.glb").unlink()
        for name, data in files.items():
            (root / "assets" / ("box.gltf" if name == "model.gltf" else name)).write_bytes(data)
        (root / "scenario.toml").write_text(MINI_TOML.replace("box.glb", "box.gltf"))
        out.append(zip_folder(root, Path(d) / "mini-gltf.zip").read_bytes())
    return out


def glb_mutation(data: bytes, rng: random.Random) -> bytes:
    """Edit a GLB's glTF JSON (counts, offsets, views, URIs) and rebuild the container."""
    if len(data) < 20 or data[:4] != b"glTF" or rng.random() < 0.2:
        return byte_mutation(data, rng)
    json_len = struct.unpack_from("<I", data, 12)[0]
    try:
        doc = json.loads(data[20:20 + json_len])
    except ValueError:
        return byte_mutation(data, rng)
    rest = data[20 + json_len:]
    bin_chunk = rest[8:] if len(rest) >= 8 else b""
    for _ in range(rng.randrange(1, 4)):
        doc = json_value_mutation(doc, rng)
    try:
        return glb_from_json(doc, bin_chunk)
    except (TypeError, ValueError):
        return byte_mutation(data, rng)


def _take_mutation(data: bytes, rng: random.Random) -> bytes:
    return zip_mutation(data, rng, {".npy": npy_mutation, ".json": json_mutation})


PACK_MUTATORS = {".toml": toml_mutation, ".glb": glb_mutation, ".gltf": json_mutation,
                 ".vrtake": _take_mutation, ".bin": byte_mutation}


def pack_mutation(data: bytes, rng: random.Random) -> bytes:
    # TOML edits most often: it decides what else is read.
    if rng.random() < 0.3:
        return zip_mutation(data, rng, {".toml": toml_mutation})
    return zip_mutation(data, rng, PACK_MUTATORS)
