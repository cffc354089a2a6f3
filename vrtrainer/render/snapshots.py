"""PNG snapshots of a recorded take: its hands, optionally an expert ghost, tools and progress.

For looking at takes without a headset (and for reports): from a fixed eye
above and behind the hands, framing where they move, or from the performer's
recorded head.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vrtrainer.compare import build_template
from vrtrainer.compare.aligned import align
from vrtrainer.errors import VrtrainerError
from vrtrainer.hands.hand import POSITION_VALID, WRIST, HandFrame
from vrtrainer.render.camera import View, look_at_pose, stereo_views
from vrtrainer.render.context import EglContext
from vrtrainer.render.cues import Cues
from vrtrainer.render.renderer import Framebuffer, Renderer, SceneState
from vrtrainer.render.scene import scene_for_take

EYES = ("left", "right", "both")


#: Narrower than a headset's, as a camera framing the hands would be (about 60 x 46 degrees).
SNAPSHOT_FOV = (-0.52, 0.52, 0.40, -0.40)


def framing_view(take, fov=SNAPSHOT_FOV) -> View:
    """A fixed eye 0.3 m above and 0.4 m behind the mean wrist position of the take."""
    wrists = take.poses[:, :, WRIST, :3]
    seen = (take.flags[:, :, WRIST] & POSITION_VALID).astype(bool) & take.active
    if not seen.any():
        raise VrtrainerError("the take never tracks a wrist: nothing to frame")
    centre = wrists[seen].mean(axis=0).astype(float)
    return View(look_at_pose(centre + np.array([0.0, 0.30, 0.40]), centre), fov)


def caption_font_size(height: int) -> int:
    """Caption letters grow with the image: 11 px at 240 rows, 16 px at 480, 32 px at 960."""
    return max(11, int(round(height / 30)))


def draw_caption(path: Path, text: str) -> None:
    """Write ``text`` on a dark band across the top of the PNG at ``path``, sized to it.

    The text shrinks to fit the width when it is long for a small image.
    """
    from PIL import Image, ImageDraw, ImageFont

    with Image.open(path) as im:
        img = im.convert("RGB")
    size = caption_font_size(img.height)
    font = ImageFont.load_default(size=size)
    while size > 8 and font.getlength(text) > img.width - 2 * max(3, size // 3):
        size -= 1
        font = ImageFont.load_default(size=size)
    pad = max(2, size // 4)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, img.width, size + 2 * pad), fill=(20, 22, 26))
    draw.text((max(3, size // 3), pad), text, fill=(240, 240, 240), font=font)
    img.save(path)


def _aligned_ghost(take, ghost):
    """The ghost placed beside ``take`` and, per take frame, its matching ghost frame."""
    name = ghost.meta.extra.get("gesture", "") or "expert"
    replay = align(take, build_template([ghost], name=name), ghost)
    return replay.ghost, replay.ghost_frame


def _title(take) -> str:
    meta = take.meta
    who = f" by {meta.performer}" if meta.performer else ""
    return f"{meta.scenario or 'take'}, step {meta.step}: {meta.role}{who}"


def render_take(take, out_dir: str | Path, ghost=None, every: float = 0.5,
                size: tuple[int, int] = (640, 480), eyes: str = "left",
                tolerance: float = 0.015, samples: int = 4, prefix: str = "frame",
                view: str = "hands") -> list[Path]:
    """Write PNGs of ``take`` every ``every`` seconds into ``out_dir``; returns their paths.

    ``ghost`` (an expert take) is shown translucent at the moment of its motion that
    matches each frame, along the comparator's warping path (as ``vrtrainer replay``
    and a session's feedback show it), moved so the mean wrists coincide; the live
    joints are coloured by their distance to it against ``tolerance`` (metres). A slow
    but correct take is then green, not red for being late. ``eyes`` is 'left',
    'right' or 'both' (two files).
    ``view`` 'hands' frames the hands from close by; 'head' is the performer's
    own view, from the take's head poses (when it has them).
    """
    if eyes not in EYES:
        raise VrtrainerError(f"eyes must be one of {', '.join(EYES)}, not {eyes!r}")
    if every <= 0:
        raise VrtrainerError(f"the interval between snapshots must be positive, not {every}")
    width, height = size
    if width <= 0 or height <= 0 or width * height > 4096 * 4096:
        raise VrtrainerError(f"snapshot size {width}x{height} is out of range")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if view not in ("hands", "head"):
        raise VrtrainerError(f"view must be 'hands' or 'head', not {view!r}")
    head = take.head if view == "head" else None
    fixed = None if head is not None else stereo_views(framing_view(take).pose, fov=SNAPSHOT_FOV)
    ghost_frame = None
    if ghost is not None:
        ghost, ghost_frame = _aligned_ghost(take, ghost)
    paths: list[Path] = []
    with EglContext():
        renderer = Renderer(scene_for_take(take))
        fb = Framebuffer(width, height, samples=samples)
        live, expert = HandFrame(), HandFrame()
        cues = Cues(title=_title(take))
        state = SceneState(hands=live, ghost=expert if ghost is not None else None,
                           tolerance=tolerance, cues=cues)
        t0 = float(take.times[0])
        for k, t in enumerate(np.arange(0.0, take.duration + 1e-9, every)):
            i = min(int(np.searchsorted(take.times, t0 + t, side="right")) - 1,
                    take.n_frames - 1)
            take.frame(i, live)
            if ghost is not None and ghost_frame is not None:
                ghost.frame(int(ghost_frame[i]), expert)
                state.joint_errors = np.linalg.norm(
                    live.poses[..., :3] - expert.poses[..., :3], axis=-1)
            state.tools = take.tools_at(i)
            cues.progress = t / take.duration if take.duration > 0 else 1.0
            views = stereo_views(head[i]) if head is not None else fixed
            renderer.update(state)
            for e, eye_view in enumerate(views or ()):
                if eyes != "both" and EYES[e] != eyes:
                    continue
                renderer.render_view(eye_view, fb.target)
                suffix = f"_{EYES[e]}" if eyes == "both" else ""
                paths.append(fb.save_png(out_dir / f"{prefix}_{k:04d}{suffix}.png"))
        fb.delete()
        renderer.close()
    return paths
