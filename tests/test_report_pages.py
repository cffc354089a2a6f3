"""Report pages from stored attempts: structure, escaping, plots, languages, CLI.

No browser here (that is `make test-report`); the pages are parsed as HTML.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image
from report_helpers import HOSTILE, fill_store, image_bytes, parse, record

from vrtrainer.cli import main
from vrtrainer.errors import VrtrainerError
from vrtrainer.report import (
    attempt_page,
    group_page,
    trainee_page,
    write_attempt_report,
    write_group_report,
    write_trainee_report,
)
from vrtrainer.report.plots import hand_layout, joint_errors, worst_joints, z_from_quality
from vrtrainer.report.texts import LANGUAGES, TEXTS, comparator_message, joint_label


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "results.sqlite"
    s = fill_store(path)
    yield s
    s.close()


def _svg_ok(data: bytes) -> ET.Element:
    root = ET.fromstring(data)
    assert root.tag.endswith("svg")
    return root


def test_every_text_exists_in_both_languages():
    for key, words in TEXTS.items():
        assert set(words) == set(LANGUAGES), key
        assert all(w.strip() for w in words.values()), key


def test_attempt_page_has_breakdown_hand_map_and_no_script(store):
    attempt = store.get_attempt(1)
    html = attempt_page(attempt, "fr")
    page = parse(html)
    assert page.scripts == 0 and page.external == []
    assert {"score-badge", "breakdown", "parts", "details"} <= set(page.ids)
    assert "badge fail" in html  # the wrong-finger pinch did not pass
    text = page.visible
    assert "Rapport de tentative #1" in text and "Non réussi" in text
    assert "Forme du geste" in text and "Rythme" in text and "Stabilité" in text
    # the comparator's English explanation, in French
    assert "index droit : 25 degrés trop ouvert pendant la phase 2" in text
    assert "auriculaire droit" in text  # per-finger table (masculine noun)
    assert "Phase" in text and "1,33 – 2,17" in text  # per-phase table, decimal commas
    # the hand map: an SVG whose worst joint (index tip, from the breakdown) is named
    svgs = [image_bytes(i) for i in page.images]
    assert [m for m, _ in svgs] == ["image/svg+xml"]
    _svg_ok(svgs[0][1])
    assert "1 : bout de l'index (main droite)" in text


def test_attempt_page_in_english(store):
    html = attempt_page(store.get_attempt(1), "en")
    text = parse(html).visible
    assert '<html lang="en">' in html
    assert "Attempt report #1" in text and "Not passed" in text
    assert "right index finger 25 degrees too open during phase 2" in text
    assert "Rapport" not in text and "Forme du geste" not in text


def test_passed_attempt_has_the_pass_badge(store):
    html = attempt_page(store.get_attempt(2), "fr")
    assert "badge pass" in html and "Réussi" in parse(html).visible
    assert "41 % plus lent que l'expert" in parse(html).visible


def test_trade_metrics_as_stored_when_the_take_is_gone(store):
    attempt = store.get_attempt(4)
    assert attempt.scenario_id == "welding-fillet"
    page = parse(attempt_page(attempt, "fr"))
    assert "trade" in page.ids
    text = page.visible
    assert "Critères du métier" in text and "work_angle" in text and "trop haut" in text
    assert "Angle de travail : 70°" in text  # the trade judge's own message


def test_hostile_names_are_escaped_everywhere(store):
    hostile = store.list_attempts(trainee=HOSTILE)[0]
    pages = [attempt_page(hostile, lang) for lang in LANGUAGES]
    pages.append(trainee_page(HOSTILE, store.trainee_history(HOSTILE), "en"))
    pages.append(group_page(store.list_attempts(), store.trainees(), "fr"))
    for html in pages:
        page = parse(html)
        assert page.scripts == 0
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&amp;&quot;Zoé&quot;" in html
        assert HOSTILE in page.visible  # shown as typed, not interpreted


def test_hostile_trainee_name_in_plot_text_is_not_mathtext(tmp_path):
    # '$' starts mathtext in matplotlib: a name like this must neither fail nor be parsed
    from vrtrainer.results import ResultsStore

    with ResultsStore.open(tmp_path / "r.sqlite") as s:
        name = "$\\frac{1}{0}$ ^_^"
        s.record_attempt(record(0, "pinch_slow", trainee=name, scenario_id="$x$"))
        html = trainee_page(name, s.trainee_history(name), "fr")
    assert parse(html).scripts == 0 and "$x$" in parse(html).visible


def test_trainee_page_learning_curve(store):
    history = store.trainee_history("T-001")
    html = trainee_page("T-001", history, "fr")
    page = parse(html)
    assert {"curve", "summary", "attempts"} <= set(page.ids)
    (mime, svg), = [image_bytes(i) for i in page.images]
    assert mime == "image/svg+xml"
    root = _svg_ok(svg)
    # one line per scenario step: pinch and the weld's step 2
    ns = "{http://www.w3.org/2000/svg}"
    assert len([g for g in root.iter(f"{ns}g") if g.get("id", "").startswith("line2d")]) >= 3
    text = page.visible
    assert "gesture/pinch · Étape 1" in text and "welding-fillet · Étape 2" in text
    assert "Courbe d'apprentissage" in text
    # best of the pinch attempts, then the last one
    assert "94 78" not in text and "Réussi" in text


def test_group_page_table(store):
    html = group_page(store.list_attempts(), store.trainees(), "en")
    page = parse(html)
    text = page.visible
    assert "Group report" in text
    # T-001: pinch best 94 last 94 (passed), weld 78; T-002 pinch 78 not passed
    rows = html.split("<tr>")
    t1 = next(r for r in rows if ">T-001<" in r)
    assert "94 / 94" in t1 and "78 / 78" in t1
    t2 = next(r for r in rows if ">T-002<" in r)
    assert "Bob" in t2 and "78 / 78" in t2 and "✘" in t2
    only = group_page(store.list_attempts(scenario_id="welding-fillet"), store.trainees(),
                      "fr", "welding-fillet")
    assert "gesture/pinch" not in parse(only).visible and "T-002" not in only


def test_writers_and_their_refusals(store, tmp_path):
    out = write_attempt_report(store, store.get_attempt(1).uuid, tmp_path / "a" / "r.html",
                               "en", snapshots=False)
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert out.stat().st_mode & 0o044  # readable by others like any saved document
    assert write_trainee_report(store, "T-001", tmp_path / "t.html").is_file()
    assert write_group_report(store, tmp_path / "g.html", "welding-fillet").is_file()
    with pytest.raises(VrtrainerError, match="language"):
        write_attempt_report(store, 1, tmp_path / "x.html", "de")
    with pytest.raises(VrtrainerError, match="no stored attempt for trainee 'nobody'"):
        write_trainee_report(store, "nobody", tmp_path / "x.html")
    with pytest.raises(VrtrainerError, match="no stored attempt for scenario"):
        write_group_report(store, tmp_path / "x.html", "nope")
    with pytest.raises(VrtrainerError, match="is a folder"):
        write_group_report(store, tmp_path)
    assert not (tmp_path / "x.html").exists()


def test_attempt_without_take_says_why_pictures_are_missing(store, tmp_path):
    out = write_attempt_report(store, 2, tmp_path / "r.html", "fr")
    text = parse(out.read_text()).visible
    assert "Images non disponibles : aucun enregistrement associé." in text


def test_hand_layout_is_a_hand():
    right, left = hand_layout("right"), hand_layout("left")
    np.testing.assert_allclose(left[:, 0], -right[:, 0], atol=1e-9)
    np.testing.assert_allclose(left[:, 1], right[:, 1], atol=1e-9)
    # fingers up from the wrist, the middle tip highest, one hand length away
    assert right[15, 1] == pytest.approx(1.0, abs=0.02)
    assert right[15, 1] > right[10, 1] > right[1, 1]
    # seen from the back, a right hand's thumb is on the left
    assert right[5, 0] < right[25, 0]


def test_joint_errors_from_qualities():
    assert z_from_quality(100.0) == 0.0
    assert z_from_quality(50.0) == pytest.approx(2.0)
    assert z_from_quality(100 * 2 ** -0.25) == pytest.approx(1.0)
    z = joint_errors({"right.index_tip": 50.0, "right.thumb_tip": 90.0, "left.nope": 1.0,
                      "right.wrist": True, "right.palm": float("nan")})
    assert np.isfinite(z).sum() == 2 and z[1, 10] == pytest.approx(2.0)
    assert worst_joints(z) == [(1, 10)]  # the thumb's error is within tolerance


def test_messages_and_joint_names_in_french():
    assert comparator_message("hesitated 0.6 s during phase 3", "fr") == \
        "hésitation de 0,6 s pendant la phase 3"
    assert comparator_message("right thumb off by 1.2 cm during phase 1", "fr") == \
        "pouce droit : écart de 1,2 cm pendant la phase 1"
    assert comparator_message("something new", "fr") == "something new"
    assert joint_label("left.ring_distal", "fr") == \
        "phalange distale de l'annulaire (main gauche)"
    assert joint_label("left.ring_distal", "en") == "ring distal (left)"


def test_cli_report_commands(store, tmp_path, capsys):
    db = str(store.engine.url.database)
    out = tmp_path / "latest.html"
    assert main(["report", "attempt", "--latest", "--html", str(out), "--db", db,
                 "--no-snapshots", "--lang", "en"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert "Attempt report #5" in parse(out.read_text()).visible
    assert main(["report", "trainee", "T-002", "--html", str(tmp_path / "t.html"),
                 "--db", db]) == 0
    assert main(["report", "group", "--scenario", "gesture/pinch", "--html",
                 str(tmp_path / "g.html"), "--db", db]) == 0
    capsys.readouterr()
    assert main(["report", "attempt", "--html", str(tmp_path / "x.html"), "--db", db]) == 2
    assert "error: give either an attempt ID|UUID or --latest" in capsys.readouterr().err
    assert main(["report", "attempt", "999", "--html", str(tmp_path / "x.html"),
                 "--db", db]) == 2
    err = capsys.readouterr().err
    assert "no attempt 999" in err and "Traceback" not in err
    assert main(["report", "group", "--html", str(tmp_path / "x.html"), "--db", db,
                 "--lang", "de"]) == 2


def test_embedded_png_decodes(store):
    # a PNG passed to the page comes back bit-exact
    from vrtrainer.report.page import image

    buf = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 10, 10)).save(buf, format="PNG")
    (mime, data), = [image_bytes(i) for i in parse(image(buf.getvalue(), "image/png",
                                                          "x")).images]
    assert mime == "image/png" and data == buf.getvalue()
    with pytest.raises(VrtrainerError):
        image(b"", "text/html", "x")
