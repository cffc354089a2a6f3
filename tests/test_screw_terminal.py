"""The fifth pack, screw-terminal, works end to end with no code of its own.

It was added without a change under vrtrainer/: its motion is declared in its
scenario.toml (the engine's generic ``tool_path`` builder), its tool and meshes are
files of the pack. A simulated good trainee passes every step; one who turns the
screw the wrong way, or does not seat the blade before turning, fails that step.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from needs import skip_outside_ci

from vrtrainer.app.training import TrainingOptions, run_training
from vrtrainer.scenario import find_scenario, load_scenario, validate_pack
from vrtrainer.trade.motions import check_motion

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "scenarios" / "screw-terminal"


def test_the_pack_validates_with_its_declared_motion() -> None:
    assert find_scenario("screw-terminal") == PACK
    assert validate_pack(PACK) == []
    sc = load_scenario(PACK)
    assert check_motion(sc) == []
    assert sc.motion.builder == "tool_path" and set(sc.motion.faults) == {"wrong-direction",
                                                                          "no-seat"}
    assert [s.id for s in sc.steps] == ["approach", "align", "drive", "withdraw"]
    assert all(s.instruction.fr and s.instruction.en for s in sc.steps)


def _train(tmp_path: Path, fault: str | None) -> dict[str, tuple[float, bool]]:
    run = run_training(TrainingOptions(
        target="screw-terminal", fault=fault, seed=1, language="en", render=False,
        out_dir=tmp_path / "takes", db=f"sqlite:///{tmp_path / 'results.sqlite'}"))
    sc = load_scenario(PACK)
    out = {}
    for o in run.outcomes:
        if o.score is not None:
            out[sc.steps[o.step].id] = (o.score.score, o.score.passed)
    assert len(run.attempt_ids) == len(out)
    return out


def test_a_good_trainee_passes_every_step(tmp_path) -> None:
    scores = _train(tmp_path, None)
    assert set(scores) == {"approach", "align", "drive", "withdraw"}
    assert all(passed for _, passed in scores.values()), scores


@pytest.mark.parametrize("fault, step", [("wrong-direction", "drive"), ("no-seat", "align")])
def test_a_flawed_trainee_fails_the_step_done_wrong(tmp_path, fault, step) -> None:
    scores = _train(tmp_path, fault)
    assert not scores[step][1], scores
    others = [s for s in ("approach", "withdraw") if s != step]
    assert all(scores[s][1] for s in others), scores


def test_the_commit_that_added_the_pack_touched_nothing_under_vrtrainer() -> None:
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        skip_outside_ci("not a git checkout")
    added = subprocess.run(
        [git, "-C", str(ROOT), "log", "--diff-filter=A", "--format=%H", "--",
         "scenarios/screw-terminal/scenario.toml"], capture_output=True, text=True, check=False)
    commits = added.stdout.split()
    if added.returncode != 0 or not commits:
        skip_outside_ci("the pack is not committed yet (or history is shallow)")
    files = subprocess.run([git, "-C", str(ROOT), "show", "--name-only", "--format=",
                            commits[-1]], capture_output=True, text=True, check=True).stdout
    touched = [f for f in files.split() if f]
    assert touched and not [f for f in touched if f.startswith("vrtrainer/")], touched
