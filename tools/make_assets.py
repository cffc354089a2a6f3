"""Build the default scene's GLB assets: workbench with a welding workpiece, two tools.

Run from the repository root: ``python tools/make_assets.py``. The outputs are
committed under assets/ so that the renderer needs no generation at
run time; re-run this after changing a shape or colour. Parts carry either
vertex colours or a glTF PBR base colour, so the loader is exercised on both.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

ASSETS = Path(__file__).resolve().parents[1] / "assets"


def _translate(x: float, y: float, z: float) -> np.ndarray:
    return trimesh.transformations.translation_matrix((x, y, z))


def _flat(mesh: trimesh.Trimesh, rgba: tuple[int, int, int, int]) -> trimesh.Trimesh:
    """Split vertices (flat shading survives process=False loading) and paint them."""
    mesh.unmerge_vertices()
    colors = np.tile(rgba, (len(mesh.vertices), 1))
    mesh.visual = trimesh.visual.ColorVisuals(mesh, vertex_colors=colors)
    return mesh


def _material(mesh: trimesh.Trimesh, rgba: tuple[int, int, int, int], metallic: float
              ) -> trimesh.Trimesh:
    mesh.unmerge_vertices()
    material = trimesh.visual.material.PBRMaterial(
        baseColorFactor=rgba, metallicFactor=metallic, roughnessFactor=0.5)
    mesh.visual = trimesh.visual.TextureVisuals(material=material)
    return mesh


def workbench() -> trimesh.Scene:
    """A 1.2 x 0.7 m bench, top at 0.90 m, centred at z = -0.55, with a T-joint workpiece."""
    scene = trimesh.Scene()
    wood = (156, 108, 62, 255)
    steel_dark = (70, 72, 78, 255)
    top = trimesh.creation.box((1.2, 0.04, 0.7), _translate(0.0, 0.88, -0.55))
    scene.add_geometry(_flat(top, wood), node_name="bench_top")
    for i, (x, z) in enumerate(((-0.55, -0.85), (0.55, -0.85), (-0.55, -0.25), (0.55, -0.25))):
        leg = trimesh.creation.box((0.05, 0.86, 0.05), _translate(x, 0.43, z))
        scene.add_geometry(_flat(leg, steel_dark), node_name=f"bench_leg_{i}")
    base = trimesh.creation.box((0.30, 0.01, 0.16), _translate(0.0, 0.905, -0.45))
    scene.add_geometry(_material(base, (176, 181, 190, 255), 0.9), node_name="workpiece_base")
    web = trimesh.creation.box((0.30, 0.09, 0.01), _translate(0.0, 0.955, -0.45))
    scene.add_geometry(_material(web, (150, 156, 166, 255), 0.9), node_name="workpiece_web")
    bead = trimesh.creation.cylinder(0.004, 0.26, sections=8)
    bead.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, (0, 1, 0)))
    bead.apply_transform(_translate(0.0, 0.912, -0.4425))
    scene.add_geometry(_flat(bead, (90, 70, 60, 255)), node_name="weld_seam_mark")
    return scene


def welding_torch() -> trimesh.Scene:
    """A MIG torch in its grip frame: handle centred on the origin along Z, neck bent down at -Z.

    Like an OpenXR grip pose (and vrtrainer.hands.gestures' held tools): the origin is
    in the palm and -Z points the way the tool does.
    """
    scene = trimesh.Scene()
    handle = trimesh.creation.cylinder(0.018, 0.16, sections=16)
    scene.add_geometry(_flat(handle, (35, 40, 52, 255)), node_name="handle")
    trigger = trimesh.creation.box((0.012, 0.02, 0.03), _translate(0.0, -0.022, 0.01))
    scene.add_geometry(_flat(trigger, (200, 60, 40, 255)), node_name="trigger")
    bend = trimesh.transformations.rotation_matrix(np.radians(-50), (1, 0, 0))
    neck = trimesh.creation.cylinder(0.008, 0.12, sections=12)
    neck.apply_transform(_translate(0, 0, -0.06))
    neck.apply_transform(bend)
    neck.apply_transform(_translate(0, 0, -0.08))
    scene.add_geometry(_material(neck, (184, 115, 51, 255), 1.0), node_name="neck")
    nozzle = trimesh.creation.cylinder(0.011, 0.04, sections=16)
    nozzle.apply_transform(_translate(0, 0, -0.14))
    nozzle.apply_transform(bend)
    nozzle.apply_transform(_translate(0, 0, -0.08))
    scene.add_geometry(_material(nozzle, (205, 170, 80, 255), 1.0), node_name="nozzle")
    return scene


def screwdriver() -> trimesh.Scene:
    """A screwdriver in its grip frame: handle centred on the origin, shaft towards -Z."""
    scene = trimesh.Scene()
    handle = trimesh.creation.cylinder(0.016, 0.10, sections=12)
    scene.add_geometry(_flat(handle, (214, 52, 40, 255)), node_name="handle")
    band = trimesh.creation.cylinder(0.0165, 0.02, sections=12, transform=_translate(0, 0, 0.02))
    scene.add_geometry(_flat(band, (245, 200, 40, 255)), node_name="band")
    shaft = trimesh.creation.cylinder(0.0035, 0.14, sections=8, transform=_translate(0, 0, -0.12))
    scene.add_geometry(_material(shaft, (190, 194, 200, 255), 1.0), node_name="shaft")
    tip = trimesh.creation.box((0.007, 0.0015, 0.012), _translate(0, 0, -0.196))
    scene.add_geometry(_material(tip, (150, 154, 160, 255), 1.0), node_name="tip")
    return scene


def main() -> None:
    ASSETS.mkdir(parents=True, exist_ok=True)
    for name, scene in (("workbench", workbench()), ("welding_torch", welding_torch()),
                        ("screwdriver", screwdriver())):
        path = ASSETS / f"{name}.glb"
        path.write_bytes(trimesh.exchange.gltf.export_glb(scene, include_normals=True))
        print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
