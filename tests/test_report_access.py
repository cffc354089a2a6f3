"""Reports readable aloud and by those who see poorly: headings, alt texts, contrast (issue 19)."""

from __future__ import annotations

import re

import pytest
from report_helpers import fill_store, parse

from vrtrainer.report import attempt_page, trainee_page
from vrtrainer.report.contrast import (
    GRAPHIC_MIN,
    TEXT_MIN,
    contrast_ratio,
    css_colours,
    hex_colour,
)
from vrtrainer.report.page import (
    CSS,
    DECORATION_COLOURS,
    GRAPHIC_COLOURS,
    TEXT_COLOURS,
    plain_text,
)
from vrtrainer.session.advice import KIND_WORDS


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = fill_store(tmp_path_factory.mktemp("access") / "results.sqlite")
    yield s
    s.close()


def test_contrast_ratio_matches_wcag_reference_values():
    assert contrast_ratio("#000", "#fff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#777") == pytest.approx(1.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # AA edge
    assert contrast_ratio("#ffffff", "#767676") == contrast_ratio("#767676", "#ffffff")
    assert contrast_ratio("#e0a526", "#e6e8ee") < GRAPHIC_MIN  # the old amber bar: too pale
    with pytest.raises(ValueError):
        hex_colour("#12345")


def test_every_colour_of_the_report_is_checked_and_readable():
    for fg, bg, what in TEXT_COLOURS:
        assert contrast_ratio(fg, bg) >= TEXT_MIN, (what, round(contrast_ratio(fg, bg), 2))
    for fg, bg, what in GRAPHIC_COLOURS:
        assert contrast_ratio(fg, bg) >= GRAPHIC_MIN, (what, round(contrast_ratio(fg, bg), 2))
    listed = {hex_colour(c) for pair in TEXT_COLOURS + GRAPHIC_COLOURS for c in pair[:2]}
    listed |= {hex_colour(c) for c in DECORATION_COLOURS}
    assert css_colours(CSS) <= listed, css_colours(CSS) - listed  # no unchecked colour


def _headings(html: str) -> list[int]:
    return [int(m) for m in re.findall(r"<h([1-6])[\s>]", html)]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_pages_have_one_title_and_headings_in_order(store, lang):
    pages = [attempt_page(store.get_attempt(n), lang) for n in (1, 2, 4)]
    pages.append(trainee_page("T-001", store.trainee_history("T-001"), lang))
    for html in pages:
        assert f'<html lang="{lang}">' in html
        levels = _headings(html)
        assert levels[0] == 1 and levels.count(1) == 1
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), levels  # none skipped
        assert "<th>" not in html and "<th " in html  # every header cell says its scope
        assert 'scope="col"' in html


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_image_says_what_it_shows(store, lang):
    attempt = parse(attempt_page(store.get_attempt(1), lang))
    curve = parse(trainee_page("T-001", store.trainee_history("T-001"), lang))
    for page in (attempt, curve):
        for img in page.images + page.pictograms:
            assert img.get("alt", "").strip(), img.get("src", "")[:40]
    [hand_map] = [i for i in attempt.images if "svg" in i["src"][:30]]
    assert re.search(r"\d", hand_map["alt"])  # the worst joints and their errors, in words
    [learning] = curve.images
    assert "→" in learning["alt"] and re.search(r"\d", learning["alt"])


def test_advice_in_the_report_has_its_pictogram_and_its_meaning(store):
    html = attempt_page(store.get_attempt(4), "fr")  # the welding attempt, angle too high
    page = parse(html)
    alts = [i["alt"] for i in page.pictograms]
    assert alts and set(alts) <= {w["fr"] for w in KIND_WORDS.values()}
    items = re.findall(r"<li>(.*?)</li>", html.split('class="messages"')[1].split("</ul>")[0])
    with_picture = [i for i in items if 'class="pictogram"' in i]
    assert len(with_picture) == len(alts)
    english = parse(attempt_page(store.get_attempt(4), "en"))
    assert {i["alt"] for i in english.pictograms} <= {w["en"] for w in KIND_WORDS.values()}


def test_plain_text_reads_a_caption():
    assert plain_text("Pouce <b>2,1</b><br>Index &amp; majeur") == "Pouce 2,1; Index & majeur"
