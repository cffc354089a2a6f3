"""The OpenXR instance and system: which extensions to enable and what the runtime offers.

vrtrainer needs a graphics extension for its mode (XR_KHR_opengl_enable, plus
XR_MNDX_egl_enable for an EGL context; XR_MND_headless for scoring without
rendering) and uses hand tracking (XR_EXT_hand_tracking) when present, falling
back to controllers, which it says. The report built here is also what
``vrtrainer doctor`` prints.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vrtrainer import __version__
from vrtrainer.xr.errors import MissingExtensionError, RuntimeUnavailableError
from vrtrainer.xr.pyopenxr import load_xr, raise_on_error

OPENGL = "XR_KHR_opengl_enable"
EGL = "XR_MNDX_egl_enable"
HEADLESS = "XR_MND_headless"
HAND_TRACKING = "XR_EXT_hand_tracking"
HAND_INTERACTION = "XR_EXT_hand_interaction"
HAND_AIM = "XR_FB_hand_tracking_aim"
CONVERT_TIMESPEC = "XR_KHR_convert_timespec_time"
CONVERT_WIN32_TIME = "XR_KHR_win32_convert_performance_counter_time"

#: Graphics modes: "egl" (GL through EGL, Linux), "gl" (GL through the
#: platform's window system: WGL on Windows, GLX on Linux), "headless".
MODES = ("egl", "gl", "headless", "probe")  # probe: look at the runtime, no session

#: Extensions used when present, with what is lost without them.
OPTIONAL = {
    HAND_TRACKING: "no hand tracking: controllers stand in for hands (grip poses, no joints)",
    HAND_INTERACTION: "no hand-interaction profile: pinch and grasp do not act as buttons",
    HAND_AIM: "no hand aim poses from Meta's extension",
    CONVERT_TIMESPEC: "no conversion from the system clock to XrTime",
    CONVERT_WIN32_TIME: "no conversion from the performance counter to XrTime",
}


def required_extensions(mode: str) -> list[str]:
    """Extensions that ``mode`` cannot run without."""
    if mode == "egl":
        return [OPENGL, EGL]
    if mode == "gl":
        return [OPENGL]
    if mode == "headless":
        return [HEADLESS]
    if mode == "probe":  # no session, only looking (vrtrainer doctor)
        return []
    raise ValueError(f"unknown OpenXR mode {mode!r}; one of {MODES}")


@dataclass
class ExtensionPlan:
    """The extensions to enable and, for each wanted one that is missing, its consequence."""

    enabled: list[str]
    missing_required: list[str]
    missing_optional: dict[str, str] = field(default_factory=dict)


def plan_extensions(mode: str, available: set[str]) -> ExtensionPlan:
    """Choose the extensions for ``mode`` from those the runtime offers."""
    required = required_extensions(mode)
    optional = [e for e in OPTIONAL if e != CONVERT_WIN32_TIME or sys.platform == "win32"]
    if sys.platform == "win32" and CONVERT_TIMESPEC in optional:
        optional.remove(CONVERT_TIMESPEC)
    enabled = [e for e in required + optional if e in available]
    return ExtensionPlan(
        enabled=enabled,
        missing_required=[e for e in required if e not in available],
        missing_optional={e: OPTIONAL[e] for e in optional if e not in available},
    )


def available_extensions() -> dict[str, int]:
    """Extension name -> version offered by the active runtime (through the loader)."""
    xr = load_xr()
    try:
        props = xr.enumerate_instance_extension_properties()
    except xr.XrException as exc:
        raise RuntimeUnavailableError(_no_runtime_message(exc)) from exc
    return {_decode(p.extension_name): int(p.extension_version) for p in props}


def _decode(name: bytes | str) -> str:
    return name.decode() if isinstance(name, bytes) else str(name)


def _no_runtime_message(exc: Exception) -> str:
    return (
        f"no OpenXR runtime answered ({exc}). Start your runtime first: SteamVR or the Meta "
        "Quest Link app on Windows, monado-service or WiVRn on Linux, and make it the active "
        "OpenXR runtime (see docs/openxr.md); `vrtrainer doctor` checks the set-up"
    )


@dataclass
class RuntimeReport:
    """What the runtime is and offers, and what vrtrainer will do with it."""

    mode: str
    runtime_name: str = ""
    runtime_version: str = ""
    extensions: dict[str, int] = field(default_factory=dict)
    enabled: list[str] = field(default_factory=list)
    missing_optional: dict[str, str] = field(default_factory=dict)
    system_name: str = ""
    hand_tracking: bool = False
    notes: list[str] = field(default_factory=list)


class Instance:
    """An XrInstance and its head-mounted system, created for one graphics mode.

    Raises :class:`MissingExtensionError` naming what the runtime lacks for the
    mode, :class:`RuntimeUnavailableError` when no runtime or no headset answers.
    """

    def __init__(self, mode: str = "egl", app_name: str = "vrtrainer") -> None:
        xr = load_xr()
        self.xr = xr
        self.mode = mode
        available = available_extensions()
        plan = plan_extensions(mode, set(available))
        self.report = RuntimeReport(
            mode=mode,
            extensions=available,
            enabled=plan.enabled,
            missing_optional=plan.missing_optional,
        )
        if plan.missing_required:
            raise MissingExtensionError(
                f"the OpenXR runtime lacks {', '.join(plan.missing_required)}, needed for "
                f"mode {mode!r}" + _mode_advice(mode, set(available))
            )
        info = xr.InstanceCreateInfo(
            application_info=xr.ApplicationInfo(
                application_name=app_name,
                application_version=_version_int(),
                engine_name="vrtrainer",
                engine_version=_version_int(),
                api_version=xr.Version(1, 0, 0),
            ),
            enabled_extension_names=plan.enabled,
        )
        try:
            self.handle = xr.create_instance(info)
        except xr.XrException as exc:
            raise RuntimeUnavailableError(_no_runtime_message(exc)) from exc
        self._procs: dict[str, Callable[..., Any]] = {}
        props = xr.get_instance_properties(self.handle)
        v = xr.Version(props.runtime_version)
        self.report.runtime_name = _decode(props.runtime_name)
        self.report.runtime_version = f"{v.major}.{v.minor}.{v.patch}"
        try:
            self.system_id = xr.get_system(
                self.handle, xr.SystemGetInfo(form_factor=xr.FormFactor.HEAD_MOUNTED_DISPLAY)
            )
        except xr.FormFactorUnavailableError as exc:
            self.destroy()
            raise RuntimeUnavailableError(
                "the OpenXR runtime sees no headset: connect it and switch it on (Quest: enable "
                "Link or Air Link first), then try again"
            ) from exc
        self._read_system()

    def _read_system(self) -> None:
        xr = self.xr
        hand = xr.SystemHandTrackingPropertiesEXT()
        props = xr.SystemProperties()
        if self.has(HAND_TRACKING):
            props.next = ctypes.cast(ctypes.pointer(hand), ctypes.c_void_p)
        raise_on_error(
            xr.raw_functions.xrGetSystemProperties(self.handle, self.system_id, ctypes.byref(props))
        )
        self.report.system_name = _decode(props.system_name)
        self.report.hand_tracking = bool(self.has(HAND_TRACKING) and hand.supports_hand_tracking)
        if not self.report.hand_tracking:
            why = (
                "the runtime has no XR_EXT_hand_tracking"
                if not self.has(HAND_TRACKING)
                else "this system does not track hands"
            )
            self.report.notes.append(
                f"hand tracking unavailable ({why}): falling back to controllers, whose grip "
                "poses stand in for the wrists; fingers are not scored"
            )

    def has(self, extension: str) -> bool:
        """True if ``extension`` was enabled on this instance."""
        return extension in self.report.enabled

    def proc(self, name: str, prototype: type) -> Callable[..., Any]:
        """An extension function pointer from xrGetInstanceProcAddr, cast to ``prototype``."""
        fn = self._procs.get(name)
        if fn is None:
            fn = ctypes.cast(self.xr.get_instance_proc_addr(self.handle, name), prototype)
            self._procs[name] = fn
        return fn

    def path(self, string: str) -> int:
        """The XrPath of a path string."""
        return self.xr.string_to_path(self.handle, string)

    def destroy(self) -> None:
        if getattr(self, "handle", None) is not None:
            try:
                self.xr.destroy_instance(self.handle)
            except self.xr.XrException:
                pass  # a lost runtime cannot destroy anything; nothing left to free
            self.handle = None


def _version_int() -> int:
    major, minor, patch = (int(x) for x in (__version__.split(".") + ["0", "0"])[:3])
    return (major << 16) | (minor << 8) | patch


def _mode_advice(mode: str, available: set[str]) -> str:
    if mode == "egl" and OPENGL in available:
        return (
            ": this runtime takes OpenGL but not through EGL; use the 'gl' mode "
            "(a window-system GL context)"
        )
    if mode == "headless":
        return ": only Monado offers headless sessions; use a GL mode with this runtime"
    return ": vrtrainer renders with OpenGL; enable the runtime's OpenGL support"
