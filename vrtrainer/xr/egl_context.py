"""A surfaceless EGL OpenGL context to hand to an OpenXR runtime (XR_MNDX_egl_enable).

Runtimes that take EGL (Monado, WiVRn) need the display, config and context of
the application's GL context plus the address of ``eglGetProcAddress``. With
Mesa this works without any display server: the surfaceless platform, rendered
by llvmpipe on machines without a GPU.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from dataclasses import dataclass

from vrtrainer.xr.errors import OpenXRError

EGL_PLATFORM_SURFACELESS_MESA = 0x31DD


@dataclass
class EGLContext:
    """A current EGL context: the handles an XrGraphicsBindingEGLMNDX needs."""

    display: object
    config: object
    context: object
    get_proc_address: int  # address of eglGetProcAddress

    def make_current(self) -> None:
        from OpenGL import EGL

        if not EGL.eglMakeCurrent(self.display, EGL.EGL_NO_SURFACE, EGL.EGL_NO_SURFACE,
                                  self.context):  # fmt: skip
            raise OpenXRError("eglMakeCurrent failed for the OpenXR GL context")

    def destroy(self) -> None:
        from OpenGL import EGL

        EGL.eglMakeCurrent(self.display, EGL.EGL_NO_SURFACE, EGL.EGL_NO_SURFACE,
                           EGL.EGL_NO_CONTEXT)  # fmt: skip
        EGL.eglDestroyContext(self.display, self.context)
        EGL.eglTerminate(self.display)


def _surfaceless_display():
    from OpenGL import EGL

    try:
        from OpenGL.EGL.EXT.platform_base import eglGetPlatformDisplayEXT

        display = eglGetPlatformDisplayEXT(
            EGL_PLATFORM_SURFACELESS_MESA, EGL.EGL_DEFAULT_DISPLAY, None
        )
        if display:
            return display
    except Exception:  # noqa: BLE001 - any failure here means: try the plain call
        pass
    return EGL.eglGetDisplay(EGL.EGL_DEFAULT_DISPLAY)


def _attrib(display, config, name: int) -> int:
    from OpenGL import EGL

    value = EGL.EGLint()
    EGL.eglGetConfigAttrib(display, config, name, ctypes.pointer(value))
    return value.value


def create_egl_context(major: int = 3, minor: int = 3) -> EGLContext:
    """Create and make current a GL ``major.minor`` core context on a surfaceless display."""
    from OpenGL import EGL

    display = _surfaceless_display()
    if not display:
        raise OpenXRError("no EGL display (is Mesa's libegl-mesa0 installed?)")
    vmaj, vmin = EGL.EGLint(), EGL.EGLint()
    if not EGL.eglInitialize(display, ctypes.pointer(vmaj), ctypes.pointer(vmin)):
        raise OpenXRError("eglInitialize failed")
    if not EGL.eglBindAPI(EGL.EGL_OPENGL_API):
        raise OpenXRError("this EGL cannot do desktop OpenGL (eglBindAPI failed)")
    # Surfaceless configs offer only pbuffers, so ask for no surface type at all.
    attribs = (EGL.EGLint * 13)(
        EGL.EGL_RENDERABLE_TYPE, EGL.EGL_OPENGL_BIT, EGL.EGL_SURFACE_TYPE, 0,
        EGL.EGL_RED_SIZE, 8, EGL.EGL_GREEN_SIZE, 8, EGL.EGL_BLUE_SIZE, 8,
        EGL.EGL_DEPTH_SIZE, 24,
        EGL.EGL_NONE,
    )  # fmt: skip
    configs = (EGL.EGLConfig * 64)()
    count = EGL.EGLint()
    if not EGL.eglChooseConfig(display, attribs, configs, 64, ctypes.pointer(count)) or (
        count.value < 1
    ):
        raise OpenXRError("no EGL config with RGB8 + depth for desktop OpenGL")
    # EGL sorts deeper colour first; prefer plain 8-bit RGBA, as swapchains are.
    config = configs[0]
    for i in range(count.value):
        if _attrib(display, configs[i], EGL.EGL_RED_SIZE) == 8 and (
            _attrib(display, configs[i], EGL.EGL_ALPHA_SIZE) == 8
        ):
            config = configs[i]
            break
    ctx_attribs = (EGL.EGLint * 7)(
        EGL.EGL_CONTEXT_MAJOR_VERSION, major,
        EGL.EGL_CONTEXT_MINOR_VERSION, minor,
        EGL.EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL.EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
        EGL.EGL_NONE,
    )  # fmt: skip
    context = EGL.eglCreateContext(display, config, EGL.EGL_NO_CONTEXT, ctx_attribs)
    if not context:
        raise OpenXRError(f"cannot create an OpenGL {major}.{minor} core context with EGL")
    name = ctypes.util.find_library("EGL") or "libEGL.so.1"
    lib = ctypes.CDLL(name)
    address = ctypes.cast(lib.eglGetProcAddress, ctypes.c_void_p).value
    if address is None:
        raise OpenXRError(f"{name} has no eglGetProcAddress")
    egl = EGLContext(display, config, context, address)
    egl.make_current()
    return egl
