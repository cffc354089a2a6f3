"""What the world contains besides hands: static meshes, tool meshes, the cue panel's place.

A scenario pack's scene (:func:`pack_scene`) is its static meshes placed by
their transforms, its tool meshes in their tool frames, every mesh checked by
the pack (:meth:`Pack.mesh_path`) before the loader reads it. The default
scene is a tiled floor and the shared meshes ``assets/default_scene.toml`` lists
(today a workbench with a welding T-joint, a torch and a screwdriver; made by
``tools/make_assets.py``; found by :mod:`vrtrainer.assets` in a checkout or an
install): the engine names no mesh of its own. Tool meshes are in
their grip frame: origin in the palm, -Z the way the tool points, as OpenXR
grip poses and vrtrainer.hands.gestures' held tools are.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vrtrainer.assets import assets_dir
from vrtrainer.errors import InvalidFileError
from vrtrainer.render.meshes import MeshData, load_mesh, merge_meshes, mesh_from_arrays
from vrtrainer.scenario.loader import Pack, open_pack

ASSETS = assets_dir()

#: Centre of the default workpiece's upright plate (the weld is along its foot).
WORKPIECE_CENTRE = np.array([0.0, 0.955, -0.45])
#: Where the default cue panel floats: behind the bench, facing the trainee (+Z).
DEFAULT_CUE_POSE = np.array([0.0, 1.32, -0.86, -0.0871557, 0.0, 0.0, 0.9961947])


@dataclass
class Scene:
    """Static geometry (world frame), tool meshes (each in its grip frame), cue panel pose."""

    static: MeshData
    tools: dict[str, MeshData] = field(default_factory=dict)
    cue_pose: np.ndarray = field(default_factory=lambda: DEFAULT_CUE_POSE.copy())
    background: tuple[float, float, float] = (0.62, 0.68, 0.74)


def floor_mesh(size: float = 8.0) -> MeshData:
    """A square floor at y = 0 centred on the origin, checkered by the shader (depth cues in VR).

    It is two triangles: colour alpha 0 asks the mesh shader for 0.5 m checks.
    """
    h = size / 2
    corners = [(-h, 0, -h), (h, 0, -h), (h, 0, h), (-h, 0, h)]
    normal = np.array([[0, 1, 0]] * 4, np.float32)
    faces = np.array([0, 2, 1, 0, 3, 2], np.uint32)
    return mesh_from_arrays(corners, faces, normal, (128, 132, 138, 0))


def scene_from_files(static: list[str | Path], tools: dict[str, str | Path] | None = None,
                     cue_pose: np.ndarray | None = None, floor: bool = True) -> Scene:
    """A scene from mesh files: ``static`` in world coordinates, ``tools`` in grip frames."""
    meshes = ([floor_mesh()] if floor else []) + [load_mesh(p) for p in static]
    return Scene(
        static=merge_meshes(meshes),
        tools={name: load_mesh(p) for name, p in (tools or {}).items()},
        cue_pose=DEFAULT_CUE_POSE.copy() if cue_pose is None else np.asarray(cue_pose, float),
    )


#: The shared assets' description of the default scene.
DEFAULT_SCENE_FILE = "default_scene.toml"


def _asset_glb(name: object, where: str) -> Path:
    if not (isinstance(name, str) and name.endswith(".glb") and "/" not in name
            and "\\" not in name and not name.startswith(".")):
        raise InvalidFileError(where, f"{name!r} is not a .glb file name of assets/")
    return ASSETS / name


def default_scene() -> Scene:
    """Floor plus the static meshes and named tools that ``assets/default_scene.toml`` lists."""
    where = str(ASSETS / DEFAULT_SCENE_FILE)
    try:
        spec = tomllib.loads((ASSETS / DEFAULT_SCENE_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidFileError(where, f"cannot be read: {exc}") from None
    static, tools = spec.get("static", []), spec.get("tools", {})
    if not isinstance(static, list) or not isinstance(tools, dict):
        raise InvalidFileError(where, "static must be a list of files and tools a table")
    return scene_from_files([_asset_glb(n, where) for n in static],
                            {str(k): _asset_glb(v, where) for k, v in tools.items()})

def neutral_scene() -> Scene:
    """A floor and nothing else: for built-in gestures (pinch, grab, point...), which are
    not done at a welding bench and should not look as if they were."""
    return Scene(static=floor_mesh())


def scene_for_take(take) -> Scene:
    """The scene to draw a take in without its pack: the bench when it holds a tool (the
    bundled torch and screwdriver), else the neutral floor."""
    return default_scene() if take.tool_names else neutral_scene()


def pack_scene(pack: Pack, floor: bool = True) -> Scene:
    """The scene of an open pack: its objects placed in the world, its tools."""
    sc = pack.scenario
    static = [floor_mesh()] if floor else []
    static += [load_mesh(pack.mesh_path(o.mesh)).transformed(o.transform.matrix())
               for o in sc.objects]
    tools = {t.name: load_mesh(pack.mesh_path(t.mesh)) for t in sc.tools}
    return Scene(static=merge_meshes(static), tools=tools, cue_pose=DEFAULT_CUE_POSE.copy())


def scene_of_pack(path: str | Path) -> Scene:
    """The scene of the pack at ``path`` (a folder or a .zip)."""
    with open_pack(path) as pack:
        return pack_scene(pack)
