"""One OpenGL swapchain per eye, each image wrapped in a framebuffer to draw into.

The renderer draws an eye by binding :attr:`EyeSwapchain.framebuffer` after
:meth:`EyeSwapchain.acquire` and before :meth:`EyeSwapchain.release`; the
framebuffers (colour = the runtime's texture, depth = our renderbuffer) are
made once, when the swapchain is created.
"""

from __future__ import annotations

import ctypes

from OpenGL import GL

from vrtrainer.xr.errors import OpenXRError

#: Preferred colour formats, best first: sRGB so the compositor gets linear-correct output.
_FORMATS = (GL.GL_SRGB8_ALPHA8, GL.GL_RGBA8)


class EyeSwapchain:
    """A colour swapchain for one eye and a framebuffer per image."""

    def __init__(self, xr, session, width: int, height: int, sample_count: int = 1) -> None:
        self.xr = xr
        self.width = width
        self.height = height
        offered = list(xr.enumerate_swapchain_formats(session))
        fmt = next((f for f in _FORMATS if f in offered), None)
        if fmt is None:
            raise OpenXRError(
                f"the runtime offers no 8-bit RGBA swapchain format (offered: {offered})"
            )
        self.format = fmt
        self.handle = xr.create_swapchain(
            session,
            xr.SwapchainCreateInfo(
                usage_flags=xr.SwapchainUsageFlags.COLOR_ATTACHMENT_BIT
                | xr.SwapchainUsageFlags.SAMPLED_BIT,
                format=fmt,
                sample_count=sample_count,
                width=width,
                height=height,
                face_count=1,
                array_size=1,
                mip_count=1,
            ),
        )
        images = xr.enumerate_swapchain_images(self.handle, xr.SwapchainImageOpenGLKHR)
        self.textures = [
            ctypes.cast(img, ctypes.POINTER(xr.SwapchainImageOpenGLKHR)).contents.image
            if not isinstance(img, xr.SwapchainImageOpenGLKHR)
            else img.image
            for img in images
        ]
        self.depth = GL.glGenRenderbuffers(1)
        GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, self.depth)
        GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, GL.GL_DEPTH_COMPONENT24, width, height)
        self.framebuffers = []
        for tex in self.textures:
            fbo = GL.glGenFramebuffers(1)
            GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, fbo)
            GL.glFramebufferTexture2D(GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0,
                                      GL.GL_TEXTURE_2D, tex, 0)  # fmt: skip
            GL.glFramebufferRenderbuffer(GL.GL_FRAMEBUFFER, GL.GL_DEPTH_ATTACHMENT,
                                         GL.GL_RENDERBUFFER, self.depth)  # fmt: skip
            status = GL.glCheckFramebufferStatus(GL.GL_FRAMEBUFFER)
            if status != GL.GL_FRAMEBUFFER_COMPLETE:
                raise OpenXRError(f"swapchain framebuffer incomplete (status 0x{status:x})")
            self.framebuffers.append(fbo)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, 0)
        self.index: int | None = None
        self._wait = xr.SwapchainImageWaitInfo(timeout=xr.INFINITE_DURATION)

    @property
    def framebuffer(self) -> int:
        """The GL framebuffer of the acquired image (valid between acquire and release)."""
        if self.index is None:
            raise OpenXRError("no swapchain image acquired")
        return self.framebuffers[self.index]

    def acquire(self) -> int:
        """Acquire and wait for the next image; returns its framebuffer."""
        self.index = self.xr.acquire_swapchain_image(self.handle)
        self.xr.wait_swapchain_image(self.handle, self._wait)
        return self.framebuffers[self.index]

    def release(self) -> None:
        self.xr.release_swapchain_image(self.handle)
        self.index = None

    def destroy(self) -> None:
        try:
            GL.glDeleteFramebuffers(len(self.framebuffers), self.framebuffers)
            GL.glDeleteRenderbuffers(1, [self.depth])
        except GL.GLError:
            pass
        try:
            self.xr.destroy_swapchain(self.handle)
        except self.xr.XrException:
            pass  # runtime gone
