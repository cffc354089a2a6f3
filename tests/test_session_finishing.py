"""Attempts end on a worker thread: same results as inline, nothing lost when scoring fails."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from vrtrainer.app.training import TrainingOptions, run_training, simulated_performances
from vrtrainer.backends.scripted import PersonScript, SimulatedBackend
from vrtrainer.compare.template import load_template
from vrtrainer.results import ResultsStore, sha256_file
from vrtrainer.session.finishing import AttemptWorker
from vrtrainer.session.listeners import SessionListener
from vrtrainer.session.loop import run_loop
from vrtrainer.session.plan import steps_for
from vrtrainer.session.training import AttemptEndTimings, TrainingSession
from vrtrainer.takes.take import load_take

#: Fields of a stored attempt that depend on when and where the run happened.
RUN_FIELDS = {"id", "uuid", "session_uuid", "started_at", "ended_at", "recorded_at",
              "take_path", "take_sha256", "duration_s", "reference_path", "reference_sha256"}


def _stored(tmp_path, inline: bool):
    """Three attempts stored; the person does not wait for the score, so that both
    runs' takes have the same time stamps."""
    db = f"sqlite:///{tmp_path}/results.db"
    run = run_training(TrainingOptions(
        target="pinch", flaws=["slow=1.3"], out_dir=tmp_path / "takes", render=False,
        db=db, script=PersonScript(retries=2, wait_for_score=False), finish_inline=inline))
    with ResultsStore.open(db) as store:
        rows = [a.to_dict() for a in store.list_attempts()]
    return run, rows


def test_worker_stores_exactly_what_inline_stored(tmp_path):
    worker, rows_w = _stored(tmp_path / "worker", inline=False)
    inline, rows_i = _stored(tmp_path / "inline", inline=True)
    assert len(rows_w) == len(rows_i) == 3
    for a, b in zip(rows_w, rows_i):
        assert {k: v for k, v in a.items() if k not in RUN_FIELDS} == {
            k: v for k, v in b.items() if k not in RUN_FIELDS}
        assert a["duration_s"] == pytest.approx(b["duration_s"], abs=1e-9)
    assert [o.number for o in worker.outcomes] == [o.number for o in inline.outcomes] == [1, 2, 3]
    for a, b in zip(worker.outcomes, inline.outcomes):
        ta, tb = load_take(a.take_path), load_take(b.take_path)
        assert np.array_equal(ta.poses, tb.poses, equal_nan=True)
        assert np.array_equal(ta.times, tb.times)
        assert a.score.breakdown == b.score.breakdown and a.score.messages == b.score.messages
        assert a.error is None and b.error is None
    assert np.array_equal(worker.session._replay_ghost, inline.session._replay_ghost)
    _kept_reference(rows_w, tmp_path / "worker" / "takes")


def _kept_reference(rows, takes: Path) -> None:
    """A built-in gesture's template is built in memory: the session keeps it as a file
    (once for the step's attempts), with the ghost it showed, and each attempt its hash."""
    paths = {r["reference_path"] for r in rows}
    assert len(paths) == 1
    path = Path(paths.pop())
    assert path.parent == (takes / "references").resolve() and path.suffix == ".vrref"
    assert {r["reference_sha256"] for r in rows} == {sha256_file(path)}
    kept, step = load_template(path), steps_for("pinch")[0]
    assert np.array_equal(kept.values, step.reference.values)
    assert np.array_equal(kept.tolerance, step.reference.tolerance)
    assert kept.info["title"] == step.title and kept.info["scenario_id"] == "gesture/pinch"
    ghost = path.parent / kept.info["ghost"]
    assert sha256_file(ghost) == kept.info["ghost_sha256"]
    assert np.array_equal(load_take(ghost).poses, step.expert.poses)


class _Coach:
    """Delegates to the step's coach; ``final`` can fail or wait for the loop."""

    def __init__(self, inner, fail_on=(), gate: threading.Event | None = None):
        self.inner, self.fail_on, self.gate = inner, set(fail_on), gate
        self.template = getattr(inner, "template", None)
        self.finals = 0

    def start(self):
        self.inner.start()

    def live(self, hands, tools, tool_flags, out):
        return self.inner.live(hands, tools, tool_flags, out)

    def gauges_now(self):
        return []

    def final(self, take):
        self.finals += 1
        if self.gate is not None:
            assert self.gate.wait(60), "the frame loop stopped while the attempt was scored"
        if self.finals in self.fail_on:
            raise RuntimeError("comparator exploded")
        return self.inner.final(take)


