"""The OpenXR backend: a headset session feeding vrtrainer's frame loop.

Per frame it gives what the training loop needs and nothing OpenXR-specific:
the predicted display time, the two eye views (pose and fov angles), both
hands as a :class:`vrtrainer.hands.hand.HandFrame`, controller/tool poses, the
trainee's commands, and one render target (a GL framebuffer and its size) per
eye. ``end_frame`` submits what was drawn. Two modes:

* ``openxr`` (GL through EGL with XR_MNDX_egl_enable, or the window system's
  GL): the runtime paces frames with xrWaitFrame;
* ``openxr-headless`` (XR_MND_headless): no graphics, for scoring from a real
  runtime; the loop paces itself and takes time from the system clock through
  XR_KHR_convert_timespec_time (Monado 25's headless xrWaitFrame returns at once
  and its xrBeginFrame refuses to run).

Usage::

    with OpenXRBackend(mode="egl") as backend:
        while (frame := backend.begin_frame()) is not None:
            for target, view in zip(frame.targets, frame.views):
                draw(target.framebuffer, target.width, target.height, view)
            backend.end_frame()

A runtime that goes away mid-session ends the loop with
:class:`RuntimeLostError`; a quit (``request_exit`` or the quit button) winds the
session down through the runtime and then ``begin_frame`` returns None.
"""

from __future__ import annotations

import ctypes
import time
from dataclasses import dataclass

import numpy as np

from vrtrainer.backends.base import RenderTarget, View
from vrtrainer.hands.hand import HandFrame
from vrtrainer.xr.actions import ActionSystem, Controllers, ToolBinding
from vrtrainer.xr.errors import OpenXRError, RuntimeLostError
from vrtrainer.xr.hand_tracking import HandTracking
from vrtrainer.xr.instance import CONVERT_TIMESPEC, Instance, RuntimeReport
from vrtrainer.xr.lifecycle import Command, SessionLifecycle, SessionState
from vrtrainer.xr.pyopenxr import load_xr, raise_on_error

#: Eye height assumed when the runtime has no STAGE space (LOCAL starts at the head).
DEFAULT_EYE_HEIGHT = 1.6


@dataclass
class XRFrame:
    """Everything the training loop gets from the headset for one frame.

    ``time`` is seconds since the session's first frame (at the predicted
    display time); ``xr_time`` the same instant as an XrTime in nanoseconds.
    ``targets`` is empty when the runtime does not want this frame rendered.
    """

    time: float
    xr_time: int
    views: list[View]
    head: np.ndarray
    hands: HandFrame
    controllers: Controllers
    events: list[str]
    targets: list[RenderTarget]
    should_render: bool


class _GraphicsBindingEGL(ctypes.Structure):
    # XrGraphicsBindingEGLMNDX (pyopenxr only defines it for Android).
    _fields_ = [
        ("type", ctypes.c_int),
        ("next", ctypes.c_void_p),
        ("get_proc_address", ctypes.c_void_p),
        ("display", ctypes.c_void_p),
        ("config", ctypes.c_void_p),
        ("context", ctypes.c_void_p),
    ]


_GRAPHICS_BINDING_EGL_MNDX = 1000048004

_LOSS_ERRORS = ("InstanceLostError", "SessionLostError", "RuntimeFailureError")


