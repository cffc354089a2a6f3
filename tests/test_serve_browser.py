"""The trainer's page in a real headless Chromium (`make test-report`; marker ``report``):
a live simulated session appears on the grid, its hands move in the 3D view, a message
typed by the trainer reaches the session's cue panel; no sign-in, no page.

Screenshots are kept in ``out/test-report/`` for a person to look at.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from chromium import Chromium
from serve_helpers import KEY, PASSWORD, TRAINER, LiveServer, wait_for

from vrtrainer.app.training import TrainingOptions, run_training
from vrtrainer.backends.scripted import PersonScript

pytestmark = pytest.mark.report

SCREENS = Path(__file__).resolve().parents[1] / "out" / "test-report"
#: What a software-rendered WebGL in headless Chromium says, which is not the page's fault.
WEBGL_NOISE = ("software WebGL", "GPU stall due to ReadPixels")


def _page_problems(browser: Chromium) -> list[str]:
    return [p for p in browser.problems() if not any(n in p for n in WEBGL_NOISE)]


def test_the_trainer_page_follows_and_coaches_a_live_session(tmp_path):
    server = LiveServer(tmp_path / "results.sqlite")
    opts = TrainingOptions(
        target="pinch", backend="simulated", render=False, mirror=True, language="fr",
        trainee="T-042", out_dir=tmp_path / "takes", db=str(tmp_path / "results.sqlite"),
        publish=server.url, publish_key=KEY, script=PersonScript(done_wait=12.0, retries=1))
    runs = []
    thread = threading.Thread(target=lambda: runs.append(run_training(opts)), daemon=True)
    thread.start()
    SCREENS.mkdir(parents=True, exist_ok=True)
    try:
        with Chromium() as browser:
            browser.open(server.url + "/", width=1200, height=900)
            assert browser.evaluate("location.pathname") == "/login"  # no sign-in, no page
            browser.evaluate(
                f"document.getElementById('name').value = {TRAINER!r};"
                f"document.getElementById('password').value = {PASSWORD!r};"
                "document.getElementById('login').requestSubmit(); 1")
            wait_for(lambda: browser.evaluate("location.pathname") == "/"
                     and browser.evaluate("document.readyState") == "complete", 30, "sign-in")
            browser.evaluate("document.getElementById('language').value = 'fr';"
                             "document.getElementById('language').dispatchEvent("
                             "new Event('change')); 1")
            score = ("(() => { const e = document.querySelector("
                     "'#grid .card [data-role=score]'); return e ? e.textContent : null; })()")
            wait_for(lambda: (browser.evaluate(score) or "–").isdigit(), 120,
                     "a live score on the grid")
            assert browser.evaluate("document.querySelector('#grid .card h2').textContent") \
                == "T-042"
            assert browser.evaluate("document.querySelector('h1').textContent") \
                == "Séances en direct"
            (SCREENS / "serve-grid.png").write_bytes(browser.screenshot())

            browser.evaluate("document.querySelector('#grid .card').click(); 1")
            drawn = "JSON.stringify(window.vrtrainerPage.view.drawn)"
            wait_for(lambda: '"trainee":26' in browser.evaluate(drawn), 30, "hands drawn")
            first = browser.evaluate("window.vrtrainerPage.view.drawn.first")
            wait_for(lambda: browser.evaluate("window.vrtrainerPage.view.drawn.first") != first,
                     30, "the hands moving")
            assert browser.evaluate("window.vrtrainerPage.view.drawn.ghost") == 26
            assert browser.evaluate("document.getElementById('s-score').textContent").isdigit()
            assert browser.evaluate("document.getElementById('s-phase').textContent") == "Essai"

            browser.evaluate("document.getElementById('message').value = 'Poignet droit !';"
                             "document.getElementById('message-form').requestSubmit(); 1")
            sid = next(iter(server.registry.sessions))
            wait_for(lambda: (server.registry.sessions[sid].frame or {}).get("cue")
                     == "Poignet droit !", 30, "the message on the trainee's cue panel")
            wait_for(lambda: browser.evaluate(
                "document.getElementById('s-cue').textContent") == "Poignet droit !", 30,
                "the page showing what the panel shows")
            wait_for(lambda: "reçu" in browser.evaluate(
                "document.getElementById('sent').textContent"), 30, "delivery shown")
            time.sleep(0.3)
            (SCREENS / "serve-session.png").write_bytes(browser.screenshot())
            assert _page_problems(browser) == []
        thread.join(120)
    finally:
        server.stop()
    run = runs[0]
    assert run.session.remote_cue == "Poignet droit !"
    assert run.published.results_delivered == run.published.results_added == 2
