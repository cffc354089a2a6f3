"""A whole frame (hands, ghost, workpiece, torch, cues) against a stored reference image.

The tolerance absorbs the small rasterisation differences between GL drivers
(a few pixels along edges) but not a change of the pose: bending one finger
by 3 degrees more at each of its joints must fail the comparison.
Regenerate the reference after an intended visual change with
``VRTRAINER_WRITE_REFERENCE=1 pytest tests/test_render_reference.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hand_fixtures import hand_frame, right_hand_poses
from PIL import Image

from vrtrainer.render import Cues, Framebuffer, Gauge, Renderer, SceneState, View
from vrtrainer.render.camera import look_at_pose

REFERENCE = Path(__file__).parent / "data" / "reference_frame.png"
SIZE = (320, 240)
#: A pixel differs when a channel moved by more than this (0-255).
PIXEL_THRESHOLD = 24
#: The frame matches when fewer pixels than this differ.
MAX_DIFFERENT_PIXELS = 12
INDEX = 1
BASE_CURL = np.radians(20.0)


def _state(index_curl: float) -> SceneState:
    wrist = (0.0, 1.02, -0.30)
    live = hand_frame(right=right_hand_poses(wrist, curl={INDEX: index_curl, 3: 0.5, 4: 0.6}),
                      left=right_hand_poses((-0.20, 1.0, -0.34), curl={1: 0.3}), time=2.0)
    ghost = hand_frame(right=right_hand_poses((0.01, 1.05, -0.32), curl={INDEX: 0.1}))
    errors = np.full((2, 26), 0.004)
    errors[1, 16:21] = 0.013
    errors[1, 21:26] = 0.04
    torch = look_at_pose([0.16, 1.00, -0.56], [0.26, 0.93, -0.62])
    cues = Cues(progress=0.4, instruction_fr="Pincez la pièce", instruction_en="Pinch the part",
                score=72, gauges=[Gauge("Vitesse", 6.5, 5.0, 4.0, 6.0, "mm/s")],
                message="Ralentissez")
    return SceneState(hands=live, joint_errors=errors, tolerance=0.01, ghost=ghost,
                      tools={"torch": torch}, cues=cues, time=2.0)


EYE = np.array([-0.30, 1.16, -0.26])
PANEL = np.array([0.50, 1.12, -0.86])


@pytest.fixture(scope="module")
def _panel_renderer(_session_gl_context):
    _session_gl_context.make_current()
    r = Renderer()
    r.set_cue_pose(look_at_pose(PANEL, 2 * PANEL - EYE))
    yield r
    r.close()


@pytest.fixture
def renderer(gl_context, _panel_renderer):
    """The default scene with the cue panel moved to face this test's eye."""
    return _panel_renderer


def _render(renderer, state: SceneState) -> np.ndarray:
    view = View(look_at_pose(EYE, [0.0, 1.02, -0.40]), (-0.7, 0.7, 0.55, -0.5))
    fb = Framebuffer(*SIZE)
    renderer.render_view(view, fb.target, state)
    image = fb.read_pixels()[..., :3]
    fb.delete()
    return image


def _different_pixels(a: np.ndarray, b: np.ndarray) -> int:
    return int((np.abs(a.astype(int) - b.astype(int)).max(axis=-1) > PIXEL_THRESHOLD).sum())


def test_frame_matches_reference(renderer):
    image = _render(renderer, _state(BASE_CURL))
    if os.environ.get("VRTRAINER_WRITE_REFERENCE"):
        Image.fromarray(image).save(REFERENCE)
    reference = np.asarray(Image.open(REFERENCE).convert("RGB"))
    assert _different_pixels(image, reference) < MAX_DIFFERENT_PIXELS


def test_three_degrees_more_curl_of_one_finger_fails_the_comparison(renderer):
    reference = np.asarray(Image.open(REFERENCE).convert("RGB"))
    bent = _render(renderer, _state(BASE_CURL + np.radians(3.0)))
    assert _different_pixels(bent, reference) >= MAX_DIFFERENT_PIXELS
