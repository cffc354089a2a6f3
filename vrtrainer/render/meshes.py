"""Triangle meshes: loading glTF/GLB with their colours (trimesh), merging, and GPU upload.

Vertices are position (3 f32), normal (3 f32) and colour (4 u8, sRGB + alpha),
28 bytes; triangles index them with u32. Static meshes of a scene are merged
into one buffer with their world transforms baked in, so the whole static
scene is one draw call.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike
from OpenGL import GL

from vrtrainer.errors import InvalidFileError

VERTEX_DTYPE = np.dtype([("position", np.float32, 3), ("normal", np.float32, 3),
                         ("color", np.uint8, 4)])


@dataclass
class MeshData:
    """A triangle mesh on the CPU: ``vertices`` (N,) of VERTEX_DTYPE, ``indices`` (M,) u32."""

    vertices: np.ndarray
    indices: np.ndarray

    @property
    def bounds(self) -> np.ndarray:
        """(2, 3) min and max corner of the vertex positions."""
        p = self.vertices["position"]
        return np.stack([p.min(axis=0), p.max(axis=0)])

    def transformed(self, matrix: np.ndarray) -> MeshData:
        """A copy moved by a 4x4 rigid (or uniformly scaled) transform, row-major."""
        m = np.asarray(matrix, dtype=np.float64)
        v = self.vertices.copy()
        v["position"] = self.vertices["position"] @ m[:3, :3].T + m[:3, 3]
        n = self.vertices["normal"] @ m[:3, :3].T
        v["normal"] = n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
        return MeshData(v, self.indices.copy())


def mesh_from_arrays(positions: ArrayLike, faces: ArrayLike, normals: ArrayLike,
                     colors: ArrayLike) -> MeshData:
    """Build a :class:`MeshData` from plain arrays; ``colors`` (N, 4) or (4,) u8."""
    positions = np.asarray(positions, dtype=np.float32).reshape(-1, 3)
    v = np.zeros(len(positions), VERTEX_DTYPE)
    v["position"] = positions
    v["normal"] = np.asarray(normals, dtype=np.float32).reshape(-1, 3)
    v["color"] = np.broadcast_to(np.asarray(colors, dtype=np.uint8), (len(positions), 4))
    return MeshData(v, np.asarray(faces, dtype=np.uint32).reshape(-1))


def merge_meshes(meshes: list[MeshData]) -> MeshData:
    """Concatenate meshes into one (indices offset accordingly)."""
    if not meshes:
        return MeshData(np.zeros(0, VERTEX_DTYPE), np.zeros(0, np.uint32))
    offsets = np.cumsum([0] + [len(m.vertices) for m in meshes[:-1]])
    indices = [m.indices + np.uint32(o) for m, o in zip(meshes, offsets, strict=True)]
    return MeshData(np.concatenate([m.vertices for m in meshes]), np.concatenate(indices))


def _trimesh_colors(geometry) -> np.ndarray:
    """Per-vertex RGBA u8 of a trimesh geometry: vertex/face colours or its material's colour."""
    visual = geometry.visual
    material = getattr(visual, "material", None)
    if material is not None and (getattr(visual, "uv", None) is None
                                 or getattr(material, "image", None) is None):
        # Untextured glTF material: its base colour is the part's colour.
        return np.broadcast_to(np.asarray(material.main_color, np.uint8),
                               (len(geometry.vertices), 4))
    # A texture (no material colour to use) becomes colours; a mesh with no material
    # at all has plain ColorVisuals, which give trimesh's default grey.
    if visual.kind != "vertex" and hasattr(visual, "to_color"):
        visual = visual.to_color()
    colors = np.asarray(getattr(visual, "vertex_colors", ()), dtype=np.uint8)
    if colors.shape != (len(geometry.vertices), 4):
        colors = np.broadcast_to(np.array([200, 200, 200, 255], np.uint8),
                                 (len(geometry.vertices), 4))
    return colors


