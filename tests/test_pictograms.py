"""Advice pictograms: every kind of advice has one, built by tools/, and the panel draws it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vrtrainer.render import Cues, Framebuffer, SceneState, View
from vrtrainer.render.camera import look_at_pose
from vrtrainer.render.cues import CuePanel
from vrtrainer.render.pictograms import atlas_icons, load_pictograms, pictogram_path
from vrtrainer.render.text import FontAtlas
from vrtrainer.session.advice import KINDS, add_pictogram, advice_kind

ROOT = Path(__file__).resolve().parents[1]

#: Advice as the comparator, the live coach and the bundled packs word it, and its kind.
EXAMPLES = {
    "25% slower than the expert": "faster",
    "40% faster than the expert": "slower",
    "Un peu plus vite": "faster",
    "Plus lentement": "slower",
    "Slow down: the bead will be too thin.": "slower",
    "Ralentissez : le cordon sera trop mince.": "slower",
    "Avancez plus vite : le bain s'accumule.": "faster",
    "hesitated 0.6 s during phase 2": "faster",
    "hand is unsteady: 2.1 mm of jitter": "steadier",
    "Marquez un temps d'arrêt au début du joint pour former le bain.": "steadier",
    "Relevez la torche : elle penche trop vers la tôle de base.": "higher",
    "Raise the torch: it leans too far towards the base plate.": "higher",
    "Abaissez la torche : elle penche trop vers la tôle verticale.": "lower",
    "Lower the torch: it leans too far towards the standing plate.": "lower",
    "Redressez la torche : trop d'inclinaison vers l'avant.": "angle",
    "thumb turned 20 degrees off during phase 1": "angle",
    "index finger 12 degrees too closed during phase 2": "finger_open",
    "middle finger 15 degrees too open during phase 1": "finger_closed",
    "tracking lost for 12% of the gesture (not scored there)": "tracking_lost",
    "Je ne vois plus vos mains.": "tracking_lost",
    # Advice with no pictogram rather than a wrong one.
    "Bring the passes closer: aim at the lower edge of the previous pass (50 %).": "",
    "Push harder: 5-6 cm, arms straight, your weight above your hands.": "",
    "Rapprochez la torche du joint (environ 10 mm).": "",
}


def test_advice_words_name_the_right_kind():
    for text, kind in EXAMPLES.items():
        assert advice_kind(text) == kind, text
    assert {k for k in EXAMPLES.values() if k} == set(KINDS)


def test_every_kind_has_a_shipped_pictogram_with_ink():
    icons = load_pictograms()
    assert set(KINDS) <= set(icons)
    for kind in KINDS:
        assert pictogram_path(kind).is_file()
        mask = icons[kind]
        assert mask.shape == (128, 128) and mask.dtype == np.uint8
        ink = (mask > 128).mean()
        assert 0.05 < ink < 0.6, kind  # a drawing, neither empty nor a block


def test_shipped_pictograms_are_what_the_tool_draws():
    spec = importlib.util.spec_from_file_location("make_pictograms",
                                                  ROOT / "tools" / "make_pictograms.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert set(tool.DRAWINGS) == set(KINDS)
    for kind in KINDS:
        drawn = np.asarray(tool.draw(kind), np.int16)
        shipped = np.asarray(Image.open(pictogram_path(kind)).convert("L"), np.int16)
        assert np.abs(drawn - shipped).max() <= 1, kind


def test_pictograms_differ_from_each_other():
    icons = load_pictograms()
    masks = [(icons[k] > 128).ravel() for k in KINDS]
    for i in range(len(KINDS)):
        for j in range(i + 1, len(KINDS)):
            iou = (masks[i] & masks[j]).sum() / (masks[i] | masks[j]).sum()
            assert iou < 0.8, (KINDS[i], KINDS[j])


def test_presenter_hook_sets_the_pictogram_of_the_message():
    cues = Cues(message="À reprendre. Relevez la torche : elle penche trop.")
    add_pictogram(cues, None, None)
    assert cues.pictogram == "higher"
    cues.message = ""
    add_pictogram(cues, None, None)
    assert cues.pictogram == ""


def test_panel_adds_one_icon_quad_only_for_a_known_pictogram():
    atlas = FontAtlas(icons=load_pictograms())
    assert set(KINDS) <= set(atlas.icons)
    panel = CuePanel(atlas)
    base = Cues(instruction_fr="Pincez", message="Plus lentement")
    panel.build(base)
    without = panel.count
    panel.build(Cues(instruction_fr="Pincez", message="Plus lentement", pictogram="slower"))
    with_icon = panel.count
    assert with_icon == without + 6
    u0, v0, u1, v1 = atlas.icons["slower"]
    uv = panel.vertices[:with_icon, 2:4]
    assert ((np.isclose(uv[:, 0], u0) | np.isclose(uv[:, 0], u1))
            & (np.isclose(uv[:, 1], v0) | np.isclose(uv[:, 1], v1))).sum() >= 6
    panel.build(Cues(instruction_fr="Pincez", message="Plus lentement", pictogram="nonesuch"))
    assert panel.count == without


def test_pictograms_leave_the_text_of_the_atlas_as_it_was():
    """The atlas keeps its size and every glyph its place: text renders as before."""
    plain, with_icons = FontAtlas(), FontAtlas(icons=atlas_icons())
    assert with_icons.image.shape == plain.image.shape
    assert set(KINDS) <= set(with_icons.icons)
    for ch, glyph in plain.glyphs.items():
        assert with_icons.glyphs[ch] == glyph, ch


def _render(renderer, cues: Cues) -> np.ndarray:
    pose = renderer.scene.cue_pose
    eye = pose[:3] + np.array([0.0, 0.0, 0.45])
    view = View(look_at_pose(eye, pose[:3]), (-0.65, 0.65, 0.5, -0.5))
    fb = Framebuffer(480, 360)
    saved = pose.copy()
    renderer.set_cue_pose(np.r_[pose[:3], 0, 0, 0, 1])
    try:
        renderer.render_view(view, fb.target, SceneState(cues=cues))
        return fb.read_pixels()[..., :3].astype(int)
    finally:
        renderer.set_cue_pose(saved)
        fb.delete()


def _orange(image: np.ndarray) -> np.ndarray:
    r, g, b = image[..., 0], image[..., 1], image[..., 2]
    return (r > 150) & (g > 70) & (b < 90) & (r - b > 100)


@pytest.mark.parametrize("large", [False, True])
def test_rendered_panel_shows_the_pictogram_of_the_advice(renderer, large):
    """Real EGL render: the orange ink left of the message is the kind's pictogram.

    The ink that appears when the pictogram is asked for is cropped and compared
    with every shipped pictogram: its own matches best, and well.
    """
    icons = load_pictograms()
    refs = {k: icons[k] > 128 for k in KINDS}
    for kind in ("higher", "slower", "tracking_lost", "finger_open"):
        cues = Cues(instruction_fr="Avancez le long du joint", instruction_en="Travel along",
                    message="", large=large, progress=0.3)
        plain = _orange(_render(renderer, cues))
        cues.pictogram = kind
        ink = _orange(_render(renderer, cues)) & ~plain
        ys, xs = np.nonzero(ink)
        assert len(ys) > 40, kind
        crop = ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
        scores = {}
        for k, ref in refs.items():
            rys, rxs = np.nonzero(ref)
            box = ref[rys.min():rys.max() + 1, rxs.min():rxs.max() + 1]
            small = np.asarray(Image.fromarray(box.astype(np.uint8) * 255).resize(
                crop.shape[::-1], Image.Resampling.BILINEAR)) > 127
            scores[k] = (small & crop).sum() / (small | crop).sum()
        assert max(scores, key=scores.get) == kind, scores
        assert scores[kind] > 0.5, scores


def test_long_advice_beside_a_pictogram_is_shown_whole():
    """The advice's last words say what to do; at two lines they were cut off."""
    atlas = FontAtlas(icons=load_pictograms())
    panel = CuePanel(atlas)
    drawn: list[str] = []
    draw = panel._text
    panel._text = lambda text, *a, **kw: (drawn.append(text), draw(text, *a, **kw))[1]
    advice = ("À reprendre. Angle d'avance (poussé) : -11°, en dessous de la plage "
              "(5° – 15°). Poussez : inclinez la buse vers l'avant, dans le sens de la "
              "soudure.")
    panel.build(Cues(instruction_fr="Soudez", message=advice, pictogram="angle"))
    lines = [t for t in drawn if t in advice]
    assert " ".join(lines) == advice and not any(t.endswith("…") for t in drawn)