class OpenXRBackend:
    """A headset session through OpenXR, one frame at a time (see module doc)."""

    def __init__(
        self,
        mode: str = "egl",
        tools: tuple[ToolBinding, ...] = (),
        app_name: str = "vrtrainer",
        headless_rate: float = 90.0,
        eye_height: float = DEFAULT_EYE_HEIGHT,
        egl_context=None,
    ) -> None:
        if mode not in ("egl", "headless"):
            raise OpenXRError(f"OpenXR mode {mode!r} is not available here; use egl or headless")
        self.mode = mode
        self.name = "openxr-headless" if mode == "headless" else "openxr"
        self.tools = tools
        self.app_name = app_name
        self.headless_period = 1.0 / headless_rate
        self.eye_height = eye_height
        self.lifecycle = SessionLifecycle()
        self.egl = egl_context
        self._own_egl = egl_context is None
        self.instance: Instance | None = None
        self.hand_tracking: HandTracking | None = None
        self.session = None
        self.swapchains: list = []
        self.hands_frame = HandFrame()
        self._frame: XRFrame | None = None
        self._in_frame = False
        self._epoch: int | None = None
        self._next_tick = 0.0
        self.space_kind = ""
        self.notes: list[str] = []

    # -- setting up -------------------------------------------------------

    def open(self) -> OpenXRBackend:
        """Create the instance, the session, spaces, hand trackers, actions, swapchains."""
        xr = load_xr()
        self.xr = xr
        self.instance = Instance(self.mode, self.app_name)
        inst = self.instance
        self.notes += inst.report.notes
        try:
            self._create_session()
            self._create_spaces()
            self.hand_tracking = (
                HandTracking(inst, self.session) if inst.report.hand_tracking else None
            )
            self.actions = ActionSystem(inst, self.tools)
            self.actions.attach(self.session)
            if self.mode != "headless":
                self._create_swapchains()
        except xr.XrException as exc:
            self.close()
            raise self._translate(exc, "setting up the session") from exc
        except BaseException:
            self.close()
            raise
        return self

    @property
    def report(self) -> RuntimeReport:
        return self._opened.report

    @property
    def _opened(self) -> Instance:
        """The instance, which every call after :meth:`open` has."""
        if self.instance is None:
            raise OpenXRError("the OpenXR backend is not open")
        return self.instance

    def _create_session(self) -> None:
        xr, inst = self.xr, self._opened
        info = xr.SessionCreateInfo(system_id=inst.system_id)
        if self.mode == "egl":
            reqs = xr.GraphicsRequirementsOpenGLKHR()
            fn = inst.proc("xrGetOpenGLGraphicsRequirementsKHR",
                           xr.PFN_xrGetOpenGLGraphicsRequirementsKHR)  # fmt: skip
            raise_on_error(fn(inst.handle, inst.system_id, ctypes.byref(reqs)))
            if self.egl is None:
                from vrtrainer.xr.egl_context import create_egl_context

                self.egl = create_egl_context()
            self.egl.make_current()
            self._binding = _GraphicsBindingEGL(
                type=_GRAPHICS_BINDING_EGL_MNDX,
                next=None,
                get_proc_address=self.egl.get_proc_address,
                display=_address(self.egl.display),
                config=_address(self.egl.config),
                context=_address(self.egl.context),
            )
            info.next = ctypes.cast(ctypes.pointer(self._binding), ctypes.c_void_p)
        self.session = xr.create_session(inst.handle, info)

    def _create_spaces(self) -> None:
        xr = self.xr
        kinds = set(xr.enumerate_reference_spaces(self.session))
        pose = xr.Posef()
        if xr.ReferenceSpaceType.STAGE in kinds:
            kind, self.space_kind = xr.ReferenceSpaceType.STAGE, "stage"
        else:
            # LOCAL's origin is the head at start: put ours on the floor below it.
            kind, self.space_kind = xr.ReferenceSpaceType.LOCAL, "local"
            pose.position.y = -self.eye_height
            self.notes.append(
                f"no STAGE space: using LOCAL with the floor {self.eye_height:.2f} m below "
                "the starting head position"
            )
        self.space = xr.create_reference_space(
            self.session,
            xr.ReferenceSpaceCreateInfo(reference_space_type=kind, pose_in_reference_space=pose),
        )
        self.view_space = xr.create_reference_space(
            self.session,
            xr.ReferenceSpaceCreateInfo(
                reference_space_type=xr.ReferenceSpaceType.VIEW, pose_in_reference_space=xr.Posef()
            ),
        )

    def _create_swapchains(self) -> None:
        from vrtrainer.xr.swapchains import EyeSwapchain

        xr, inst = self.xr, self._opened
        config_views = xr.enumerate_view_configuration_views(
            inst.handle, inst.system_id, xr.ViewConfigurationType.PRIMARY_STEREO
        )
        self.swapchains = [
            EyeSwapchain(xr, self.session, v.recommended_image_rect_width,
                         v.recommended_image_rect_height)  # fmt: skip
            for v in config_views
        ]
        self._layer_views = (xr.CompositionLayerProjectionView * len(self.swapchains))()
        for i, sc in enumerate(self.swapchains):
            lv = self._layer_views[i]
            lv.type = xr.StructureType.COMPOSITION_LAYER_PROJECTION_VIEW.value
            lv.sub_image.swapchain = sc.handle
            lv.sub_image.image_rect.offset.x = 0
            lv.sub_image.image_rect.offset.y = 0
            lv.sub_image.image_rect.extent.width = sc.width
            lv.sub_image.image_rect.extent.height = sc.height
        self._layer = xr.CompositionLayerProjection(space=self.space, views=self._layer_views)
        self._layers = (ctypes.POINTER(xr.CompositionLayerBaseHeader) * 1)(
            ctypes.cast(ctypes.pointer(self._layer),
                        ctypes.POINTER(xr.CompositionLayerBaseHeader))  # fmt: skip
        )

    # -- the frame loop ---------------------------------------------------

    def begin_frame(self) -> XRFrame | None:
        """Wait for the next frame; None once the session has ended (after a quit)."""
        xr = self.xr
        try:
            while True:
                self._poll_events()
                if self.lifecycle.finished:
                    if self.lifecycle.lost:
                        raise RuntimeLostError(self._lost_message("it announced it is going away"))
                    return None
                if self.lifecycle.frames_wanted:
                    break
                time.sleep(0.02)  # no frames while idle: don't spin
            if self.mode == "headless":
                xr_time, should_render = self._headless_tick(), False
            else:
                state = xr.wait_frame(self.session)
                xr.begin_frame(self.session)
                self._in_frame = True
                xr_time = int(state.predicted_display_time)
                should_render = bool(state.should_render)
            return self._fill_frame(xr_time, should_render)
        except xr.XrException as exc:
            raise self._translate(exc, "running a frame") from exc

    def end_frame(self) -> None:
        """Submit the frame: the projection layer when it was rendered, else no layer."""
        xr = self.xr
        frame = self._frame
        if self.mode == "headless" or frame is None or not self._in_frame:
            return
        try:
            layers = 0
            if frame.targets:
                for sc in self.swapchains:
                    sc.release()
                for i, view in enumerate(frame.views):
                    lv = self._layer_views[i]
                    p = view.pose
                    lv.pose.position.x, lv.pose.position.y, lv.pose.position.z = p[0:3]
                    (lv.pose.orientation.x, lv.pose.orientation.y, lv.pose.orientation.z,
                     lv.pose.orientation.w) = p[3:7]  # fmt: skip
                    (lv.fov.angle_left, lv.fov.angle_right, lv.fov.angle_up,
                     lv.fov.angle_down) = view.fov  # fmt: skip
                layers = 1
            info = xr.FrameEndInfo(
                display_time=frame.xr_time,
                environment_blend_mode=xr.EnvironmentBlendMode.OPAQUE,
            )
            info.layer_count = layers
            info.layers = self._layers if layers else None
            xr.end_frame(self.session, info)
            self._in_frame = False
        except xr.XrException as exc:
            raise self._translate(exc, "submitting a frame") from exc

    def request_exit(self) -> None:
        """The user quit: ask the runtime to end the session; frames stop soon after."""
        self._run(self.lifecycle.request_exit())

    # -- internals --------------------------------------------------------

    def _poll_events(self) -> None:
        xr = self.xr
        while True:
            try:
                event = xr.poll_event(self._opened.handle)
            except xr.EventUnavailable:
                return
            kind = xr.StructureType(event.type)
            if kind == xr.StructureType.EVENT_DATA_SESSION_STATE_CHANGED:
                changed = ctypes.cast(
                    ctypes.byref(event), ctypes.POINTER(xr.EventDataSessionStateChanged)
                ).contents
                self._run(self.lifecycle.on_state_changed(int(changed.state)))
            elif kind == xr.StructureType.EVENT_DATA_INSTANCE_LOSS_PENDING:
                self._run(self.lifecycle.on_instance_loss_pending())
            elif kind == xr.StructureType.EVENT_DATA_INTERACTION_PROFILE_CHANGED:
                self.actions.current_profiles()

    def _run(self, commands: list[Command]) -> None:
        xr = self.xr
        for command in commands:
            if command == Command.BEGIN_SESSION:
                xr.begin_session(
                    self.session,
                    xr.SessionBeginInfo(
                        primary_view_configuration_type=xr.ViewConfigurationType.PRIMARY_STEREO
                    ),
                )
                self._epoch = None
            elif command == Command.END_SESSION:
                try:
                    xr.end_session(self.session)
                except xr.XrException:
                    if not self.lifecycle.lost:
                        raise
            elif command == Command.REQUEST_EXIT:
                xr.request_exit_session(self.session)

    def _headless_tick(self) -> int:
        now = time.monotonic()
        if self._next_tick > now:
            time.sleep(self._next_tick - now)
            now = self._next_tick
        self._next_tick = max(now, self._next_tick) + self.headless_period
        return self._now_xr_time()

    def _now_xr_time(self) -> int:
        xr = self.xr
        if not self._opened.has(CONVERT_TIMESPEC):
            raise OpenXRError("headless sessions need XR_KHR_convert_timespec_time for time")
        fn = self._opened.proc(
            "xrConvertTimespecTimeToTimeKHR",
            ctypes.CFUNCTYPE(xr.Result.ctype(), xr.Instance, ctypes.POINTER(xr.timespec),
                             ctypes.POINTER(xr.Time)),  # fmt: skip
        )
        ns = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        ts = xr.timespec(ns // 1_000_000_000, ns % 1_000_000_000)
        out = xr.Time()
        raise_on_error(fn(self._opened.handle, ctypes.byref(ts), ctypes.byref(out)))
        return int(out.value)

    def _fill_frame(self, xr_time: int, should_render: bool) -> XRFrame:
        xr = self.xr
        if self._epoch is None:
            self._epoch = xr_time
        seconds = (xr_time - self._epoch) / 1e9
        frame = self._frame
        if frame is None:
            frame = self._frame = XRFrame(
                time=0.0, xr_time=0, views=[View(), View()], head=np.zeros(7, np.float32),
                hands=self.hands_frame, controllers=Controllers(()), events=[], targets=[],
                should_render=False,
            )  # fmt: skip
        frame.time, frame.xr_time = seconds, xr_time
        view_state, views = xr.locate_views(
            self.session,
            xr.ViewLocateInfo(
                view_configuration_type=xr.ViewConfigurationType.PRIMARY_STEREO,
                display_time=xr_time,
                space=self.space,
            ),
        )
        for out, v in zip(frame.views, views, strict=False):
            _pose_into(v.pose, out.pose)
            out.fov = (float(v.fov.angle_left), float(v.fov.angle_right),
                       float(v.fov.angle_up), float(v.fov.angle_down))
        _pose_into(xr.locate_space(self.view_space, self.space, xr_time).pose, frame.head)
        if self.hand_tracking is not None:
            self.hand_tracking.locate(self.space, xr_time, seconds, frame.hands)
        else:
            frame.hands.time = seconds
            frame.hands.active[:] = False
            frame.hands.flags[:] = 0
        frame.controllers = self.actions.update(self.space, xr_time, self.lifecycle.focused)
        frame.events = frame.controllers.commands
        if "quit" in frame.events:
            self.request_exit()
        frame.should_render = should_render
        frame.targets = []
        if should_render and self.swapchains:
            for eye, sc in enumerate(self.swapchains):
                frame.targets.append(RenderTarget(sc.acquire(), sc.width, sc.height, eye=eye))
        return frame

    def _translate(self, exc: Exception, doing: str) -> OpenXRError:
        if type(exc).__name__ in _LOSS_ERRORS or self.lifecycle.lost:
            self.lifecycle.lost = True
            self.lifecycle.finished = True
            return RuntimeLostError(self._lost_message(f"{type(exc).__name__} while {doing}"))
        return OpenXRError(f"OpenXR call failed while {doing}: {type(exc).__name__} {exc}")

    def _lost_message(self, how: str) -> str:
        name = self.instance.report.runtime_name if self.instance else "the OpenXR runtime"
        return (
            f"lost the OpenXR runtime ({name}) during the session: {how}. "
            "Check that it is still running and the headset connected, then start again"
        )

    # -- tearing down -----------------------------------------------------

    def wind_down(self, timeout: float = 3.0) -> None:
        """End a running session the polite way: request exit, run empty frames to EXITING.

        Called by :meth:`close`, so an application that simply stops still lets
        the runtime take the session through STOPPING. Gives up after
        ``timeout`` seconds, and at once if the runtime is lost.
        """
        if self.session is None or self.lifecycle.finished or self.lifecycle.lost:
            return
        deadline = time.monotonic() + timeout
        try:
            if self._in_frame:
                self.end_frame()
            self.request_exit()
            while time.monotonic() < deadline and self.begin_frame() is not None:
                self.end_frame()
        except OpenXRError:
            pass  # closing anyway; the runtime's state no longer matters

    def close(self) -> None:
        """Wind down, then destroy everything in reverse order; safe when lost and twice."""
        xr = getattr(self, "xr", None)
        if xr is None:
            return
        self.wind_down()
        for sc in self.swapchains:
            sc.destroy()
        self.swapchains = []
        for part in ("hand_tracking", "actions"):
            obj = getattr(self, part, None)
            if obj is not None:
                obj.destroy()
                setattr(self, part, None)
        for name in ("view_space", "space"):
            space = getattr(self, name, None)
            if space is not None:
                _quietly(xr, xr.destroy_space, space)
                setattr(self, name, None)
        if self.session is not None:
            _quietly(xr, xr.destroy_session, self.session)
            self.session = None
        if self.instance is not None:
            self.instance.destroy()
        if self.egl is not None and self._own_egl:
            self.egl.destroy()
            self.egl = None

    def __enter__(self) -> OpenXRBackend:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def state(self) -> SessionState:
        return self.lifecycle.state


def _pose_into(pose, out: np.ndarray) -> None:
    out[0:3] = (pose.position.x, pose.position.y, pose.position.z)
    out[3:7] = (pose.orientation.x, pose.orientation.y, pose.orientation.z, pose.orientation.w)


def _address(handle) -> int | None:
    return ctypes.cast(handle, ctypes.c_void_p).value


def _quietly(xr, fn, *args) -> None:
    try:
        fn(*args)
    except xr.XrException:
        pass  # the runtime is gone; its handles went with it
