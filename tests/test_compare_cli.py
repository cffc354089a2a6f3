"""`vrtrainer reference build` and `vrtrainer score` on real take files."""

from __future__ import annotations

import json

import pytest

from vrtrainer.cli import main
from vrtrainer.hands import sim
from vrtrainer.takes.take import save_take


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    experts = [save_take(sim.simulate("pinch", seed=s), d / f"e{s}.vrtake") for s in (1, 2, 3)]
    return d, experts


def test_build_then_score_prints_and_writes_the_breakdown(files, capsys):
    d, experts = files
    ref = d / "pinch.vrref"
    assert main(["reference", "build", *map(str, experts), "-o", str(ref)]) == 0
    assert "wrote" in capsys.readouterr().out and ref.exists()
    wrong = save_take(sim.simulate("pinch", role="trainee", flaws=["wrong-finger"], seed=20),
                      d / "wrong.vrtake")
    out_json = d / "wrong.json"
    assert main(["score", str(wrong), "--against", str(ref), "-o", str(out_json)]) == 0
    printed = capsys.readouterr().out
    assert "not passed" in printed and "why: " in printed and "degrees too" in printed
    data = json.loads(out_json.read_text())
    assert data["passed"] is False and 0 <= data["total"] <= 100
    assert set(data) >= {"shape", "timing", "steadiness", "coverage", "messages", "fingers"}


def test_score_against_takes_and_json_rejects_another_gesture(files, capsys):
    d, experts = files
    other = save_take(sim.simulate("grab", role="trainee", seed=20), d / "grab.vrtake")
    assert main(["score", str(other), "--against", *map(str, experts), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rejected"] is True and data["passed"] is False


def test_bad_files_are_refused_without_traceback(files, capsys):
    d, experts = files
    assert main(["score", str(experts[0]), "--against", str(d / "missing.vrref")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "missing.vrref" in err and "Traceback" not in err
    assert main(["score", str(experts[0]), "--against", str(experts[1].with_suffix(".vrref"))
                 ]) == 2
    fake = d / "fake.vrref"
    fake.write_bytes(experts[0].read_bytes())  # a take, not a reference
    assert main(["score", str(experts[0]), "--against", str(fake)]) == 2
    assert "fake.vrref" in capsys.readouterr().err
