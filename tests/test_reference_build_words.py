"""`reference build` in the trainer's language, readable at 80 columns (issue 15, items 4, 9)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from vrtrainer.cli import main
from vrtrainer.hands.sim import simulate
from vrtrainer.takes.take import save_take

LONG = "pinch-expert-marie-dupont-session-2026-12-05-take-0{k}.vrtake"


@pytest.fixture(scope="module")
def takes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("experts")
    return [save_take(simulate("pinch", seed=k), folder / LONG.format(k=k)) for k in (1, 2, 3)]


def _visible(page: str) -> str:
    """The page's text without its plots, styles and tags."""
    page = re.sub(r"<svg.*?</svg>|<style>.*?</style>", "", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", page)


def test_reference_report_page_is_french_with_decimal_commas(takes, tmp_path, capsys):
    page = tmp_path / "ref.html"
    assert main(["reference", "build", *map(str, takes), "-o", str(tmp_path / "ref.vrref"),
                 "--html", str(page), "--lang", "fr"]) == 0
    html = page.read_text()
    assert '<html lang="fr">' in html
    text = _visible(html)
    for french in ("Cohérence des prises", "La variation propre des experts",
                   "Distinguer ce geste des autres", "plancher de bruit", "pour droitiers",
                   "index droit", "Prise contre prise"):
        assert french in text, french
    for english in ("Consistency", "noise floor", "experts' spread", "Take against take",
                    "right index", "right-handed", "frames"):
        assert english not in text, english
    assert re.search(r"\d,\d\d", text)
    assert not re.search(r"\d\.\d", text), re.findall(r".{20}\d\.\d.{20}", text)[:3]
    # the plots' axes too
    assert "temps de la référence (s)" in html and "tolérance (cm)" in html
    out = capsys.readouterr().out
    assert "écrit : " in out and "wrote" not in out


def test_reference_build_tables_keep_take_names_whole_at_80_columns(takes, tmp_path):
    env = dict(os.environ, COLUMNS="80", VRTRAINER_LANG="fr")
    run = subprocess.run(
        [sys.executable, "-m", "vrtrainer", "reference", "build", *map(str, takes), "-o",
         str(tmp_path / "narrow.vrref")], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    # paths to copy ("écrit : PATH") are never wrapped; everything else fits
    assert max(len(line) for line in lines if not line.startswith("écrit")) <= 80
    for k in (1, 2, 3):
        assert any(LONG.format(k=k) in line for line in lines), k  # whole, on one line
    assert "…" not in run.stdout  # no column cut to an ellipsis
    assert "prise" in run.stdout and "images" in run.stdout and "écart" in run.stdout
    assert "frames" not in run.stdout and "mismatch" not in run.stdout
    assert re.search(r"\b0,\d\d\b", run.stdout)  # decimal commas in the tables
