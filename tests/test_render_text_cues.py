"""Text atlas and cue panel: French letters exist, layout is right, cues show what they say."""

from __future__ import annotations

import numpy as np
import pytest

from vrtrainer.render import Cues, Framebuffer, Gauge, SceneState, View
from vrtrainer.render.camera import look_at_pose, project_points
from vrtrainer.render.cues import CuePanel
from vrtrainer.render.text import FontAtlas


@pytest.fixture(scope="module")
def atlas():
    return FontAtlas()


def test_french_letters_have_their_own_glyphs_with_accents_above(atlas):
    for plain, accented in (("e", "é"), ("e", "è"), ("e", "ê"), ("a", "à"), ("u", "ù"),
                            ("o", "ô"), ("i", "î"), ("E", "É"), ("A", "À")):
        g, a = atlas.glyphs[plain], atlas.glyphs[accented]
        assert a.y1 > g.y1 + 0.05, accented  # the accent sits above the letter
        assert (a.u0, a.v0) != (g.u0, g.v0)
    assert atlas.glyphs["ç"].y0 < atlas.glyphs["c"].y0 - 0.05  # the cedilla hangs below


def test_layout_advances_and_falls_back(atlas):
    quads = atlas.layout("Té")
    assert quads.shape == (2, 8)
    assert quads[1, 0] > quads[0, 0]
    assert atlas.width("œuvre") == pytest.approx(atlas.width("oeuvre"))
    assert atlas.layout("\u4e2d").shape == atlas.layout("?").shape  # unknown -> '?'


def test_panel_rebuilds_only_when_something_visible_changes(atlas):
    panel = CuePanel(atlas)
    cues = Cues(progress=0.5, instruction_fr="Pincez", instruction_en="Pinch", score=80.2)
    assert panel.build(cues)
    count = panel.count
    cues.score = 80.4  # still shows 80
    assert not panel.build(cues)
    cues.score = 81.0
    assert panel.build(cues)
    assert panel.count == count
    assert panel.build(None) and panel.count == 0


def test_panel_follows_progress_in_whole_percent_as_its_label_shows(atlas):
    panel = CuePanel(atlas)
    cues = Cues(progress=0.501, instruction_fr="Pincez", instruction_en="Pinch")
    assert panel.build(cues)
    first = panel.vertices[:panel.count].copy()
    cues.progress = 0.504  # still 50 %
    assert not panel.build(cues)
    cues.progress = 0.5  # exactly what is shown: the same vertices
    panel._key = None
    assert panel.build(cues)
    np.testing.assert_array_equal(panel.vertices[:panel.count], first)
    cues.progress = 0.51
    assert panel.build(cues)
    assert not np.array_equal(panel.vertices[:panel.count], first)


PANEL_VIEW_DISTANCE = 0.6


def _render_panel(renderer, cues: Cues) -> np.ndarray:
    pose = renderer.scene.cue_pose
    eye = pose[:3] + np.array([0.0, 0.0, PANEL_VIEW_DISTANCE])
    view = View(look_at_pose(eye, pose[:3]), (-0.65, 0.65, 0.5, -0.5))
    fb = Framebuffer(320, 240)
    # Look straight at the panel: turn it to face the eye for the test.
    saved = pose.copy()
    renderer.set_cue_pose(np.r_[pose[:3], 0, 0, 0, 1])
    try:
        renderer.render_view(view, fb.target, SceneState(cues=cues))
        return fb.read_pixels()[..., :3].astype(int)
    finally:
        renderer.set_cue_pose(saved)
        fb.delete()


def test_progress_bar_fill_follows_progress(renderer):
    blue = []
    for progress in (0.25, 0.75):
        image = _render_panel(renderer, Cues(progress=progress, instruction_fr="Pincez",
                                             instruction_en="Pinch"))
        is_blue = (image[..., 2] > 200) & (image[..., 0] < 120) & (image[..., 1] > 120)
        blue.append(is_blue.sum())
    assert blue[0] > 20
    assert blue[1] / blue[0] == pytest.approx(3.0, rel=0.15)


def test_language_switch_changes_the_main_line(renderer):
    cues = Cues(instruction_fr="Soudez le long du joint", instruction_en="Weld along the seam")
    french = _render_panel(renderer, cues)
    cues.language = "en"
    english = _render_panel(renderer, cues)
    assert np.abs(french - english).max() > 100


