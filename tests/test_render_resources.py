"""GL resources: context, meshes from GLB files, tools on poses, framebuffers and textures."""

from __future__ import annotations

import numpy as np
import pytest
from OpenGL import GL

from vrtrainer.errors import InvalidFileError, RenderError
from vrtrainer.render import Framebuffer, Renderer, SceneState, View, default_scene
from vrtrainer.render.camera import look_at_pose, project_points
from vrtrainer.render.context import gl_info
from vrtrainer.render.meshes import load_mesh
from vrtrainer.render.scene import ASSETS


def test_context_is_gl_33_core_or_better(gl_context):
    info = gl_info()
    major, minor = (int(v) for v in info["version"].split()[0].split(".")[:2])
    assert (major, minor) >= (3, 3)
    assert "Core" in info["version"] or GL.glGetIntegerv(GL.GL_CONTEXT_PROFILE_MASK) & 1


def test_glb_assets_keep_vertex_and_material_colours():
    bench = load_mesh(ASSETS / "workbench.glb")
    colours = {tuple(c) for c in bench.vertices["color"].tolist()}
    assert (156, 108, 62, 255) in colours  # wood, stored as vertex colours
    assert (176, 181, 190, 255) in colours  # steel plate, a glTF PBR base colour
    low, high = bench.bounds
    assert low[1] == pytest.approx(0.0, abs=1e-6) and high[1] == pytest.approx(1.0, abs=1e-3)
    torch = load_mesh(ASSETS / "welding_torch.glb")
    assert (184, 115, 51, 255) in {tuple(c) for c in torch.vertices["color"].tolist()}


def test_bad_mesh_files_are_refused_with_their_name(tmp_path):
    missing = tmp_path / "nope.glb"
    with pytest.raises(InvalidFileError, match="nope.glb"):
        load_mesh(missing)
    garbage = tmp_path / "garbage.glb"
    garbage.write_bytes(b"glTF\x02\x00\x00\x00not really a gltf file")
    with pytest.raises(InvalidFileError, match="garbage.glb"):
        load_mesh(garbage)


def test_tool_mesh_follows_its_pose(renderer):
    view = View(look_at_pose([0.0, 1.3, 0.0], [0.0, 1.0, -0.4]), (-0.6, 0.6, 0.5, -0.5))
    grip = look_at_pose([0.05, 1.05, -0.31], [0.05, 1.0, -0.5])
    handle_centre = grip[:3]  # the grip frame's origin is the handle's centre
    fb = Framebuffer(320, 240)
    x, y = project_points([handle_centre], view, 320, 240)[0].astype(int)
    renderer.render_view(view, fb.target, SceneState())
    without = fb.read_pixels()[y, x, :3].astype(int)
    renderer.render_view(view, fb.target, SceneState(tools={"torch": grip}))
    with_tool = fb.read_pixels()[y, x, :3].astype(int)
    renderer.render_view(view, fb.target, SceneState(tools={"torch": None, "unknown": grip}))
    hidden = fb.read_pixels()[y, x, :3].astype(int)
    fb.delete()
    assert with_tool.max() < 90 and with_tool[2] >= with_tool[0]  # the dark blue handle
    assert np.abs(with_tool - without).sum() > 60
    assert np.array_equal(hidden, without)


def test_multisampled_framebuffer_resolves_to_the_same_picture(renderer):
    view = View(look_at_pose([0.0, 1.5, 0.2], [0.0, 1.0, -0.45]), (-0.7, 0.7, 0.6, -0.6))
    plain, msaa = Framebuffer(160, 120), Framebuffer(160, 120, samples=4)
    for fb in (plain, msaa):
        renderer.render_view(view, fb.target, SceneState())
    a, b = plain.read_pixels().astype(int), msaa.read_pixels().astype(int)
    assert np.abs(a - b).mean() < 3
    assert (np.abs(a - b).max(axis=-1) > 0).any()  # edges are smoothed
    plain.delete()
    msaa.delete()


def test_drawing_into_a_wrapped_texture_like_a_swapchain_image(renderer):
    texture = GL.glGenTextures(1)
    GL.glBindTexture(GL.GL_TEXTURE_2D, texture)
    GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_RGBA8, 96, 64, 0, GL.GL_RGBA,
                    GL.GL_UNSIGNED_BYTE, None)
    fb = Framebuffer.wrap_texture(texture, 96, 64)
    view = View(look_at_pose([0.0, 1.5, 0.2], [0.0, 1.0, -0.45]), (-0.7, 0.7, 0.6, -0.6))
    renderer.render_view(view, fb.target, SceneState())
    GL.glBindTexture(GL.GL_TEXTURE_2D, texture)
    pixels = np.frombuffer(GL.glGetTexImage(GL.GL_TEXTURE_2D, 0, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE),
                           np.uint8).reshape(64, 96, 4)
    assert np.array_equal(pixels[::-1], fb.read_pixels())
    assert len(np.unique(pixels.reshape(-1, 4), axis=0)) > 10  # a picture, not a clear colour
    fb.delete()
    assert GL.glIsTexture(texture)  # not owned by the framebuffer
    GL.glDeleteTextures([texture])


def test_renderer_needs_a_current_context(gl_context):
    gl_context.release()
    try:
        with pytest.raises(RenderError, match="no current GL context"):
            Renderer(default_scene())
    finally:
        gl_context.make_current()


def test_render_view_needs_an_update_first_and_sizes_must_be_positive(gl_context):
    fresh = Renderer(default_scene())
    view = View(look_at_pose([0.0, 1.5, 0.2], [0.0, 1.0, -0.45]), (-0.7, 0.7, 0.6, -0.6))
    fb = Framebuffer(8, 8)
    with pytest.raises(RenderError, match="update"):
        fresh.render_view(view, fb.target)
    with pytest.raises(RenderError, match="positive"):
        Framebuffer(0, 10)
    fresh.close()
    fb.delete()


def test_save_png_writes_what_was_drawn(renderer, tmp_path):
    from PIL import Image

    fb = Framebuffer(64, 48)
    view = View(look_at_pose([0.0, 1.5, 0.2], [0.0, 1.0, -0.45]), (-0.7, 0.7, 0.6, -0.6))
    renderer.render_view(view, fb.target, SceneState())
    path = fb.save_png(tmp_path / "sub" / "frame.png")
    assert np.array_equal(np.asarray(Image.open(path)), fb.read_pixels()[..., :3])
    fb.delete()


def test_tools_from_arrays_and_views_from_any_pose_holder(renderer):
    from types import SimpleNamespace

    from vrtrainer.hands.hand import FULLY_TRACKED

    state = SceneState()
    poses = np.array([look_at_pose([0.05, 1.05, -0.31], [0.05, 1.0, -0.5]),
                      [0, 0, 0, 0, 0, 0, 1]], np.float32)
    state.set_tools(("torch", "screwdriver"), poses, np.array([FULLY_TRACKED, 0], np.uint8))
    assert state.tools["torch"] is not None and state.tools["screwdriver"] is None
    # A view as the frame loop defines it: float32 pose, fov tuple.
    view = SimpleNamespace(pose=look_at_pose([0.0, 1.3, 0.0], [0.0, 1.0, -0.4]).astype(
        np.float32), fov=(-0.6, 0.6, 0.5, -0.5))
    fb = Framebuffer(320, 240)
    renderer.render_view(view, fb.target, state)
    x, y = project_points([poses[0, :3]], View(view.pose, view.fov), 320, 240)[0].astype(int)
    assert fb.read_pixels()[y, x, :3].max() < 90  # the torch handle is there
    fb.delete()