def load_mesh(path: str | Path) -> MeshData:
    """Load a glTF/GLB (or any trimesh format) as one mesh in the file's world frame.

    Node transforms are applied and each part keeps its vertex colours or
    material base colour. ``process=False`` keeps split vertices, hence flat
    normals on hard edges.
    """
    import trimesh

    path = Path(path)
    if not path.is_file():
        raise InvalidFileError(path, "no such mesh file")
    try:
        scene = trimesh.load(path, force="scene", process=False)
    except Exception as exc:  # trimesh raises many kinds on a malformed file
        raise InvalidFileError(path, f"cannot read as a mesh: {exc}") from exc
    if not isinstance(scene, trimesh.Scene):  # force="scene" makes one
        raise InvalidFileError(path, "cannot read as a scene")
    parts = []
    for node in scene.graph.nodes_geometry:
        transform, name = scene.graph[node]
        geometry = scene.geometry[name]
        if not hasattr(geometry, "faces") or len(geometry.faces) == 0:
            continue
        faces = np.asarray(geometry.faces)
        if faces.min() < 0 or faces.max() >= len(geometry.vertices):
            raise InvalidFileError(path, "triangle indices point past the mesh's vertices")
        # Alpha 0 is reserved for the floor's checks; nothing loaded is fully transparent.
        colors = np.maximum(_trimesh_colors(geometry), np.array([0, 0, 0, 1], np.uint8))
        part = mesh_from_arrays(geometry.vertices, geometry.faces, geometry.vertex_normals, colors)
        parts.append(part.transformed(transform))
    if not parts:
        raise InvalidFileError(path, "contains no triangles")
    return merge_meshes(parts)


class GpuMesh:
    """A mesh uploaded once to GL: a VAO over its vertex and index buffers.

    Floor triangles (all vertices of alpha 0) are stored last, so that the
    renderer draws them with their own cheap program after the rest, whose
    depth then spares the floor's hidden pixels: ``count`` indices of the
    rest, then ``floor_count`` of the floor.
    """

    def __init__(self, mesh: MeshData) -> None:
        triangles = np.asarray(mesh.indices, np.uint32).reshape(-1, 3)
        floor = (mesh.vertices["color"][:, 3][triangles] == 0).all(axis=1)
        indices = np.concatenate([triangles[~floor], triangles[floor]]).reshape(-1)
        self.count = int(3 * (~floor).sum())
        self.floor_count = int(3 * floor.sum())
        self.vao = GL.glGenVertexArrays(1)
        self.vbo, self.ibo = GL.glGenBuffers(2)
        GL.glBindVertexArray(self.vao)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self.vbo)
        GL.glBufferData(GL.GL_ARRAY_BUFFER, mesh.vertices.nbytes, mesh.vertices, GL.GL_STATIC_DRAW)
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, self.ibo)
        GL.glBufferData(GL.GL_ELEMENT_ARRAY_BUFFER, indices.nbytes, indices, GL.GL_STATIC_DRAW)
        stride = VERTEX_DTYPE.itemsize
        offsets = VERTEX_DTYPE.fields
        assert offsets is not None  # a structured dtype
        for loc, field, size, gltype, normalized in (
            (0, "position", 3, GL.GL_FLOAT, GL.GL_FALSE),
            (1, "normal", 3, GL.GL_FLOAT, GL.GL_FALSE),
            (2, "color", 4, GL.GL_UNSIGNED_BYTE, GL.GL_TRUE),
        ):
            GL.glEnableVertexAttribArray(loc)
            GL.glVertexAttribPointer(loc, size, gltype, normalized, stride,
                                     ctypes.c_void_p(offsets[field][1]))
        GL.glBindVertexArray(0)

    def draw(self) -> None:
        """Bind and draw all but the floor (two GL calls); the caller has bound the program."""
        GL.glBindVertexArray(self.vao)
        if self.count:
            GL.glDrawElements(GL.GL_TRIANGLES, self.count, GL.GL_UNSIGNED_INT, None)

    def draw_floor(self) -> None:
        """Bind and draw the floor triangles; the caller has bound the program."""
        if self.floor_count:
            GL.glBindVertexArray(self.vao)
            GL.glDrawElements(GL.GL_TRIANGLES, self.floor_count, GL.GL_UNSIGNED_INT,
                              ctypes.c_void_p(4 * self.count))

    def delete(self) -> None:
        """Free the GL objects (the context must be current)."""
        GL.glDeleteVertexArrays(1, [self.vao])
        GL.glDeleteBuffers(2, [self.vbo, self.ibo])
