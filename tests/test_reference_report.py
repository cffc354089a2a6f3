"""From recorded takes to a reference with a consistency report, in two commands."""

import re

import numpy as np
import pytest

from vrtrainer.cli import main
from vrtrainer.compare import build_template, load_template, score_take
from vrtrainer.compare.consistency import spread_of, take_consistency
from vrtrainer.hands import sim
from vrtrainer.takes.take import save_take


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """Three simulated expert takes recorded with `vrtrainer record`, plus a flawed one."""
    root = tmp_path_factory.mktemp("flow")
    code = main(["record", "pinch", "--step", "1", "--takes", "3", "-o", str(root / "takes"),
                 "--no-render", "--countdown", "0.5", "--no-sound", "--json"])
    assert code == 0
    folder = root / "takes" / "gesture-pinch" / "step1"
    bad = sim.simulate("pinch", role="trainee", flaws=["wrong-finger=45"], seed=9)
    save_take(bad, folder / "take-9-injected.vrtake")
    return root, folder


def test_two_commands_give_a_reference_and_a_report_flagging_the_outlier(recorded, capsys):
    root, folder = recorded
    takes = sorted(folder.glob("*.vrtake"))
    assert len(takes) == 4
    ref, page = root / "pinch.vrref", root / "pinch.html"
    capsys.readouterr()
    code = main(["reference", "build", *map(str, takes), "-o", str(ref), "--html", str(page)])
    assert code == 0
    out = capsys.readouterr().out
    assert "Consistency" in out and "The experts' own variation" in out
    tpl = load_template(ref)
    assert tpl.name == "pinch" and len(tpl.experts) == 4
    text = page.read_text()
    for t in takes:
        assert t.name in text
    row = re.search(r"<tr class='flag'>(.*?)</tr>", text, re.S)
    assert row and "take-9-injected.vrtake" in row.group(1)
    assert text.count("<tr class='flag'>") == 1
    assert text.count("<svg") == 2  # plots inline
    assert not re.search(r"(src|href)=\"(?!#)", text) and "<link" not in text  # one file


def test_consistency_numbers_single_out_the_wrong_finger_take():
    experts = [sim.simulate("pinch", seed=s, rate=60.0) for s in (1, 2, 3)]
    bad = sim.simulate("pinch", role="trainee", flaws=["wrong-finger=45"], seed=4, rate=60.0)
    flaw = bad.meta.extra["flaws"][0]
    finger = f"right {flaw['finger']}"
    tpl = build_template(experts + [bad])
    report = take_consistency(experts + [bad], tpl)
    good, worst = report.takes[:3], report.takes[3]
    assert worst.flagged and finger in worst.differs_in
    assert not any(t.flagged for t in good)
    assert worst.to_others > 2 * max(t.to_others for t in good)
    assert np.allclose(report.pairwise, report.pairwise.T) and np.all(
        np.diag(report.pairwise) == 0)
    # identical takes are zero apart
    same = take_consistency([experts[0], experts[0]], build_template([experts[0]] * 2))
    assert same.pairwise[0, 1] == pytest.approx(0.0, abs=1e-9)
    # the injected take's finger widens its tolerance beyond the floor somewhere
    part = next(p for p in report.parts if p.part == finger)
    assert max(part.phase_ratio) > 1.5 and "vary" in part.why


def test_spread_is_recovered_from_the_tolerance():
    takes = [sim.simulate("grab", seed=s, rate=60.0) for s in (1, 2, 3)]
    tpl = build_template(takes)
    rule = tpl.tolerance_rule
    again = np.hypot(rule.floors(tpl.layout), rule.spread_factor * spread_of(tpl))
    assert np.allclose(again, tpl.tolerance)


def test_mirrored_reference_scores_left_handers_like_right_handers(recorded, capsys):
    root, folder = recorded
    experts = sorted(folder.glob("take-[0-9]-expert*.vrtake"))
    ref = root / "mirror" / "pinch.vrref"
    ref.parent.mkdir()
    assert main(["reference", "build", *map(str, experts), "-o", str(ref), "--mirror",
                 "--no-reject"]) == 0
    left_ref = load_template(root / "mirror" / "pinch-left.vrref")
    right_ref = load_template(ref)
    assert left_ref.handedness == "left" and right_ref.handedness == "right"
    for flaws in ([], ["slow=1.3"]):
        role = "trainee" if flaws else "expert"
        right = score_take(sim.simulate("pinch", role=role, flaws=flaws, seed=20), right_ref)
        left_take = sim.simulate("pinch", role=role, flaws=flaws, seed=20, hand="left")
        left = score_take(left_take, left_ref)
        assert not left.mirrored  # the left-handed reference is used as it is
        assert left.total == pytest.approx(right.total, abs=3.0)
        assert left.shape == pytest.approx(right.shape, abs=3.0)
