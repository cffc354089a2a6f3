"""Reports in a real headless Chromium (Debian's): they render, say nothing on the console,
and show on screen what they should (`make test-report`; marker ``report``).

Screenshots are kept in ``out/test-report/`` for a person to look at.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from chromium import Chromium
from PIL import Image
from report_helpers import HOSTILE, store_scored_attempt

from vrtrainer.report import write_attempt_report, write_group_report, write_trainee_report
from vrtrainer.report.page import FAIL_COLOUR, PASS_COLOUR
from vrtrainer.results import ResultsStore

pytestmark = pytest.mark.report

SCREENS = Path(__file__).resolve().parents[1] / "out" / "test-report"
WIDTH = 1000


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """A day of training stored for real, and its three kinds of report."""
    folder = tmp_path_factory.mktemp("browser")
    store = ResultsStore.open(folder / "results.sqlite")
    takes = folder / "takes"
    wrong = store_scored_attempt(store, takes, "pinch", flaws=("wrong-finger",))
    store_scored_attempt(store, takes, "pinch", flaws=("slow=1.4",), day=1, seed=6)
    good = store_scored_attempt(store, takes, "pinch", day=2, seed=7)
    weld = store_scored_attempt(store, takes, "welding-fillet", 2, fault="work-angle-high",
                                day=3)
    store_scored_attempt(store, takes, "pinch", trainee=HOSTILE, flaws=("jitter",), day=1)
    pages = {
        "attempt-fail": write_attempt_report(store, wrong, folder / "fail.html", "fr"),
        "attempt-pass": write_attempt_report(store, good, folder / "pass.html", "en"),
        "attempt-weld": write_attempt_report(store, weld, folder / "weld.html", "fr"),
        "trainee": write_trainee_report(store, "T-001", folder / "trainee.html", "fr"),
        "group": write_group_report(store, folder / "group.html", lang="en"),
    }
    assert not store.get_attempt(wrong).passed and store.get_attempt(good).passed
    store.close()
    return pages


@pytest.fixture(scope="module")
def browser():
    with Chromium() as chromium:
        yield chromium


def _show(browser: Chromium, page: Path, name: str) -> tuple[Image.Image, list[str]]:
    browser.open(page.resolve().as_uri(), width=WIDTH)
    png = browser.screenshot()
    SCREENS.mkdir(parents=True, exist_ok=True)
    (SCREENS / f"{name}.png").write_bytes(png)
    return Image.open(io.BytesIO(png)).convert("RGB"), browser.problems()


def _badge_colour(browser: Chromium, shot: Image.Image) -> tuple[int, int, int]:
    """The most common colour in the score badge's left padding (no text there)."""
    box = browser.evaluate(
        "(() => { const r = document.getElementById('score-badge').getBoundingClientRect();"
        " return [r.left, r.top, r.width, r.height]; })()")
    x, y, w, h = (int(round(v)) for v in box)
    assert w > 100 and h > 60
    patch = np.asarray(shot)[y + h // 4: y + 3 * h // 4, x + 3: x + 12].reshape(-1, 3)
    colours, counts = np.unique(patch, axis=0, return_counts=True)
    return tuple(int(c) for c in colours[counts.argmax()])


@pytest.mark.parametrize("name", ["attempt-fail", "attempt-pass", "attempt-weld", "trainee",
                                  "group"])
def test_page_renders_without_console_problems(browser, reports, name):
    shot, problems = _show(browser, reports[name], name)
    assert problems == []
    # every embedded image decoded (a broken data URI has no natural size)
    assert browser.evaluate(
        "Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
    assert shot.width == WIDTH
    # not blank: many colours, and the page's background and white cards both present
    pixels = np.asarray(shot).reshape(-1, 3)
    assert len(np.unique(pixels[:: 7], axis=0)) > 50
    assert (pixels == (255, 255, 255)).all(axis=1).mean() > 0.2
    assert (pixels == (0xF4, 0xF5, 0xF7)).all(axis=1).mean() > 0.02


def test_failed_attempt_badge_is_red_and_page_is_long(browser, reports):
    shot, _ = _show(browser, reports["attempt-fail"], "attempt-fail")
    assert _badge_colour(browser, shot) == _rgb(FAIL_COLOUR)
    count = browser.evaluate("document.images.length")
    # hand map (SVG) + the worst moments (PNG, at most 3) made the page tall
    assert count >= 2
    assert browser.evaluate(
        "document.querySelectorAll('#moments img').length") >= 1
    assert shot.height > 2200
    # the moment pictures are shown at their own size, not squashed
    sizes = browser.evaluate(
        "Array.from(document.querySelectorAll('#moments img'))"
        ".map(i => [i.naturalWidth, i.width])")
    assert all(nat == 480 and 280 <= shown <= 480 for nat, shown in sizes)


def test_passed_attempt_badge_is_green(browser, reports):
    shot, _ = _show(browser, reports["attempt-pass"], "attempt-pass")
    assert _badge_colour(browser, shot) == _rgb(PASS_COLOUR)
    assert browser.evaluate("document.documentElement.lang") == "en"


def test_hostile_name_is_text_in_the_browser(browser, reports):
    _show(browser, reports["group"], "group")
    # the page has no script element, and the name is shown as typed
    assert browser.evaluate("document.scripts.length") == 0
    assert HOSTILE in browser.evaluate("document.body.innerText")


def test_harness_sees_console_errors_and_broken_images(browser, tmp_path):
    # the checks above would be worthless if this harness missed problems
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><p>x</p><img src="missing.png">'
                   '<script>console.error("boom"); undefinedThing();</script></body></html>')
    browser.open(bad.resolve().as_uri())
    problems = browser.problems()
    assert any("console.error: boom" in p for p in problems)
    assert any(p.startswith("exception:") for p in problems)
    assert any("missing.png" in p for p in problems)
    assert not browser.evaluate(
        "Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
