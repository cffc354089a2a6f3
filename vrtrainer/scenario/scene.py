"""The renderer's scene for a scenario pack: its static meshes placed, its tools.

Every mesh goes through the pack's checks (:meth:`Pack.mesh_path`) before the
renderer's loader reads it; static objects are moved by their transforms into
the world, tool meshes stay in their tool frame (the frame of the take's tool
poses).
"""

from __future__ import annotations

from typing import Any

from vrtrainer.scenario.loader import Pack


def pack_scene(pack: Pack, floor: bool = True) -> Any:
    """A ``vrtrainer.render.scene.Scene`` of the pack's objects and tools."""
    from vrtrainer.render.meshes import load_mesh, merge_meshes
    from vrtrainer.render.scene import DEFAULT_CUE_POSE, Scene, floor_mesh

    sc = pack.scenario
    static = [floor_mesh()] if floor else []
    static += [load_mesh(pack.mesh_path(o.mesh)).transformed(o.transform.matrix())
               for o in sc.objects]
    tools = {t.name: load_mesh(pack.mesh_path(t.mesh)) for t in sc.tools}
    return Scene(static=merge_meshes(static), tools=tools, cue_pose=DEFAULT_CUE_POSE.copy())
