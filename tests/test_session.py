"""Training sessions end to end through the one frame loop, headless."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from vrtrainer.app.training import TrainingOptions, run_training
from vrtrainer.backends.scripted import PersonScript
from vrtrainer.takes.take import journal_path, load_take, recover_take


def train(tmp_path, **kw):
    opts = TrainingOptions(target=kw.pop("target", "pinch"), out_dir=tmp_path / "takes",
                           store=False, render=kw.pop("render", False), **kw)
    return run_training(opts)


def test_simulated_attempt_and_replay_of_its_take_score_the_same(tmp_path):
    live = train(tmp_path / "a", flaws=["slow=1.2", "jitter=3"], seed=5)
    [first] = live.outcomes
    assert first.score is not None and first.ended_by == "done"
    recorded = load_take(first.take_path)
    assert recorded.meta.role == "trainee" and recorded.meta.source == "vrtrainer simulated"
    replay = train(tmp_path / "b", backend="replay", takes=[first.take_path])
    [again] = replay.outcomes
    assert again.take.n_frames == first.take.n_frames
    assert np.array_equal(again.take.poses, first.take.poses)
    assert again.score.score == pytest.approx(first.score.score, abs=1e-6)
    assert again.score.passed == first.score.passed


def test_retry_records_a_new_take_each_time(tmp_path):
    run = train(tmp_path, script=PersonScript(retries=2))
    assert [o.number for o in run.outcomes] == [1, 2, 3]
    assert len({o.take_path for o in run.outcomes}) == 3
    assert all(o.take_path.exists() and o.score is not None for o in run.outcomes)
    assert not list((tmp_path / "takes").glob("*.partial"))


@pytest.mark.parametrize("phase", ["intro", "watch", "attempt", "feedback"])
def test_quit_in_every_phase_ends_cleanly(tmp_path, phase):
    run = train(tmp_path, script=PersonScript(quit_in=phase, quit_after=0.1))
    assert run.session.machine.quit and run.loop.ended_by == "application"
    takes = sorted((tmp_path / "takes").glob("*.vrtake"))
    assert not list((tmp_path / "takes").glob("*.partial"))
    if phase in ("intro", "watch"):
        assert takes == []
    else:
        assert len(takes) == 1  # quitting mid-attempt keeps the take, unscored
        outcome = run.outcomes[-1]
        assert outcome.ended_by == ("quit" if phase == "attempt" else "done")
        assert (outcome.score is None) == (phase == "attempt")


def test_frame_timings_are_kept_in_the_take(tmp_path):
    run = train(tmp_path)
    extra = load_take(run.outcomes[0].take_path).meta.extra
    total = extra["frame_timings_ms"]["total"]
    assert 0 < total["p50"] <= total["p99"] <= total["max"]
    assert run.timings["update"]["count" if False else "p50"] >= 0


def test_rendered_attempt_writes_frames(tmp_path):
    run = train(tmp_path, render=True, frames_dir=tmp_path / "frames")
    assert run.snapshots and all(p.exists() for p in run.snapshots)
    assert any("attempt" in p.name for p in run.snapshots)


KILL_SCRIPT = """
import sys
from pathlib import Path
from vrtrainer.app.training import TrainingOptions, run_training
run_training(TrainingOptions(target="grab", out_dir=Path(sys.argv[1]), store=False,
                             render=False, mirror=True))
"""


def test_killed_mid_attempt_leaves_a_recoverable_take(tmp_path):
    """SIGKILL during a real-time attempt: all but at most the last second survives."""
    out = tmp_path / "takes"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(out)], env=env)
    try:
        deadline = time.monotonic() + 120
        journal = None
        while journal is None:
            assert proc.poll() is None and time.monotonic() < deadline
            found = list(out.glob("*.partial")) if out.exists() else []
            journal = found[0] if found else None
            time.sleep(0.01)
        started = time.monotonic()
        time.sleep(2.0)
        proc.send_signal(signal.SIGKILL)
        killed_after = time.monotonic() - started
    finally:
        proc.kill()
        proc.wait()
    take, path = recover_take(journal)
    assert path == journal.with_name(journal.name.removesuffix(".partial"))
    assert journal_path(path) == journal
    assert take.duration >= killed_after - 1.0
    assert load_take(path).n_frames == take.n_frames


def test_feedback_replays_the_attempt_beside_the_aligned_ghost(tmp_path):
    run = train(tmp_path, flaws=["slow=1.5"])
    session = run.session
    ghost = session._replay_ghost
    take = run.outcomes[0].take
    expert = session.steps[0].expert
    assert ghost.shape == (take.n_frames,)
    assert np.all(np.diff(ghost) >= 0)  # the ghost never goes backwards
    # Uniformly slower: halfway through the take is halfway through the gesture.
    assert abs(ghost[take.n_frames // 2] / expert.n_frames - 0.5) < 0.15
    assert ghost[-1] >= 0.85 * expert.n_frames


def test_long_session_keeps_only_recent_takes_in_memory(tmp_path):
    """A session of hours must not hold every take it recorded (found by the soak)."""
    from vrtrainer.session.training import TAKES_KEPT

    run = train(tmp_path, script=PersonScript(retries=TAKES_KEPT + 2))
    outcomes = run.outcomes
    assert len(outcomes) == TAKES_KEPT + 3
    assert all(o._take is None for o in outcomes[:-TAKES_KEPT])
    assert all(o._take is not None for o in outcomes[-TAKES_KEPT:])
    first = outcomes[0].take  # read back from its file
    assert np.array_equal(first.poses, load_take(outcomes[0].take_path).poses)
