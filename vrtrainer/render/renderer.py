"""The renderer: GL resources made once, then each eye drawn with a fixed, small set of GL calls.

Per stereo frame the caller runs :meth:`Renderer.update` once (hand instances
and the cue panel go to the GPU) and :meth:`Renderer.render_view` per eye.
An eye costs about 20 GL calls whatever the hands do: the static scene is one
draw, each visible tool one, all hands (live and ghost) one instanced draw,
the cue panel one.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from OpenGL import GL
from pyglm import glm

from vrtrainer.backends.base import RenderTarget
from vrtrainer.errors import RenderError
from vrtrainer.hands.hand import POSITION_VALID, HandFrame
from vrtrainer.render import shaders
from vrtrainer.render.camera import View, pose_matrix, projection_matrix, view_matrix
from vrtrainer.render.cues import UI_FLOATS, CuePanel, Cues
from vrtrainer.render.hands import (
    INSTANCE_FLOATS,
    HandInstances,
    HandStyle,
    box_template,
)
from vrtrainer.render.meshes import GpuMesh
from vrtrainer.render.pictograms import atlas_icons
from vrtrainer.render.scene import Scene, default_scene
from vrtrainer.render.text import FontAtlas

#: Direction sunlight travels (down, slightly forward and from the left).
LIGHT_DIR = np.array([0.35, -0.85, -0.40])


@dataclass
class SceneState:
    """Everything that moves, for one frame.

    ``hands`` live HandFrame; ``joint_errors`` (2, 26) metres from the live
    comparison (NaN or None: unknown) coloured against ``tolerance`` (scalar or
    broadcasting to (2, 26)); ``ghost`` the expert's HandFrame drawn translucent;
    ``tools`` name -> pose (7,) for tool meshes of the scene; ``cues`` the cue
    panel (None hides it). With ``time`` set (display time, s), live hands
    older than ``stale_after`` are not drawn rather than shown frozen.
    """

    hands: HandFrame | None = None
    joint_errors: np.ndarray | None = None
    tolerance: float | np.ndarray = 0.015
    ghost: HandFrame | None = None
    tools: dict[str, np.ndarray | None] = field(default_factory=dict)
    cues: Cues | None = None
    time: float | None = None
    stale_after: float = 0.25

    def set_tools(self, names: Sequence[str], poses: np.ndarray,
                  flags: np.ndarray | None = None) -> None:
        """Point ``tools`` at rows of ``poses`` (K, 7) by name; no valid position, not drawn.

        ``flags`` (K,) are XrSpaceLocationFlags. Call it every frame (validity
        changes); rows are referenced, not copied.
        """
        for k, name in enumerate(names):
            valid = flags is None or bool(flags[k] & POSITION_VALID)
            self.tools[name] = poses[k] if valid else None


class Framebuffer:
    """An offscreen colour (RGBA8) + depth target, optionally multisampled.

    Use :meth:`wrap_texture` to draw into an existing texture, e.g. an OpenXR
    swapchain image. :meth:`read_pixels` returns the image top row first.
    """

    def __init__(self, width: int, height: int, samples: int = 0,
                 texture: int | None = None) -> None:
        if width <= 0 or height <= 0:
            raise RenderError(f"framebuffer size must be positive, got {width}x{height}")
        self.width, self.height, self.samples = width, height, samples
        self._owns_texture = texture is None
        self._renderbuffers: list[int] = []
        self._fbos: list[int] = []
        if texture is None:
            texture = GL.glGenTextures(1)
            GL.glBindTexture(GL.GL_TEXTURE_2D, texture)
            GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_RGBA8, width, height, 0, GL.GL_RGBA,
                            GL.GL_UNSIGNED_BYTE, None)
            GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MIN_FILTER, GL.GL_LINEAR)
            GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MAG_FILTER, GL.GL_LINEAR)
        self.texture = texture
        self.resolved_fbo = self._make_fbo(texture, depth=samples == 0)
        if samples > 0:
            colour = self._renderbuffer(GL.GL_RGBA8)
            depth = self._renderbuffer(GL.GL_DEPTH_COMPONENT24)
            self.fbo = GL.glGenFramebuffers(1)
            self._fbos.append(self.fbo)
            GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.fbo)
            GL.glFramebufferRenderbuffer(GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0,
                                         GL.GL_RENDERBUFFER, colour)
            GL.glFramebufferRenderbuffer(GL.GL_FRAMEBUFFER, GL.GL_DEPTH_ATTACHMENT,
                                         GL.GL_RENDERBUFFER, depth)
            self._check()
        else:
            self.fbo = self.resolved_fbo
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)
        self.target = RenderTarget(self.fbo, width, height,
                                   resolve_fbo=self.resolved_fbo if samples else None)
        self._pixels = np.empty((height, width, 4), np.uint8)

    @classmethod
    def wrap_texture(cls, texture: int, width: int, height: int, samples: int = 0
                     ) -> Framebuffer:
        """A framebuffer drawing into ``texture`` (not owned; e.g. a swapchain image)."""
        return cls(width, height, samples=samples, texture=texture)

    def _renderbuffer(self, fmt: int) -> int:
        rb = GL.glGenRenderbuffers(1)
        self._renderbuffers.append(rb)
        GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, rb)
        if self.samples:
            GL.glRenderbufferStorageMultisample(GL.GL_RENDERBUFFER, self.samples, fmt,
                                                self.width, self.height)
        else:
            GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, fmt, self.width, self.height)
        return rb

    def _make_fbo(self, texture: int, depth: bool) -> int:
        fbo = GL.glGenFramebuffers(1)
        self._fbos.append(fbo)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, fbo)
        GL.glFramebufferTexture2D(GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0,
                                  GL.GL_TEXTURE_2D, texture, 0)
        if depth:
            samples, self.samples = self.samples, 0
            rb = self._renderbuffer(GL.GL_DEPTH_COMPONENT24)
            self.samples = samples
            GL.glFramebufferRenderbuffer(GL.GL_FRAMEBUFFER, GL.GL_DEPTH_ATTACHMENT,
                                         GL.GL_RENDERBUFFER, rb)
        self._check()
        return fbo

    @staticmethod
    def _check() -> None:
        status = GL.glCheckFramebufferStatus(GL.GL_FRAMEBUFFER)
        if status != GL.GL_FRAMEBUFFER_COMPLETE:
            raise RenderError(f"framebuffer incomplete (status 0x{int(status):x})")

    def read_pixels(self) -> np.ndarray:
        """The drawn image (height, width, 4) RGBA uint8, top row first (a fresh array)."""
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, self.resolved_fbo)
        GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 1)
        GL.glReadPixels(0, 0, self.width, self.height, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE,
                        self._pixels)
        return self._pixels[::-1].copy()

    def save_png(self, path: str | Path) -> Path:
        """Write the drawn image as an RGB PNG; returns the path."""
        from PIL import Image

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(self.read_pixels()[..., :3]).save(path)
        return path

    def delete(self) -> None:
        """Free the GL objects (not a wrapped texture)."""
        if self._fbos:
            GL.glDeleteFramebuffers(len(self._fbos), self._fbos)
        if self._renderbuffers:
            GL.glDeleteRenderbuffers(len(self._renderbuffers), self._renderbuffers)
        if self._owns_texture:
            GL.glDeleteTextures([self.texture])
        self._fbos, self._renderbuffers = [], []


class Renderer:
    """Draws a :class:`Scene` plus a per-frame :class:`SceneState` for any eye.

    Needs a current GL 3.3 core context (:class:`~vrtrainer.render.EglContext`,
    a :class:`~vrtrainer.render.MirrorWindow`, or the OpenXR session's) and
    must only be used while that context is current.
    """

    def __init__(self, scene: Scene | None = None, style: HandStyle | None = None,
                 near: float = 0.05, far: float = 100.0) -> None:
        import OpenGL.platform

        if not OpenGL.platform.PLATFORM.GetCurrentContext():
            raise RenderError("no current GL context: make an EglContext or a MirrorWindow "
                              "(or the OpenXR session's context) current first")
        self.scene = scene if scene is not None else default_scene()
        self.near, self.far = near, far
        self.instances = HandInstances(style)
        self.atlas = FontAtlas(icons=atlas_icons())
        self.panel = CuePanel(self.atlas)

        self._mesh_prog = shaders.build_program("mesh", shaders.MESH_VS, shaders.MESH_FS)
        self._floor_prog = shaders.build_program("floor", shaders.MESH_VS, shaders.FLOOR_FS)
        self._floor_model = GL.glGetUniformLocation(self._floor_prog, "model")
        self._hand_prog = shaders.build_program("hand", shaders.HAND_VS, shaders.HAND_FS)
        self._ui_prog = shaders.build_program("ui", shaders.UI_VS, shaders.UI_FS)
        self._mesh_model = GL.glGetUniformLocation(self._mesh_prog, "model")
        self._ui_model = GL.glGetUniformLocation(self._ui_prog, "model")

        self._static = GpuMesh(self.scene.static)
        self._tools = {name: GpuMesh(mesh) for name, mesh in self.scene.tools.items()}
        self._tool_draws: list[tuple[GpuMesh, np.ndarray]] = []
        self._tool_models = {name: np.zeros(16, np.float32) for name in self._tools}
        self._identity = np.eye(4, dtype=np.float32).reshape(16)

        self._ubo = GL.glGenBuffers(1)
        GL.glBindBuffer(GL.GL_UNIFORM_BUFFER, self._ubo)
        GL.glBufferData(GL.GL_UNIFORM_BUFFER, 96, None, GL.GL_DYNAMIC_DRAW)
        self._view_block = np.zeros(24, np.float32)
        light = LIGHT_DIR / np.linalg.norm(LIGHT_DIR)
        self._view_block[20:23] = light
        self._view_block_address = self._view_block.ctypes.data

        self._make_hand_buffers()
        self._make_ui_buffers()
        self._atlas_tex = self._make_atlas_texture()
        GL.glUseProgram(self._floor_prog)
        GL.glUniformMatrix4fv(self._floor_model, 1, GL.GL_FALSE, self._identity)
        GL.glUseProgram(self._ui_prog)
        GL.glUniform1i(GL.glGetUniformLocation(self._ui_prog, "atlas"), 0)
        self.set_cue_pose(self.scene.cue_pose)
        GL.glUseProgram(0)
        self._prepared = False

    # -- set-up -----------------------------------------------------------------------

    def _make_hand_buffers(self) -> None:
        verts, idx = box_template()
        self._hand_index_count = int(idx.size)
        self._hand_vao = GL.glGenVertexArrays(1)
        self._hand_tmpl_vbo, self._hand_ibo, self._hand_inst_vbo = GL.glGenBuffers(3)
        GL.glBindVertexArray(self._hand_vao)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._hand_tmpl_vbo)
        GL.glBufferData(GL.GL_ARRAY_BUFFER, verts.nbytes, verts, GL.GL_STATIC_DRAW)
        GL.glEnableVertexAttribArray(0)
        GL.glVertexAttribPointer(0, 3, GL.GL_FLOAT, GL.GL_FALSE, 12, None)
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, self._hand_ibo)
        GL.glBufferData(GL.GL_ELEMENT_ARRAY_BUFFER, idx.nbytes, idx, GL.GL_STATIC_DRAW)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._hand_inst_vbo)
        data = self.instances.data
        GL.glBufferData(GL.GL_ARRAY_BUFFER, data.nbytes, None, GL.GL_STREAM_DRAW)
        stride = INSTANCE_FLOATS * 4
        for k in range(4):
            GL.glEnableVertexAttribArray(1 + k)
            GL.glVertexAttribPointer(1 + k, 4, GL.GL_FLOAT, GL.GL_FALSE, stride,
                                     ctypes.c_void_p(16 * k))
            GL.glVertexAttribDivisor(1 + k, 1)
        GL.glBindVertexArray(0)

    def _make_ui_buffers(self) -> None:
        self._ui_vao = GL.glGenVertexArrays(1)
        self._ui_vbo = GL.glGenBuffers(1)
        GL.glBindVertexArray(self._ui_vao)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._ui_vbo)
        GL.glBufferData(GL.GL_ARRAY_BUFFER, self.panel.vertices.nbytes, None, GL.GL_DYNAMIC_DRAW)
        stride = UI_FLOATS * 4
        for loc, size, offset in ((0, 2, 0), (1, 2, 8), (2, 4, 16)):
            GL.glEnableVertexAttribArray(loc)
            GL.glVertexAttribPointer(loc, size, GL.GL_FLOAT, GL.GL_FALSE, stride,
                                     ctypes.c_void_p(offset))
        GL.glBindVertexArray(0)

    def _make_atlas_texture(self) -> int:
        image = np.ascontiguousarray(self.atlas.image)
        tex = GL.glGenTextures(1)
        GL.glActiveTexture(GL.GL_TEXTURE0)
        GL.glBindTexture(GL.GL_TEXTURE_2D, tex)
        GL.glPixelStorei(GL.GL_UNPACK_ALIGNMENT, 1)
        GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_R8, image.shape[1], image.shape[0], 0,
                        GL.GL_RED, GL.GL_UNSIGNED_BYTE, image)
        GL.glGenerateMipmap(GL.GL_TEXTURE_2D)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MIN_FILTER, GL.GL_LINEAR_MIPMAP_LINEAR)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MAG_FILTER, GL.GL_LINEAR)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_S, GL.GL_CLAMP_TO_EDGE)
        GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_WRAP_T, GL.GL_CLAMP_TO_EDGE)
        return tex

    def set_cue_pose(self, pose: np.ndarray) -> None:
        """Move the cue panel (its centre's pose; the panel faces its local +Z)."""
        self.scene.cue_pose = np.asarray(pose, dtype=np.float64).reshape(7)
        GL.glUseProgram(self._ui_prog)
        GL.glUniformMatrix4fv(self._ui_model, 1, GL.GL_FALSE,
                              pose_matrix(self.scene.cue_pose).to_bytes())

    # -- per frame --------------------------------------------------------------------

    def update(self, state: SceneState) -> None:
        """Send this frame's moving things to the GPU; call once per frame, before the eyes."""
        hands = state.hands
        if (hands is not None and state.time is not None
                and state.time - hands.time > state.stale_after):
            hands = None
        n = self.instances.fill(hands, state.joint_errors, state.tolerance, state.ghost)
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._hand_inst_vbo)
        if n:
            GL.glBufferSubData(GL.GL_ARRAY_BUFFER, 0, n * INSTANCE_FLOATS * 4,
                               self.instances.data)
        if self.panel.build(state.cues) and self.panel.count:
            GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self._ui_vbo)
            GL.glBufferSubData(GL.GL_ARRAY_BUFFER, 0, self.panel.count * UI_FLOATS * 4,
                               self.panel.vertices)
        draws = self._tool_draws
        draws.clear()
        for name, pose in state.tools.items():
            mesh = self._tools.get(name)
            if mesh is not None and pose is not None:
                model = self._tool_models[name]
                matrix = pose_matrix(pose)  # value_ptr does not keep its matrix alive
                ctypes.memmove(model.ctypes.data, glm.value_ptr(matrix), 64)
                draws.append((mesh, model))
        # State the eyes rely on; set every frame since a runtime may share the context.
        background = self.scene.background
        GL.glClearColor(background[0], background[1], background[2], 1.0)
        GL.glEnable(GL.GL_DEPTH_TEST)
        GL.glCullFace(GL.GL_FRONT)
        GL.glEnable(GL.GL_BLEND)
        GL.glBlendFuncSeparate(GL.GL_SRC_ALPHA, GL.GL_ONE_MINUS_SRC_ALPHA, GL.GL_ONE,
                               GL.GL_ONE_MINUS_SRC_ALPHA)
        GL.glActiveTexture(GL.GL_TEXTURE0)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self._atlas_tex)
        GL.glBindBufferBase(GL.GL_UNIFORM_BUFFER, 0, self._ubo)
        self._prepared = True

    def render_view(self, view: View, target: RenderTarget,
                    state: SceneState | None = None) -> None:
        """Draw one eye into ``target``; with ``state``, :meth:`update` runs first.

        ``view`` is anything with ``pose`` (7,) and ``fov`` (4,) as OpenXR gives
        them. Passing ``state`` is for single views; for stereo call
        :meth:`update` once and then this per eye without ``state``.
        """
        if state is not None:
            self.update(state)
        elif not self._prepared:
            raise RenderError("Renderer.update(state) must run before render_view")
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, target.fbo)
        GL.glViewport(target.x, target.y, target.width, target.height)
        GL.glClear(GL.GL_COLOR_BUFFER_BIT | GL.GL_DEPTH_BUFFER_BIT)

        block = self._view_block
        view_proj = projection_matrix(view.fov, self.near, self.far) * view_matrix(view.pose)
        ctypes.memmove(self._view_block_address, glm.value_ptr(view_proj), 64)
        block[16:19] = view.pose[:3]
        GL.glBufferSubData(GL.GL_UNIFORM_BUFFER, 0, 96, block)

        GL.glUseProgram(self._mesh_prog)
        GL.glUniformMatrix4fv(self._mesh_model, 1, GL.GL_FALSE, self._identity)
        self._static.draw()
        if self._static.floor_count:
            GL.glUseProgram(self._floor_prog)
            self._static.draw_floor()
            GL.glUseProgram(self._mesh_prog)
        for mesh, model in self._tool_draws:
            GL.glUniformMatrix4fv(self._mesh_model, 1, GL.GL_FALSE, model)
            mesh.draw()

        if self.instances.count:
            GL.glUseProgram(self._hand_prog)
            # Back faces of the boxes: they cover the capsule even with the eye inside a box.
            GL.glEnable(GL.GL_CULL_FACE)
            GL.glBindVertexArray(self._hand_vao)
            self._draw_hands()
            GL.glDisable(GL.GL_CULL_FACE)

        if self.panel.count:
            # Last, without depth writes: drawn in painter's order, hidden by what is in front.
            GL.glUseProgram(self._ui_prog)
            GL.glDepthMask(GL.GL_FALSE)
            GL.glBindVertexArray(self._ui_vao)
            GL.glDrawArrays(GL.GL_TRIANGLES, 0, self.panel.count)
            GL.glDepthMask(GL.GL_TRUE)

        if target.resolve_fbo is not None:
            GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, target.fbo)
            GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, target.resolve_fbo)
            GL.glBlitFramebuffer(target.x, target.y, target.x + target.width,
                                 target.y + target.height, target.x, target.y,
                                 target.x + target.width, target.y + target.height,
                                 GL.GL_COLOR_BUFFER_BIT, GL.GL_NEAREST)

    def _draw_hands(self) -> None:
        """All joints and bones of all hands: one instanced draw."""
        GL.glDrawElementsInstanced(GL.GL_TRIANGLES, self._hand_index_count,
                                   GL.GL_UNSIGNED_INT, None, self.instances.count)

    def render_stereo(self, views: Sequence[View], targets: Sequence[RenderTarget],
                      state: SceneState) -> None:
        """Update once, then draw each view into its target (any number of views)."""
        self.update(state)
        for view, target in zip(views, targets, strict=True):
            self.render_view(view, target)

    def close(self) -> None:
        """Free GL resources (the context must be current)."""
        self._static.delete()
        for mesh in self._tools.values():
            mesh.delete()
        GL.glDeleteBuffers(5, [self._ubo, self._hand_tmpl_vbo, self._hand_ibo,
                               self._hand_inst_vbo, self._ui_vbo])
        GL.glDeleteVertexArrays(2, [self._hand_vao, self._ui_vao])
        GL.glDeleteTextures([self._atlas_tex])
        for program in (self._mesh_prog, self._floor_prog, self._hand_prog, self._ui_prog):
            GL.glDeleteProgram(program)
