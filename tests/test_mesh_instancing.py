"""Mesh caps count what is built (issue 14): instancing through nodes, reused accessors.

A small GLB can draw one mesh thousands of times through its node tree, or make the mesh
library decode one big accessor once per primitive; both must be refused from the JSON
alone, before trimesh or the renderer builds anything.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from packmaker import glb_from_json, make_pack

from vrtrainer.errors import InvalidFileError
from vrtrainer.scenario import gltfcheck, open_pack, validate_pack
from vrtrainer.scenario.gltfcheck import MAX_TRIANGLES, check_gltf


def _fan_mesh_doc(n_triangles: int) -> tuple[dict, bytes]:
    """One mesh of ``n_triangles`` triangles over 3 vertices (indices repeat), and its BIN."""
    positions = np.array([[0, 0, 0], [0.1, 0, 0], [0, 0.1, 0]], np.float32).tobytes()
    indices = np.tile(np.array([0, 1, 2], np.uint32), n_triangles).tobytes()
    doc = {
        "asset": {"version": "2.0"},
        "buffers": [{"byteLength": len(positions) + len(indices)}],
        "bufferViews": [
            {"buffer": 0, "byteLength": len(positions)},
            {"buffer": 0, "byteOffset": len(positions), "byteLength": len(indices)},
        ],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3",
             "min": [0, 0, 0], "max": [0.1, 0.1, 0]},
            {"bufferView": 1, "componentType": 5125, "count": 3 * n_triangles,
             "type": "SCALAR"},
        ],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "indices": 1}]}],
    }
    return doc, positions + indices


def instanced_glb(n_triangles: int, n_nodes: int) -> bytes:
    """``n_nodes`` nodes each drawing the same ``n_triangles`` mesh."""
    doc, data = _fan_mesh_doc(n_triangles)
    doc["nodes"] = [{"mesh": 0, "translation": [i * 0.01, 0, 0]} for i in range(n_nodes)]
    doc["scenes"] = [{"nodes": list(range(n_nodes))}]
    doc["scene"] = 0
    return glb_from_json(doc, data)


def tree_glb(n_triangles: int, fan_out: int) -> bytes:
    """A root with ``fan_out`` groups, each with ``fan_out`` leaves drawing one mesh."""
    doc, data = _fan_mesh_doc(n_triangles)
    nodes: list[dict] = [{"children": []}]
    for g in range(fan_out):
        group = {"children": []}
        nodes[0]["children"].append(len(nodes))
        nodes.append(group)
        for leaf in range(fan_out):
            group["children"].append(len(nodes))
            nodes.append({"mesh": 0, "translation": [g * 0.01, leaf * 0.01, 0]})
    doc["nodes"] = nodes
    doc["scenes"] = [{"nodes": [0]}]
    return glb_from_json(doc, data)


def test_a_mesh_instanced_by_101_nodes_is_refused_from_the_json():
    data = instanced_glb(20_000, 101)
    assert len(data) < 300_000
    with pytest.raises(InvalidFileError, match="2020000 triangles after instancing"):
        check_gltf(data, "x.glb", glb=True)


def test_instancing_through_a_node_tree_is_counted():
    data = tree_glb(20_000, 11)  # 11 x 11 = 121 instances of 20,000 triangles
    with pytest.raises(InvalidFileError, match="2420000 triangles after instancing"):
        check_gltf(data, "x.glb", glb=True)
    _, _, info = check_gltf(tree_glb(1000, 10), "x.glb", glb=True)
    assert info.triangles == 100 * 1000 and info.vertices == 100 * 3


def test_a_node_tree_with_a_cycle_is_refused():
    doc, data = _fan_mesh_doc(1)
    doc["nodes"] = [{"children": [1]}, {"children": [0], "mesh": 0}]
    doc["scenes"] = [{"nodes": [0]}]
    with pytest.raises(InvalidFileError, match="cycle"):
        check_gltf(glb_from_json(doc, data), "x.glb", glb=True)


def test_an_accessor_reused_by_1000_primitives_is_refused_before_decoding():
    n = 87_000
    positions = np.zeros((n, 3), np.float32).tobytes()
    doc = {
        "asset": {"version": "2.0"},
        "buffers": [{"byteLength": len(positions)}],
        "bufferViews": [{"buffer": 0, "byteLength": len(positions)}],
        "accessors": [{"bufferView": 0, "componentType": 5126, "count": n, "type": "VEC3"}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}, "mode": 0}] * 1000}],
    }
    with pytest.raises(InvalidFileError, match="decode .* over the cap of") as caught:
        check_gltf(glb_from_json(doc, positions), "x.glb", glb=True)
    assert str(gltfcheck.MAX_DECODED_BYTES) in str(caught.value)


def test_validate_and_the_renderer_path_refuse_an_instancing_bomb(tmp_path: Path, monkeypatch):
    pack = make_pack(tmp_path / "pack")
    (pack / "assets" / "box.glb").write_bytes(instanced_glb(20_000, 101))
    import trimesh

    def no_trimesh(*args, **kwargs):
        raise AssertionError("trimesh was reached")

    monkeypatch.setattr(trimesh, "load_scene", no_trimesh)
    monkeypatch.setattr(trimesh, "load", no_trimesh)
    problems = validate_pack(pack)
    assert any("after instancing" in str(p) for p in problems)
    with open_pack(pack) as p, pytest.raises(InvalidFileError, match="after instancing"):
        p.mesh_path("assets/box.glb")


def test_an_instanced_mesh_without_a_material_loads_for_the_renderer(tmp_path: Path):
    pack = make_pack(tmp_path / "pack")
    (pack / "assets" / "box.glb").write_bytes(instanced_glb(10, 20))
    assert validate_pack(pack) == []
    with open_pack(pack) as p:
        from vrtrainer.render.meshes import load_mesh

        mesh = load_mesh(p.mesh_path("assets/box.glb"))
    assert len(mesh.indices) == 20 * 10 * 3
    assert MAX_TRIANGLES >= 200



def test_many_primitives_or_drawn_parts_are_refused():
    doc, data = _fan_mesh_doc(5)
    doc["meshes"][0]["primitives"] *= gltfcheck.MAX_PRIMITIVES + 1
    with pytest.raises(InvalidFileError, match="primitives or more, over the cap"):
        check_gltf(glb_from_json(doc, data), "x.glb", glb=True)
    with pytest.raises(InvalidFileError, match="mesh parts after instancing"):
        check_gltf(instanced_glb(1, gltfcheck.MAX_DRAWN_PARTS + 1), "x.glb", glb=True)


def test_indices_past_the_vertices_are_a_refusal_not_a_crash(tmp_path: Path):
    from vrtrainer.render.meshes import load_mesh

    doc, data = _fan_mesh_doc(10)
    indices = np.tile(np.array([0, 1, 2], np.uint32), 10)
    indices[7] = 0xFFFFFF01
    data = data[:36] + indices.tobytes()
    doc["nodes"] = [{"mesh": 0}]
    doc["scenes"] = [{"nodes": [0]}]
    path = tmp_path / "bad.glb"
    path.write_bytes(glb_from_json(doc, data))
    check_gltf(path.read_bytes(), str(path), glb=True)  # declarations are fine
    with pytest.raises(InvalidFileError, match="indices point past"):
        load_mesh(path)


def test_position_and_index_accessors_must_have_their_shapes():
    # fuzz finding: POSITION on a SCALAR accessor gave a ValueError inside trimesh
    doc, data = _fan_mesh_doc(1)
    doc["meshes"][0]["primitives"][0]["attributes"]["POSITION"] = 1
    with pytest.raises(InvalidFileError, match="not VEC3"):
        check_gltf(glb_from_json(doc, data), "x.glb", glb=True)
    doc, data = _fan_mesh_doc(1)
    doc["meshes"][0]["primitives"][0]["indices"] = 0
    with pytest.raises(InvalidFileError, match="not SCALAR"):
        check_gltf(glb_from_json(doc, data), "x.glb", glb=True)
