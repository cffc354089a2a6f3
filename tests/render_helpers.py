"""Shared pieces of the render tests: marker scenes and pixel measurements."""

from __future__ import annotations

import numpy as np

from vrtrainer.render.meshes import merge_meshes, mesh_from_arrays
from vrtrainer.render.scene import Scene

MARKER_COLORS = np.array([(255, 0, 0, 255), (0, 255, 0, 255), (0, 0, 255, 255),
                          (255, 255, 0, 255), (255, 0, 255, 255), (0, 255, 255, 255)], np.uint8)


def cube(centre, half: float, color) -> object:
    """An axis-aligned cube mesh with outward normals and one colour."""
    c = np.asarray(centre, float)
    faces, positions, normals = [], [], []
    for axis in range(3):
        for sign in (-1, 1):
            n = np.zeros(3)
            n[axis] = sign
            u = np.zeros(3)
            u[(axis + 1) % 3] = 1
            v = np.cross(n, u)
            base = len(positions)
            for du, dv in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                positions.append(c + half * (n + du * u + dv * v))
                normals.append(n)
            faces += [base, base + 1, base + 2, base, base + 2, base + 3]
    return mesh_from_arrays(np.array(positions), np.array(faces), np.array(normals), color)


def marker_scene(points: np.ndarray, half=0.004) -> Scene:
    """Small cubes (half size ``half``, scalar or per point), one colour each, no floor, black."""
    halves = np.broadcast_to(half, len(points))
    meshes = [cube(p, halves[i], MARKER_COLORS[i]) for i, p in enumerate(points)]
    return Scene(static=merge_meshes(meshes), background=(0.0, 0.0, 0.0))


def centroid_of(image: np.ndarray, rgb_mask: np.ndarray) -> np.ndarray:
    """(x, y) centre of the pixels selected by ``rgb_mask``, in PNG pixel coordinates."""
    ys, xs = np.nonzero(rgb_mask)
    assert len(xs) > 0, "marker not visible"
    return np.array([xs.mean() + 0.5, ys.mean() + 0.5])


def marker_mask(image: np.ndarray, index: int) -> np.ndarray:
    """Pixels whose dominant channels match marker ``index``'s colour (shading-proof)."""
    rgb = image[..., :3].astype(int)
    want = MARKER_COLORS[index, :3] > 0
    lit = rgb.max(axis=-1) > 20
    on = rgb > rgb.max(axis=-1, keepdims=True) * 0.6
    return lit & np.all(on == want, axis=-1)
