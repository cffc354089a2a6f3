"""Reports checked by axe-core in a real headless Chromium: no serious accessibility problem.

`make test-report` vendors axe-core from the npm registry (pinned) and names it in
``VRTRAINER_AXE``; the stage fails, never skips, when it is missing. Pages are the
trainee's and the trainer's, French and English (marker ``report``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from chromium import Chromium
from report_helpers import fill_store

from vrtrainer.report import write_attempt_report, write_group_report, write_trainee_report

pytestmark = pytest.mark.report

#: WCAG 2.1 A and AA rules; "serious" and "critical" violations fail the page.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def axe_source() -> str:
    path = os.environ.get("VRTRAINER_AXE", "")
    assert path and Path(path).is_file(), "axe-core is vendored by `make test-report`"
    return Path(path).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("axe")
    store = fill_store(folder / "results.sqlite")
    out = {
        "attempt-fr": write_attempt_report(store, 1, folder / "a1.html", "fr"),
        "attempt-en": write_attempt_report(store, 2, folder / "a2.html", "en"),
        "weld-fr": write_attempt_report(store, 4, folder / "a4.html", "fr"),
        "trainee-fr": write_trainee_report(store, "T-001", folder / "t.html", "fr"),
        "group-en": write_group_report(store, folder / "g.html", lang="en"),
    }
    store.close()
    return out


def _axe(browser: Chromium, source: str, page: Path) -> list[dict]:
    browser.open(page.resolve().as_uri())
    browser.evaluate(source + ";0")
    run = (f"axe.run(document, {{runOnly: {{type: 'tag', values: {json.dumps(TAGS)}}}}})"
           ".then(r => JSON.stringify(r.violations))")
    result = browser.send("Runtime.evaluate", {"expression": run, "awaitPromise": True,
                                               "returnByValue": True})
    assert "exceptionDetails" not in result, result
    return json.loads(result["result"]["value"])


def test_reports_have_no_serious_accessibility_violation(axe_source, pages):
    with Chromium() as browser:
        found = {}
        for name, page in pages.items():
            violations = _axe(browser, axe_source, page)
            blocking = [f"{v['id']} ({v['impact']}): {v['help']} x{len(v['nodes'])}"
                        for v in violations if v.get("impact") in BLOCKING]
            if blocking:
                found[name] = blocking
        assert not found, found


def test_axe_finds_a_known_problem(axe_source, tmp_path):
    """The check can fail: an image without alt text and pale text are reported."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>'
                    '<main><h1>T</h1><img src="data:image/png;base64,iVBORw0KGgo=">'
                    '<p style="color:#ccc;background:#fff">pale</p></main></body></html>')
    with Chromium() as browser:
        ids = {v["id"] for v in _axe(browser, axe_source, page)}
    assert {"image-alt", "color-contrast"} <= ids