def test_gauge_marker_colour_says_whether_the_value_is_in_its_band(renderer):
    def marker_colours(value):
        gauge = Gauge("Vitesse", value, 5.0, 4.0, 6.0, "mm/s")
        image = _render_panel(renderer, Cues(gauges=[gauge]))
        green = (image[..., 1] > 150) & (image[..., 0] < 120) & (image[..., 2] < 140)
        red = (image[..., 0] > 180) & (image[..., 1] < 90) & (image[..., 2] < 90)
        return green.sum(), red.sum()

    green_in, red_in = marker_colours(5.2)
    green_out, red_out = marker_colours(9.0)
    assert red_in == 0 and red_out > 20
    assert green_in > green_out


def test_panel_sits_where_its_pose_says(renderer):
    pose = renderer.scene.cue_pose
    eye = pose[:3] + np.array([0.0, 0.0, PANEL_VIEW_DISTANCE])
    view = View(look_at_pose(eye, pose[:3]), (-0.65, 0.65, 0.5, -0.5))
    image = _render_panel(renderer, Cues(instruction_fr="x"))
    dark = image.sum(axis=-1) < 150  # the panel's dark background
    ys, xs = np.nonzero(dark)
    left = project_points([pose[:3] - [CuePanel.WIDTH / 2, 0, 0]], view, 320, 240)[0]
    right = project_points([pose[:3] + [CuePanel.WIDTH / 2, 0, 0]], view, 320, 240)[0]
    assert xs.min() == pytest.approx(left[0], abs=1.5)
    assert xs.max() + 1 == pytest.approx(right[0], abs=1.5)


def test_debug_lines_add_text_below_everything_else(atlas):
    panel = CuePanel(atlas)
    cues = Cues(instruction_fr="Pincez", score=50, message="Plus vite")
    panel.build(cues)
    before = panel.count
    cues.debug = "wait 1.2 ms  render 3.4 ms\nscore 0.2 ms"
    panel.build(cues)
    vertices = panel.vertices[:panel.count]
    debug = vertices[before:]
    rest = vertices[6:before]  # after the background rectangle
    assert len(debug) >= 6 * len("score0.2ms")
    assert debug[:, 1].max() < rest[:, 1].min()
    assert debug[:, 1].min() > vertices[0:6, 1].min()  # still on the panel


@pytest.mark.parametrize("label", ["Vitesse", "Angle d'avance (poussé)",
                                   "Distance tube-contact de la torche au joint"])
def test_a_gauge_label_ends_before_its_bar(atlas, label):
    """A long trade label is drawn smaller, never cut by the gauge's bar."""
    from vrtrainer.render.cues import _DIM, _TRACK

    panel = CuePanel(atlas)
    panel.build(Cues(gauges=[Gauge(label, 70.2, 45.0, 35.0, 55.0, "deg", "70°")]))
    v = panel.vertices[:panel.count]
    label_xy = v[np.all(np.isclose(v[:, 4:8], _DIM), axis=1), :2]
    track = v[np.all(np.isclose(v[:, 4:8], _TRACK), axis=1), :2]
    low, high = label_xy[:, 1].min(), label_xy[:, 1].max()
    row_track = track[(track[:, 1] >= low - 0.02) & (track[:, 1] <= high + 0.02)]
    assert len(label_xy) >= 6 * len(label.replace(" ", "")) - 6 and len(row_track)
    assert label_xy[:, 0].max() < row_track[:, 0].min()
    assert row_track[:, 0].max() - row_track[:, 0].min() > 0.15  # the bar keeps its room


def test_a_final_score_is_coloured_by_its_verdict_not_its_number():
    """The panel showed a failed attempt's 85 in green beside "not passed"; live scores
    keep their bands."""
    from vrtrainer.render.cues import _BAD, _NEAR, _OK, _score_color

    assert _score_color(85.0) == _OK and _score_color(60.0) == _NEAR  # live
    assert _score_color(85.0, passed=False) == _NEAR
    assert _score_color(30.0, passed=False) == _BAD
    assert _score_color(72.0, passed=True) == _OK
