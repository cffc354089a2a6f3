"""Session frames a trainer can read: hands framed, cue text large, neutral scene.

Frames drawn offscreen have no head to follow; the presenter frames the hands and the
ghost (vrtrainer.render.framing). These look at the pixels of a whole rendered session.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from vrtrainer.app.runner import DEFAULT_EYE_SIZE
from vrtrainer.app.training import TrainingOptions, run_training
from vrtrainer.render.framing import HandFraming, frame_box


def _eyes(path) -> tuple[np.ndarray, int]:
    a = np.asarray(Image.open(path).convert("RGB")).astype(int)
    return a, a.shape[1] // 2


def _hand_box(eye: np.ndarray) -> tuple[float, float]:
    """Width and height (shares of the eye) of the saturated pixels below the panel:
    joints coloured by error, skin-toned bones, the blue ghost; the neutral scene's
    floor and sky are greys."""
    lower = eye[eye.shape[0] // 2:]
    sat = (lower.max(axis=2) - lower.min(axis=2)) > 60
    ys, xs = np.nonzero(sat)
    if len(xs) < 20:
        return 0.0, 0.0
    h, w = eye.shape[:2]
    return (np.percentile(xs, 99) - np.percentile(xs, 1)) / w, \
        (np.percentile(ys, 99) - np.percentile(ys, 1)) / h


def _tallest_ink(eye: np.ndarray) -> tuple[int, float]:
    """Inside the dark cue panel (upper half): the tallest run of rows holding light
    letters, and the contrast (luminance) between letters and panel."""
    upper = eye[: eye.shape[0] // 2]
    lum = upper @ np.array([0.2126, 0.7152, 0.0722])
    dark = lum < 60
    cols = dark.mean(axis=0) > 0.3
    if not cols.any():
        return 0, 0.0
    x0, x1 = np.flatnonzero(cols)[[0, -1]]
    panel = lum[:, x0:x1]
    ink = panel > 170
    rows = ink.sum(axis=1) > 2
    best = run = 0
    for r in rows:
        run = run + 1 if r else 0
        best = max(best, run)
    contrast = float(panel[ink].mean() - panel[panel < 60].mean()) if ink.any() else 0.0
    return best, contrast


@pytest.fixture(scope="module")
def pinch_frames(tmp_path_factory):
    root = tmp_path_factory.mktemp("framed")
    run = run_training(TrainingOptions(target="pinch", out_dir=root / "takes", store=False,
                                       render=True, frames_dir=root / "frames", seed=4))
    return run.snapshots


def test_default_frames_show_the_hands_large_and_the_panel_legible(pinch_frames):
    attempts = [p for p in pinch_frames if "-attempt-" in p.name]
    assert len(attempts) >= 3
    boxes = []
    for path in attempts:
        image, half = _eyes(path)
        assert image.shape[:2] == (DEFAULT_EYE_SIZE[1], 2 * DEFAULT_EYE_SIZE[0])
        boxes.append(_hand_box(image[:, :half]))
    widths, heights = np.array(boxes).T
    # hands and ghost fill the lower half over the motion (seen from a standing trainee's
    # head they were a small patch in the middle of the bench: at most 0.08 x 0.06)
    assert widths.min() > 0.07 and heights.min() > 0.11, boxes
    assert heights.max() > 0.14, boxes
    letters, contrast = _tallest_ink(_eyes(attempts[0])[0][:, :half])
    assert letters >= 10, letters  # the instruction's letters, in pixels
    assert contrast > 120, contrast


def test_built_in_gestures_are_not_drawn_on_the_welding_bench(pinch_frames):
    image, half = _eyes(pinch_frames[0])
    eye = image[:, :half]
    # the bench's top is wood brown: red well above blue
    brown = (eye[..., 0] - eye[..., 2] > 50) & (eye[..., 0] > 100)
    assert brown.mean() < 0.01, brown.mean()


def test_framing_fits_the_box_and_keeps_still_until_it_grows():
    from vrtrainer.render.camera import View, project_points
    from vrtrainer.render.framing import FRAMED_FOV

    lo, hi = np.array([-0.1, 0.9, -0.5]), np.array([0.1, 1.1, -0.3])
    camera, panel = frame_box(lo, hi)
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1])
                        for z in (lo[2], hi[2])])
    px = project_points(corners, View(camera, FRAMED_FOV), 480, 360)
    assert np.all((px >= 0) & (px <= [480, 360]))  # the whole box is seen
    assert px[:, 1].min() > 0.4 * 360  # in the lower part, under the panel
    centre = project_points(panel[None, :3], View(camera, FRAMED_FOV), 480, 360)[0]
    assert 0.1 * 360 < centre[1] < 0.45 * 360  # the panel's centre in the upper part

    framing = HandFraming()
    framing.reset(corners)
    first = framing.poses()
    framing.include(corners + 0.01)  # within the slack: the camera does not move
    assert framing.poses() is first
    framing.include(corners + 0.2)
    assert framing.poses() is not first
