"""Fuzz harness: glTF scene graphs (instancing through nodes, accessors reused by
primitives) through the pack's mesh check and then the renderer's mesh loader.

The input is a GLB; ``load`` runs :func:`check_gltf` and, when it passes, builds the
mesh as the renderer does (every instance), which must then stay within the caps.
"""

from __future__ import annotations

import json
import random
import struct
from pathlib import Path

import numpy as np
import trimesh
from mutators import byte_mutation, json_mutation

from vrtrainer.render.meshes import load_mesh
from vrtrainer.scenario.gltfcheck import (
    MAX_INSTANCED_VERTICES,
    MAX_JSON_BYTES,
    MAX_NODES,
    MAX_PRIMITIVES,
    MAX_TRIANGLES,
    check_gltf,
    split_glb,
)

NAME = "gltf"
#: Growth stops here, well past the caps: a larger document is refused on the same count,
#: and serializing it cost the mutator 90 % of the run's time (a 23 MB JSON now and then).
MAX_GROWN_NODES = 3 * MAX_NODES
MAX_GROWN_PRIMITIVES = 8 * MAX_PRIMITIVES


def _glb(doc: dict, bin_chunk: bytes) -> bytes:
    raw = json.dumps(doc).encode()
    raw += b" " * (-len(raw) % 4)
    body = struct.pack("<II", len(raw), 0x4E4F534A) + raw
    if bin_chunk:
        bin_chunk += b"\0" * (-len(bin_chunk) % 4)
        body += struct.pack("<II", len(bin_chunk), 0x004E4942) + bin_chunk
    return b"glTF" + struct.pack("<II", 2, 12 + len(body)) + body


def _fan(n_triangles: int) -> tuple[dict, bytes]:
    positions = np.array([[0, 0, 0], [0.1, 0, 0], [0, 0.1, 0]], np.float32).tobytes()
    indices = np.tile(np.array([0, 1, 2], np.uint32), n_triangles).tobytes()
    doc = {
        "asset": {"version": "2.0"},
        "buffers": [{"byteLength": len(positions) + len(indices)}],
        "bufferViews": [{"buffer": 0, "byteLength": len(positions)},
                        {"buffer": 0, "byteOffset": len(positions), "byteLength": len(indices)}],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3",
             "min": [0, 0, 0], "max": [0.1, 0.1, 0]},
            {"bufferView": 1, "componentType": 5125, "count": 3 * n_triangles,
             "type": "SCALAR"}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
    }
    return doc, positions + indices


def seeds() -> list[bytes]:
    out = [trimesh.creation.box(extents=(0.1, 0.1, 0.1)).export(file_type="glb")]
    doc, data = _fan(10)
    doc["nodes"] = [{"mesh": 0, "translation": [i * 0.01, 0, 0]} for i in range(20)]
    doc["scenes"] = [{"nodes": list(range(20))}]
    out.append(_glb(doc, data))
    doc, data = _fan(5)
    doc["nodes"] = [{"children": [1, 2]}, {"children": [3, 4]}, {"children": [3, 4]},
                    {"mesh": 0}, {"mesh": 0, "scale": [2, 2, 2]}]
    doc["scenes"] = [{"nodes": [0]}]
    doc["meshes"][0]["primitives"] *= 3
    out.append(_glb(doc, data))
    return out


def _graph_mutation(doc: dict, rng: random.Random) -> None:
    nodes = doc.setdefault("nodes", [])
    n = len(nodes)
    choice = rng.randrange(7)
    if choice == 0:  # many instances of a mesh
        k = min(rng.choice([2, 50, 1000, 3000, 20000]), max(MAX_GROWN_NODES - n, 2))
        nodes.extend({"mesh": 0} for _ in range(k))
        doc["scenes"] = [{"nodes": list(range(len(nodes)))}]
    elif choice == 1 and n:  # a node gains children (maybe itself: a cycle)
        i = rng.randrange(n)
        nodes[i]["children"] = [rng.randrange(n) for _ in range(rng.choice([1, 2, 40]))]
    elif choice == 2:  # a doubling tower: 2**depth paths to the leaf
        depth = rng.choice([3, 10, 30, 64])
        base = len(nodes)
        for d in range(depth):
            nodes.append({"children": [base + d + 1, base + d + 1]})
        nodes.append({"mesh": 0})
        doc["scenes"] = [{"nodes": [base]}]
    elif choice == 3 and doc.get("meshes"):  # primitives reusing the same accessors
        prims = doc["meshes"][0].get("primitives") or []
        if prims:
            k = min(rng.choice([2, 100, 5000]), max(MAX_GROWN_PRIMITIVES // len(prims), 2))
            doc["meshes"][0]["primitives"] = prims * k
    elif choice == 4 and doc.get("accessors"):
        acc = rng.choice(doc["accessors"])
        acc["count"] = rng.choice([0, 1, 3, 2**31, 2**64, -1, True, 1.5])
    elif choice == 5 and n:
        nodes[rng.randrange(n)]["mesh"] = rng.choice([0, 1, -1, 99, None, "0"])
    else:
        doc["scenes"] = [{"nodes": [rng.randrange(max(n, 1) + 2) for _ in range(3)]}]


def mutate(data: bytes, rng: random.Random) -> bytes:
    if len(data) > MAX_JSON_BYTES:  # refused on its size alone: no use growing it
        return byte_mutation(data, rng)
    try:
        raw, bin_chunk = split_glb(data, "fuzz")
        doc = json.loads(raw)
    except Exception:  # noqa: BLE001  (the mutator's own parse; any input may be garbage)
        return byte_mutation(data, rng)
    if not isinstance(doc, dict):
        return byte_mutation(data, rng)
    roll = rng.random()
    if roll < 0.01:  # a JSON chunk over the cap, padded cheaply with spaces
        return _glb_raw(raw + b" " * MAX_JSON_BYTES, bin_chunk or b"")
    if roll < 0.6:
        _graph_mutation(doc, rng)
        return _glb(doc, bin_chunk or b"")
    if roll < 0.9:
        return _glb_raw(json_mutation(raw, rng), bin_chunk or b"")
    return byte_mutation(data, rng)


def _glb_raw(raw: bytes, bin_chunk: bytes) -> bytes:
    raw += b" " * (-len(raw) % 4)
    body = struct.pack("<II", len(raw), 0x4E4F534A) + raw
    if bin_chunk:
        body += struct.pack("<II", len(bin_chunk), 0x004E4942) + bin_chunk
    return b"glTF" + struct.pack("<II", 2, 12 + len(body)) + body


def prepare(data: bytes, work: Path) -> Path:
    path = work / "input.glb"
    path.write_bytes(data)
    return path


def load(path: Path) -> None:
    data = path.read_bytes()
    _, _, info = check_gltf(data, str(path), glb=True)
    mesh = load_mesh(path)
    if len(mesh.indices) // 3 > MAX_TRIANGLES or len(mesh.vertices) > MAX_INSTANCED_VERTICES:
        raise AssertionError(
            f"built {len(mesh.indices) // 3} triangles, {len(mesh.vertices)} vertices "
            f"although the check counted {info.triangles} and {info.vertices}")
