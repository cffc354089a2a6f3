"""`vrtrainer doctor`: is this machine ready for a headset session, and if not, what to do.

Checks, each with advice when something is wrong: the OpenXR runtime (name,
version, extensions), hand tracking, the graphics path vrtrainer will use, the
GL context and renderer, the numba cache. ``--session SECONDS`` also runs a
real session for that long and reports how it went.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import typer

from vrtrainer.errors import VrtrainerError

OK, WARN, FAIL = "ok", "warn", "FAIL"


@dataclass
class Check:
    """One line of the report: what was checked, how it went, what to do about it."""

    name: str
    status: str
    detail: str
    advice: str = ""


def check_runtime(checks: list[Check]):
    """Runtime identity, extensions and hand tracking; returns the instance report or None."""
    from vrtrainer.xr.errors import OpenXRError
    from vrtrainer.xr.instance import (
        EGL,
        HAND_TRACKING,
        HEADLESS,
        OPENGL,
        Instance,
        available_extensions,
    )

    try:
        extensions = available_extensions()
        instance = Instance("probe", "vrtrainer doctor")
    except OpenXRError as exc:
        checks.append(Check("OpenXR runtime", FAIL, str(exc)))
        return None
    except OSError as exc:  # the loader itself could not load
        checks.append(Check("OpenXR runtime", FAIL, f"cannot load the OpenXR loader: {exc}",
                            "reinstall pyopenxr (pip install pyopenxr)"))  # fmt: skip
        return None
    report = instance.report
    instance.destroy()
    checks.append(Check("OpenXR runtime", OK,
                        f"{report.runtime_name} {report.runtime_version}, "
                        f"system '{report.system_name}'"))  # fmt: skip
    checks.append(Check("extensions", OK, f"{len(extensions)} offered: " + ", ".join(
        sorted(extensions))))  # fmt: skip
    if report.hand_tracking:
        checks.append(Check("hand tracking", OK, f"{HAND_TRACKING} supported by the system"))
    else:
        checks.append(Check(
            "hand tracking", WARN, "; ".join(report.notes) or "not supported",
            "turn hand tracking on in the runtime (Quest: Settings > Movement tracking > Hand "
            "tracking, and in the Link app's beta features for the OpenXR hand extensions; "
            "SteamVR: only with a hand-tracking device or driver)",
        ))  # fmt: skip
    if OPENGL in extensions and EGL in extensions:
        checks.append(Check("graphics path", OK, f"{OPENGL} through EGL ({EGL}): mode egl"))
    elif OPENGL in extensions:
        checks.append(Check(
            "graphics path", WARN, f"{OPENGL} without {EGL}",
            "this runtime takes OpenGL from a window-system context (WGL/GLX), which this "
            "build of vrtrainer does not create yet; the headless mode still works where "
            f"{HEADLESS} is offered",
        ))  # fmt: skip
    else:
        checks.append(Check("graphics path", FAIL, f"no {OPENGL}",
                            "vrtrainer renders with OpenGL: enable the runtime's OpenGL "
                            "support"))  # fmt: skip
    if HEADLESS in extensions:
        checks.append(Check("headless sessions", OK, f"{HEADLESS}: scoring without rendering"))
    return report


def check_gl(checks: list[Check]) -> None:
    """Create the EGL context vrtrainer would use and say what renders it."""
    try:
        from vrtrainer.xr.pyopenxr import load_xr

        load_xr()  # keep PyOpenGL on EGL even once pyopenxr is imported
        from OpenGL import GL

        from vrtrainer.xr.egl_context import create_egl_context

        ctx = create_egl_context()
    except Exception as exc:  # any failure to make a context is the diagnosis itself
        checks.append(Check("GL context", FAIL, f"no EGL OpenGL 3.3 context: {exc}",
                            "install Mesa's EGL (Debian: libegl1 libegl-mesa0 libgl1-mesa-dri "
                            "libopengl0) or your GPU's driver"))  # fmt: skip
        return
    try:
        renderer = GL.glGetString(GL.GL_RENDERER).decode()
        version = GL.glGetString(GL.GL_VERSION).decode()
        count = GL.glGetIntegerv(GL.GL_NUM_EXTENSIONS)
        exts = {GL.glGetStringi(GL.GL_EXTENSIONS, i).decode() for i in range(int(count))}
    finally:
        ctx.destroy()
    detail = f"EGL, {renderer}, OpenGL {version}"
    if "llvmpipe" in renderer or "softpipe" in renderer:
        checks.append(Check("GL renderer", WARN, detail,
                            "software rendering: fine for tests and headless runs, too slow "
                            "for a headset; install your GPU's driver"))  # fmt: skip
    else:
        checks.append(Check("GL renderer", OK, detail))
    if "GL_EXT_memory_object_fd" not in exts and sys.platform.startswith("linux"):
        checks.append(Check("GL memory objects", WARN, "no GL_EXT_memory_object_fd",
                            "Monado and WiVRn share swapchain images through it; update "
                            "Mesa or the GPU driver"))  # fmt: skip


def check_numba(checks: list[Check]) -> None:
    """Where numba caches compiled kernels, and whether that cache is warm."""
    cache = os.environ.get("NUMBA_CACHE_DIR")
    if not cache:
        checks.append(Check("numba cache", WARN, "NUMBA_CACHE_DIR not set: kernels cache "
                            "beside the installed package (often read-only)",
                            "set NUMBA_CACHE_DIR to a writable folder (make sets "
                            ".venv/numba-cache)"))  # fmt: skip
        return
    path = Path(cache)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".vrtrainer-doctor"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        checks.append(Check("numba cache", FAIL, f"{path} is not writable: {exc}",
                            "point NUMBA_CACHE_DIR at a writable folder"))  # fmt: skip
        return
    n = sum(1 for _ in path.rglob("*.nbi"))
    if n == 0:
        checks.append(Check("numba cache", WARN, f"{path}: empty",
                            "the first scoring run compiles the kernels (a few seconds, "
                            "once); `make demo` warms the cache"))  # fmt: skip
    else:
        checks.append(Check("numba cache", OK, f"{path}: {n} compiled kernel index(es)"))


def check_results(checks: list[Check]) -> None:
    """Where attempts are stored (the default SQLite file is made on first use)."""
    from vrtrainer.results import resolve_url
    from vrtrainer.results.engine import public_url

    try:
        url = resolve_url()
    except VrtrainerError as exc:
        checks.append(Check("results store", FAIL, str(exc),
                            "set VRTRAINER_DB to a SQLite path or a postgresql:// URL"))
        return
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[-1])
        where = path if path.exists() else f"{path} (created on the first attempt)"
        checks.append(Check("results store", OK, f"SQLite {where}"))
    else:
        checks.append(Check("results store", OK, public_url(url)))


def run_session(seconds: float, headless: bool) -> Check:
    """Run a real session for ``seconds``; RuntimeLostError propagates (exit code 2)."""
    from vrtrainer.xr.backend import OpenXRBackend

    backend = OpenXRBackend(mode="headless" if headless else "egl")
    frames = rendered = hands = 0
    with backend:
        start = time.monotonic()
        print("session: started", flush=True)
        focused_said = False
        while (frame := backend.begin_frame()) is not None:
            frames += 1
            rendered += bool(frame.targets)
            hands += int(frame.hands.active.sum())
            backend.end_frame()
            if backend.lifecycle.focused and not focused_said:
                print("session: focused", flush=True)
                focused_said = True
            if time.monotonic() - start >= seconds:
                backend.request_exit()
        history = [s.name for s in backend.lifecycle.history]
        elapsed = time.monotonic() - start
    status = OK if "FOCUSED" in history else WARN
    return Check("session", status,
                 f"{frames} frames in {elapsed:.1f} s ({frames / max(elapsed, 1e-9):.0f} Hz), "
                 f"{rendered} rendered, hands active in {hands / max(2 * frames, 1):.0%} "
                 f"of hand-frames; states {' > '.join(history)}",
                 "" if status == OK else "the session never got focus: put the headset on "
                 "or close the runtime's menu")  # fmt: skip


def print_report(checks: list[Check]) -> None:
    width = max(len(c.name) for c in checks)
    for c in checks:
        typer.echo(f"{c.status:>4}  {c.name:<{width}}  {c.detail}")
        if c.advice:
            typer.echo(f"      {'':<{width}}  -> {c.advice}")


def register(app: typer.Typer) -> None:
    @app.command()
    def doctor(
        session: float = typer.Option(
            0.0, "--session", metavar="SECONDS",
            help="also run a real OpenXR session for this many seconds",
        ),
        headless: bool = typer.Option(
            False, "--headless", help="run that session without rendering (XR_MND_headless)"
        ),
    ) -> None:
        """Check the OpenXR runtime, hand tracking, GL and numba; advise on each problem."""
        checks: list[Check] = []
        report = check_runtime(checks)
        check_gl(checks)
        check_numba(checks)
        check_results(checks)
        if session > 0 and report is not None:
            try:
                checks.append(run_session(session, headless))
            except VrtrainerError:
                print_report(checks)
                raise
        print_report(checks)
        if any(c.status == FAIL for c in checks):
            raise typer.Exit(1)
