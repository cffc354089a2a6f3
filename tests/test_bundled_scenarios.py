"""The four bundled scenarios: valid, safe against hostile variants, and judged right.

For each pack: it validates (folder and zip); hostile variants of it are
refused with a clear message and nothing outside them is touched; its own
expert takes have every trade metric in band; typical faults, simulated,
lose points on the right metric with the right message.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from packmaker import billion_face_glb, object_npy, zip_folder

from vrtrainer.cli import main
from vrtrainer.errors import InvalidFileError
from vrtrainer.hands import sim
from vrtrainer.scenario import ScenarioError, load_scenario, open_pack, validate_pack
from vrtrainer.trade import motions as trade_motions
from vrtrainer.trade.judge import judge_step
from vrtrainer.trade.metrics import compute_metrics

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
IDS = ["welding-fillet", "spray-panel", "hand-rub", "cpr-compressions"]


@pytest.fixture(scope="module")
def packs() -> dict:
    out = {}
    for sid in IDS:
        with open_pack(SCENARIOS / sid) as pack:
            out[sid] = (pack.scenario, {s.id: pack.reference_takes(s)
                                        for s in pack.scenario.steps})
    return out


@pytest.mark.parametrize("sid", IDS)
def test_pack_validates_as_folder_and_zip(sid: str, tmp_path: Path) -> None:
    assert validate_pack(SCENARIOS / sid) == []
    assert validate_pack(zip_folder(SCENARIOS / sid, tmp_path / f"{sid}.zip")) == []


def test_list_shows_the_four_in_french_and_english(capsys, monkeypatch) -> None:
    monkeypatch.setenv("VRTRAINER_SCENARIOS", "/nonexistent")
    assert main(["scenario", "list", "--json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out) if r["valid"]}
    assert set(IDS) <= set(rows)
    assert rows["hand-rub"]["title"] == {"fr": "Friction hydro-alcoolique des mains (OMS)",
                                         "en": "Hygienic hand rub (WHO)"}
    assert rows["welding-fillet"]["title"]["fr"].startswith("Soudure")


@pytest.mark.parametrize("sid", IDS)
def test_expert_takes_are_synthetic_and_in_band(sid: str, packs) -> None:
    scenario, takes = packs[sid]
    for step in scenario.steps:
        assert len(takes[step.id]) == 3
        for take in takes[step.id]:
            assert take.meta.role == "expert" and take.meta.synthetic
            assert "synthetic expert motion" in take.meta.notes
            assert take.meta.scenario == sid
            results = compute_metrics(scenario, take, step.metrics)
            for r in results.values():
                assert r.verdict == "ok", (step.id, r.message.en)
                assert r.score > 0.75, (step.id, r.name, r.score)
            if step.time_min is not None:
                assert step.time_min <= take.duration <= step.time_max
            judged = judge_step(scenario, step, take)
            assert judged.passed and judged.score >= 85 and judged.messages == [], judged


def test_hand_rub_lasts_20_to_30_seconds(packs) -> None:
    scenario, takes = packs["hand-rub"]
    for i in range(3):
        total = sum(takes[s.id][i].duration for s in scenario.steps)
        assert scenario.total_min <= total <= scenario.total_max


# -- typical faults -------------------------------------------------------------------

FAULTS = [
    # scenario, step, builder fault, simulator flaws, metric, verdict, words in the message
    ("welding-fillet", "weld", None, ["fast=1.6"], "travel_speed", "high",
     "Travel speed too high", "Slow down"),
    ("welding-fillet", "weld", None, ["slow=1.6"], "travel_speed", "low",
     "Travel speed too low", "Travel faster"),
    ("welding-fillet", "weld", "work-angle-high", [], "work_angle", "high",
     "Work angle too high", "Lower the torch"),
    ("welding-fillet", "weld", "drag", [], "travel_angle", "low",
     "Travel angle (push) too low", "tilt the nozzle ahead"),
    ("welding-fillet", "position", "too-far", [], "start_ctwd", "high",
     "Contact-tip-to-work distance at the start too high", "about 10 mm"),
    ("spray-panel", "passes", None, ["fast=1.6"], "pass_speed", "high",
     "Pass speed too high", "Move slower"),
    ("spray-panel", "passes", "tilted", [], "gun_angle", "high",
     "Gun square to the panel too high", "do not tilt"),
    ("spray-panel", "passes", "too-far", [], "distance", "high",
     "Gun-to-panel distance too high", "orange peel"),
    ("spray-panel", "passes", "too-close", [], "distance", "low",
     "Gun-to-panel distance too low", "the paint runs"),
    ("spray-panel", "passes", "wide-passes", [], "overlap", "low",
     "Pass overlap too low: 10 %", "aim at the lower edge"),
    ("cpr-compressions", "compressions", None, ["slow=1.4"], "rate", "low",
     "Compression rate too low", "Go faster"),
    ("cpr-compressions", "compressions", None, ["fast=1.3"], "rate", "high",
     "Compression rate too high", "Slow down"),
    ("cpr-compressions", "compressions", "shallow", [], "depth", "low",
     "Compression depth too low", "Push harder"),
    ("cpr-compressions", "compressions", "leaning", [], "release", "high",
     "Full release too high", "do not lean"),
    ("cpr-compressions", "compressions", "hands-apart", [], "stacked", "high",
     "Hands stacked too high", "right on top"),
    ("hand-rub", "thumbs", "one-sided", [], "hold_right_thumb", "low",
     "Time on the right thumb too low", "Rub the right thumb for longer"),
    ("hand-rub", "palm-to-palm", "too-short", [], "hold_facing", "low",
     "Time palm to palm too low", "Rub for longer"),
    ("hand-rub", "fingertips", "one-sided", [], "hold_left_tips", "low",
     "Time on the left fingertips too low", "for longer"),
    ("hand-rub", "palm-over-back", None, ["fast=2.5"], "hold_over_back", "low",
     "Time palm over back too low", "on both sides"),
]


@pytest.mark.parametrize(("sid", "step", "fault", "flaws", "metric", "verdict", "what", "advice"),
                         FAULTS, ids=[f"{f[0]}-{f[2] or f[3][0]}-{f[4]}" for f in FAULTS])
def test_typical_fault_loses_points_on_the_right_metric(packs, sid, step, fault, flaws, metric,
                                                        verdict, what, advice) -> None:
    scenario, takes = packs[sid]
    st = next(s for s in scenario.steps if s.id == step)
    trainee = sim.simulate(trade_motions.step_gesture(scenario, step, fault, variation=11),
                           role="trainee", flaws=flaws, seed=11, rate=60)
    results = compute_metrics(scenario, trainee, st.metrics)
    expert = compute_metrics(scenario, takes[step][0], st.metrics)
    r = results[metric]
    assert r.verdict == verdict, r.message.en
    assert what in r.message.en and advice in r.message.en
    assert r.message.fr and r.message.fr != r.message.en
    assert r.score < 0.5 < expert[metric].score
    judged = judge_step(scenario, st, trainee)
    assert not judged.passed and judged.messages[0] == r.message
    # the other metrics are not blamed for it
    for name, other in results.items():
        if name != metric and metric not in (f"hold_{name}",):
            assert other.score >= expert[name].score - 0.6, (name, other.message.en)


def test_skipped_hand_rub_step_fails_the_next_steps_position(packs) -> None:
    """Skipping "palm over back" means doing "interlaced" in its place: caught."""
    scenario, _ = packs["hand-rub"]
    step = next(s for s in scenario.steps if s.id == "palm-over-back")
    skipped = sim.simulate(trade_motions.step_gesture(scenario, "interlaced", variation=5),
                           role="trainee", seed=5, rate=60)
    results = compute_metrics(scenario, skipped, step.metrics)
    assert results["palm_over_back"].verdict == "high"
    assert "Lay one palm on the back of the other hand" in results["palm_over_back"].message.en
    assert results["hold_over_back"].verdict == "low"


# -- hostile variants of each pack ------------------------------------------------------


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in folder.rglob("*")}


def copy_pack(sid: str, dest: Path) -> Path:
    return Path(shutil.copytree(SCENARIOS / sid, dest / sid))


def first_mesh(pack: Path) -> str:
    return load_scenario(pack).objects[0].mesh


def first_take(pack: Path) -> str:
    return load_scenario(pack).steps[0].reference_takes[0]


def rewrite_take(path: Path, member: str, data: bytes) -> None:
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members[member] = data
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in members.items():
            z.writestr(n, d)


def hostile_path_escape(pack: Path, outside: Path) -> tuple[Path, str]:
    mesh = first_mesh(pack)
    toml = pack / "scenario.toml"
    toml.write_text(toml.read_text().replace(f'"{mesh}"', '"../outside/secret.glb"', 1))
    return pack, "leaves the pack"


def hostile_absolute_path(pack: Path, outside: Path) -> tuple[Path, str]:
    mesh = first_mesh(pack)
    toml = pack / "scenario.toml"
    toml.write_text(toml.read_text().replace(f'"{mesh}"', f'"{outside}/secret.glb"', 1))
    return pack, "is absolute"


def hostile_symlink(pack: Path, outside: Path) -> tuple[Path, str]:
    mesh = pack / first_mesh(pack)
    mesh.unlink()
    mesh.symlink_to(outside / "secret.glb")
    return pack, "is a symbolic link"


def hostile_hard_link(pack: Path, outside: Path) -> tuple[Path, str]:
    mesh = pack / first_mesh(pack)
    mesh.unlink()
    os.link(outside / "secret.glb", mesh)
    return pack, "hard links"


def hostile_zip_slip(pack: Path, outside: Path) -> tuple[Path, str]:
    z = zip_folder(pack, pack.parent / "slip.zip", extra={"../outside/evil.md": b"owned"})
    return z, "leaves the pack"


def hostile_zip_bomb(pack: Path, outside: Path) -> tuple[Path, str]:
    z = zip_folder(pack, pack.parent / "bomb.zip", extra={"assets/zeros.bin": bytes(8 << 20)})
    return z, "compresses more than 200:1 (zip bomb?)"


def hostile_huge_array(pack: Path, outside: Path) -> tuple[Path, str]:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f4", "fortran_order": False, "shape": (10**9, 2, 26, 7)})
    rewrite_take(pack / first_take(pack), "poses.npy", buf.getvalue() + bytes(4096))
    return pack, "array 'poses'"


def hostile_pickle_in_take(pack: Path, outside: Path) -> tuple[Path, str]:
    rewrite_take(pack / first_take(pack), "poses.npy", object_npy())
    return pack, "pickle"


def hostile_pickle_file(pack: Path, outside: Path) -> tuple[Path, str]:
    (pack / "takes" / "model.pkl").write_bytes(b"\x80\x04\x95")
    return pack, "is not allowed in a scenario pack"


def hostile_executable(pack: Path, outside: Path) -> tuple[Path, str]:
    (pack / "assets" / "texture.png").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(100))
    return pack, "ELF executable"


def hostile_nesting_bomb(pack: Path, outside: Path) -> tuple[Path, str]:
    toml = pack / "scenario.toml"
    toml.write_text(toml.read_text() + "\nbomb = " + "[" * 50_000 + "]" * 50_000 + "\n")
    return pack, "nests arrays/tables 50000 deep"


def hostile_schema_version(pack: Path, outside: Path) -> tuple[Path, str]:
    toml = pack / "scenario.toml"
    toml.write_text(toml.read_text().replace("schema_version = 1", "schema_version = 99"))
    return pack, "schema version 99 is not supported"


def hostile_billion_faces(pack: Path, outside: Path) -> tuple[Path, str]:
    (pack / first_mesh(pack)).write_bytes(billion_face_glb())
    return pack, "declares 3000000000 elements"


HOSTILE = [hostile_path_escape, hostile_absolute_path, hostile_symlink, hostile_hard_link,
           hostile_zip_slip, hostile_zip_bomb, hostile_huge_array, hostile_pickle_in_take,
           hostile_pickle_file, hostile_executable, hostile_nesting_bomb,
           hostile_schema_version, hostile_billion_faces]


@pytest.mark.parametrize("make", HOSTILE, ids=[h.__name__[8:] for h in HOSTILE])
@pytest.mark.parametrize("sid", IDS)
def test_hostile_variant_is_refused_and_nothing_outside_is_touched(
    sid: str, make, tmp_path: Path, capsys
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.glb").write_bytes(billion_face_glb())
    pack, expected = make(copy_pack(sid, tmp_path), outside)
    before = snapshot(outside)
    problems = validate_pack(pack)
    assert problems and any(expected in str(p) for p in problems), problems
    with pytest.raises((ScenarioError, InvalidFileError)):
        with open_pack(pack) as p:
            for step in p.scenario.steps:
                p.reference_takes(step)
            for obj in p.scenario.objects:
                p.load_mesh(obj.mesh)
    assert main(["scenario", "validate", str(pack)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert snapshot(outside) == before
    assert not (tmp_path / "evil.md").exists()


def test_cli_try_judges_a_simulated_trainee(capsys) -> None:
    assert main(["scenario", "try", "cpr-compressions", "--flaw", "slow=1.4", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)[0]
    assert report["step"] == "compressions" and not report["passed"]
    assert report["metrics"]["rate"]["verdict"] == "low"
    assert main(["scenario", "try", "hand-rub", "--lang", "fr", "--step", "thumbs"]) == 0
    out = capsys.readouterr().out
    assert "5. Pouces" in out and "réussi" in out and "non réussi" not in out
    assert main(["scenario", "try", "hand-rub", "--fault", "nope"]) == 2
    assert "unknown fault 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("sid", IDS)
def test_render_scene_of_each_pack(sid: str, tmp_path: Path) -> None:
    from vrtrainer.render.scene import pack_scene

    with open_pack(zip_folder(SCENARIOS / sid, tmp_path / f"{sid}.zip")) as pack:
        scene = pack_scene(pack)
        sc = pack.scenario
    assert set(scene.tools) == {t.name for t in sc.tools}
    lo, hi = scene.static.bounds
    for obj in sc.objects:  # every object's origin lies within the merged geometry's box
        assert np.all(lo - 0.01 <= obj.transform.position)
        assert np.all(obj.transform.position <= hi + 0.01)
    for frame in sc.frames.values():  # and so does every workpiece frame
        assert np.all(lo - 0.05 <= frame.origin) and np.all(frame.origin <= hi + 0.05)
