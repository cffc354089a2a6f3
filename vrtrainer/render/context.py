"""GL contexts the renderer draws in: offscreen EGL (surfaceless) and a glfw mirror window.

Both are EGL contexts with a GL 3.3 core profile, so PyOpenGL's EGL platform
serves either. The offscreen one needs no display at all (Mesa's surfaceless
platform); the OpenXR backend hands its ``display``/``config``/``context`` to
XR_MNDX_egl_enable.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np
from OpenGL import GL

from vrtrainer.errors import RenderError

EGL_PLATFORM_SURFACELESS_MESA = 0x31DD
_APT_HINT = "install libegl1 libopengl0 libgl1-mesa-dri libegl-mesa0 (Debian/Ubuntu)"


def require_egl_platform() -> None:
    """Refuse to go on if PyOpenGL was set up for another platform (e.g. GLX).

    PyOpenGL picks its platform once, at its first import; both contexts here
    are EGL, so function lookups and context queries must go through EGL.
    """
    import OpenGL.platform

    name = type(OpenGL.platform.PLATFORM).__name__
    if name != "EGLPlatform":
        raise RenderError(
            f"PyOpenGL is using {name}, not EGL: set PYOPENGL_PLATFORM=egl, or import "
            "vrtrainer.render before anything imports OpenGL")


def _egl():
    """Import PyOpenGL's EGL module, working around PyOpenGL 3.1.10's error-checker bug."""
    import OpenGL

    require_egl_platform()

    if not OpenGL.ERROR_CHECKING:
        # With error checking off, PyOpenGL 3.1.10 fails building EGL's checker.
        import OpenGL.raw.EGL._errors as egl_errors

        egl_errors._error_checker = None
    try:
        from OpenGL import EGL
    except (ImportError, AttributeError, OSError) as exc:
        raise RenderError(f"EGL is not available ({exc}); {_APT_HINT}") from exc
    return EGL


class EglContext:
    """An offscreen GL 3.3 core context on Mesa's surfaceless EGL platform.

    There is no default framebuffer: draw into a :class:`~vrtrainer.render.Framebuffer`
    or into textures the OpenXR runtime gives. Use as a context manager or call
    :meth:`close`.
    """

    def __init__(self, major: int = 3, minor: int = 3, make_current: bool = True) -> None:
        EGL = _egl()
        self._EGL = EGL
        try:
            display = EGL.eglGetPlatformDisplayEXT(
                EGL_PLATFORM_SURFACELESS_MESA, EGL.EGL_DEFAULT_DISPLAY, None
            )
        except Exception as exc:  # missing extension entry point or library
            raise RenderError(f"no surfaceless EGL platform ({exc}); {_APT_HINT}") from exc
        if not display:
            raise RenderError(f"eglGetPlatformDisplayEXT(surfaceless) failed; {_APT_HINT}")
        major_out, minor_out = EGL.EGLint(), EGL.EGLint()
        if not EGL.eglInitialize(display, ctypes.pointer(major_out), ctypes.pointer(minor_out)):
            raise RenderError(f"eglInitialize failed; {_APT_HINT}")
        self.display = display
        self.egl_version = (major_out.value, minor_out.value)
        attrs = (EGL.EGLint * 5)(
            EGL.EGL_SURFACE_TYPE, EGL.EGL_PBUFFER_BIT,
            EGL.EGL_RENDERABLE_TYPE, EGL.EGL_OPENGL_BIT,
            EGL.EGL_NONE,
        )
        config, count = EGL.EGLConfig(), EGL.EGLint()
        if not EGL.eglChooseConfig(display, attrs, ctypes.pointer(config), 1,
                                   ctypes.pointer(count)) or count.value < 1:
            raise RenderError("no EGL config with desktop OpenGL rendering")
        self.config = config
        if not EGL.eglBindAPI(EGL.EGL_OPENGL_API):
            raise RenderError("eglBindAPI(EGL_OPENGL_API) failed")
        ctx_attrs = (EGL.EGLint * 7)(
            EGL.EGL_CONTEXT_MAJOR_VERSION, major,
            EGL.EGL_CONTEXT_MINOR_VERSION, minor,
            EGL.EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL.EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
            EGL.EGL_NONE,
        )
        context = EGL.eglCreateContext(display, config, EGL.EGL_NO_CONTEXT, ctx_attrs)
        if not context:
            raise RenderError(f"could not create a GL {major}.{minor} core context through EGL")
        self.context = context
        if make_current:
            self.make_current()

    def make_current(self) -> None:
        """Make this context current on the calling thread (no surface)."""
        EGL = self._EGL
        if not EGL.eglMakeCurrent(self.display, EGL.EGL_NO_SURFACE, EGL.EGL_NO_SURFACE,
                                  self.context):
            raise RenderError("eglMakeCurrent failed (surfaceless contexts need "
                              "EGL_KHR_surfaceless_context)")

    def release(self) -> None:
        """Detach the context from the calling thread."""
        EGL = self._EGL
        EGL.eglMakeCurrent(self.display, EGL.EGL_NO_SURFACE, EGL.EGL_NO_SURFACE,
                           EGL.EGL_NO_CONTEXT)

    def close(self) -> None:
        """Destroy the context.

        The display stays initialised: EGL hands every caller the same display
        for the surfaceless platform, and terminating it would destroy the other
        contexts of the process too.
        """
        if self.context is None:
            return
        self.release()
        self._EGL.eglDestroyContext(self.display, self.context)
        self.context = None

    def __enter__(self) -> EglContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def gl_info() -> dict[str, str]:
    """Vendor, renderer and version strings of the current context (for `vrtrainer doctor`)."""
    def text(name: int) -> str:
        value = GL.glGetString(name)
        return value.decode() if value else ""

    return {
        "vendor": text(GL.GL_VENDOR),
        "renderer": text(GL.GL_RENDERER),
        "version": text(GL.GL_VERSION),
        "glsl": text(GL.GL_SHADING_LANGUAGE_VERSION),
    }


class MirrorWindow:
    """A desktop window (glfw, EGL context, GL 3.3 core) mirroring one or both eyes.

    The window's context is the one the renderer draws with: render the eyes
    into framebuffers as usual, then :meth:`present` blits them side by side
    and swaps. Keys pressed since the last call come from :meth:`poll_keys`
    (glfw key names, e.g. ``"space"``, ``"n"``, ``"escape"``).
    """

    def __init__(self, width: int = 1280, height: int = 720,
                 title: str = "vrtrainer") -> None:
        try:
            import glfw
        except ImportError as exc:
            raise RenderError(f"the mirror window needs glfw ({exc})") from exc
        require_egl_platform()
        self._glfw = glfw
        if not glfw.init():
            raise RenderError("glfw could not initialise: is there a display (DISPLAY/WAYLAND)?")
        glfw.window_hint(glfw.CONTEXT_CREATION_API, glfw.EGL_CONTEXT_API)
        glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, 3)
        glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, 3)
        glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
        glfw.window_hint(glfw.OPENGL_FORWARD_COMPAT, True)
        window = glfw.create_window(width, height, title, None, None)
        if not window:
            glfw.terminate()
            raise RenderError("glfw could not open a GL 3.3 core window through EGL")
        self.window: Any = window  # glfw's window pointer; None once closed
        self._keys: list[str] = []
        glfw.set_key_callback(window, self._on_key)
        glfw.make_context_current(window)
        glfw.swap_interval(0)

    def _on_key(self, window, key: int, scancode: int, action: int, mods: int) -> None:
        if action == self._glfw.PRESS:
            name = self._glfw.get_key_name(key, scancode)
            if name is None:
                name = {self._glfw.KEY_ESCAPE: "escape", self._glfw.KEY_SPACE: "space",
                        self._glfw.KEY_ENTER: "enter"}.get(key, str(key))
            self._keys.append(name)

    def make_current(self) -> None:
        """Make the window's context current on the calling thread."""
        self._glfw.make_context_current(self.window)

    @property
    def size(self) -> tuple[int, int]:
        """Framebuffer size in pixels (width, height)."""
        width, height = self._glfw.get_framebuffer_size(self.window)
        return width, height

    def present(self, *framebuffers, swap: bool = True) -> None:
        """Blit the given framebuffers side by side into the window, then swap.

        With ``swap=False`` the picture stays in the back buffer, where
        :meth:`read_pixels` can read it (a screenshot of the mirror).
        """
        width, height = self.size
        GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, 0)
        GL.glClear(GL.GL_COLOR_BUFFER_BIT)
        n = max(len(framebuffers), 1)
        for i, fb in enumerate(framebuffers):
            x0, x1 = width * i // n, width * (i + 1) // n
            GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, fb.resolved_fbo)
            GL.glBlitFramebuffer(0, 0, fb.width, fb.height, x0, 0, x1, height,
                                 GL.GL_COLOR_BUFFER_BIT, GL.GL_LINEAR)
        if swap:
            self._glfw.swap_buffers(self.window)

    def read_pixels(self) -> np.ndarray:
        """The window's back buffer (height, width, 4) RGBA uint8, top row first."""
        width, height = self.size
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, 0)
        GL.glReadBuffer(GL.GL_BACK)
        GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 1)
        data = GL.glReadPixels(0, 0, width, height, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE)
        return np.frombuffer(data, np.uint8).reshape(height, width, 4)[::-1].copy()

    def poll_keys(self) -> list[str]:
        """Process window events; return keys pressed since the last call."""
        self._glfw.poll_events()
        keys, self._keys = self._keys, []
        return keys

    @property
    def should_close(self) -> bool:
        """True once the user asked to close the window."""
        return bool(self._glfw.window_should_close(self.window))

    def close(self) -> None:
        """Destroy the window and release glfw."""
        if self.window is not None:
            self._glfw.destroy_window(self.window)
            self._glfw.terminate()
            self.window = None

    def __enter__(self) -> MirrorWindow:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