def _session(tmp_path, coach_kw, retries=0, **session_kw):
    steps = steps_for("pinch")
    performances = simulated_performances(TrainingOptions(target="pinch"), steps)
    steps[0].coach = _Coach(steps[0].coach, **coach_kw)
    backend = SimulatedBackend(performances, script=PersonScript(retries=retries))
    reported = []

    class Reported(SessionListener):
        def attempt_finished(self, session, outcome):
            reported.append(outcome)

    session = TrainingSession(steps, tmp_path, source="test", listeners=[Reported()],
                              **session_kw)
    return backend, session, reported


def test_a_crash_while_scoring_keeps_the_take_and_reports_the_error(tmp_path):
    backend, session, reported = _session(tmp_path, {"fail_on": {1}}, retries=1)
    run_loop(backend, session)
    first, second = session.outcomes
    assert reported == session.outcomes
    assert first.score is None and "comparator exploded" in first.error
    take = load_take(first.take_path)
    assert take.n_frames > 100 and take.meta.extra["ended_by"] == "done"
    assert second.error is None and second.score is not None  # the session went on


class _CountingBackend(SimulatedBackend):
    """Opens ``gate`` once the loop has drawn ``frames`` frames in the feedback phase."""

    def __init__(self, *a, gate: threading.Event, frames: int, **kw):
        super().__init__(*a, **kw)
        self.gate, self.frames, self.seen = gate, frames, 0

    def end_frame(self, state, display):
        if display.phase == "feedback" and display.scoring:
            self.seen += 1
            if self.seen >= self.frames:
                self.gate.set()
        super().end_frame(state, display)


def test_the_loop_keeps_drawing_while_the_attempt_is_scored(tmp_path):
    gate = threading.Event()
    steps = steps_for("pinch")
    performances = simulated_performances(TrainingOptions(target="pinch"), steps)
    steps[0].coach = _Coach(steps[0].coach, gate=gate)
    backend = _CountingBackend(performances, gate=gate, frames=30)
    session = TrainingSession(steps, tmp_path, source="test")
    timings = session.timings = AttemptEndTimings(session)
    run_loop(backend, session)
    assert backend.seen >= 30  # frames went on while the score was on its way
    [outcome] = session.outcomes
    assert outcome.score is not None and outcome.error is None
    # the timings count those frames as the attempt's end (what the benchmark and the
    # Monado stage report), and only while the attempt was being finished
    report = timings.report()
    assert report["frames"] == timings.count - 1 and report["attempts"] == 1
    assert backend.seen <= report["end_frames"] < report["frames"] // 2


def test_a_failure_to_save_surfaces_on_the_loops_thread():
    worker = AttemptWorker()
    worker.submit(lambda: 1)
    worker.submit(lambda: 1 / 0)
    worker.submit(lambda: 3)
    assert worker.collect(wait=True) == [1]
    with pytest.raises(ZeroDivisionError):
        worker.collect(wait=True)
    assert worker.collect(wait=True) == [3]
    worker.close()


class _SlowCoach(_Coach):
    """Scoring that takes ``seconds`` of wall time, as on a loaded machine."""

    def __init__(self, inner, seconds: float):
        super().__init__(inner)
        self.seconds = seconds

    def final(self, take):
        threading.Event().wait(self.seconds)
        return super().final(take)


def test_slow_scoring_does_not_run_out_the_sessions_virtual_time(tmp_path):
    """Found by CI on a loaded machine: the unpaced loop spun through its whole virtual
    hour while the worker scored, and the session ended before the retries."""
    steps = steps_for("pinch")
    performances = simulated_performances(TrainingOptions(target="pinch"), steps)
    steps[0].coach = _SlowCoach(steps[0].coach, seconds=1.5)
    backend = SimulatedBackend(performances, script=PersonScript(retries=2), max_seconds=20.0)
    session = TrainingSession(steps, tmp_path, source="test")
    run_loop(backend, session)
    assert [o.number for o in session.outcomes] == [1, 2, 3]
    assert all(o.score is not None for o in session.outcomes)
    assert backend._index / backend.rate < 20.0  # virtual time left when the steps were done
