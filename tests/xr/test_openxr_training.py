"""A whole training session through a real OpenXR runtime, and its replay.

A scripted person stands in front of Monado's remote driver: it presses the
controller's A button to go on, and curls the right index as the gesture.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vrtrainer.backends.scripted import ReplayBackend
from vrtrainer.compare.template import build_template
from vrtrainer.hands.hand import RIGHT, WRIST
from vrtrainer.session.coach import ComparatorCoach
from vrtrainer.session.loop import run_loop
from vrtrainer.session.training import AttemptEndTimings, TrainingSession, TrainingStep
from vrtrainer.takes.take import load_take
from vrtrainer.xr.errors import RuntimeLostError
from vrtrainer.xr.frame_backend import OpenXRFrameBackend

INDEX_TIP = 10
RATE = 90.0
#: The attempt-end frame report of this stage (issue 17): printed by `make test-xr`.
REPORT = Path(__file__).resolve().parents[2] / "out" / "xr" / "attempt-ends.json"


def curl_at(t: float, duration: float) -> float:
    """The index curl of the scripted gesture: close smoothly, hold, open again."""
    u = min(max(t / duration, 0.0), 1.0)
    closing = min(u / 0.45, 1.0)
    opening = min(max((u - 0.65) / 0.35, 0.0), 1.0)
    smooth = lambda x: x * x * (3 - 2 * x)  # noqa: E731
    return smooth(closing) * (1.0 - smooth(opening))


class FeederPerson:
    """The training session, with a person at the remote driver reacting to what it shows."""

    def __init__(self, session, feeder, gesture_s: float, kill=None) -> None:
        self.session = session
        self.feeder = feeder
        self.state = feeder.initial
        self.state.right.pose = (0.15, 1.1, -0.35, 0.0, 0.0, 0.0, 1.0)
        self.gesture_s = gesture_s
        self.kill = kill
        self.phase = ""
        self.phase_frames = 0
        self.press_frames = 0
        self.pressed = False
        self.since_press = 0
        self.attempt_frames = 0
        self.phase_start = 0.0

    @property
    def finished(self) -> bool:
        return self.session.finished

    def update(self, state):
        display = self.session.update(state)
        if display.phase != self.phase:
            self.phase, self.phase_frames, self.pressed = display.phase, 0, False
            self.phase_start = state.display_time
        self.phase_frames += 1
        s = self.state.right
        s.curls = (0.0, 0.0, 0.0, 0.0, 0.0)
        want_press = False
        if self.phase == "intro" and self.phase_frames == 20:
            want_press = True
        elif self.phase == "attempt":
            self.attempt_frames += 1
            # the runtime's clock, not frame counts: a loaded machine delivers fewer
            # frames, and the take's times are the runtime's
            t = state.display_time - self.phase_start
            s.curls = (0.0, curl_at(t, self.gesture_s), 0.0, 0.0, 0.0)
            if t >= self.gesture_s + 0.3:
                want_press = True
            if self.kill is not None and self.attempt_frames == self.kill[0]:
                self.kill[1]()
        elif self.phase == "feedback" and self.phase_frames == 20:
            want_press = True
        if want_press and (not self.pressed or self.since_press > 45):
            # held a few frames, like a thumb; pressed again if it went unseen
            self.pressed, self.press_frames, self.since_press = True, 4, 0
        self.since_press += 1
        s.buttons = {"a_click": True} if self.press_frames > 0 else {}
        self.press_frames = max(0, self.press_frames - 1)
        self.feeder.send(self.state)
        return display

    def render(self, state, targets):
        self.session.render(state, targets)

    def close(self):
        self.session.close()


def record_expert(monado, feeder, tmp_path, gesture_s: float):
    """The expert's take: the same gesture, performed once through the runtime."""
    from vrtrainer.backends.base import Display
    from vrtrainer.takes.take import TakeMeta, TakeWriter

    class Expert:
        finished = False

        def __init__(self):
            self.writer = TakeWriter(tmp_path / "expert.vrtake",
                                     TakeMeta(role="expert", nominal_rate=RATE, source="monado"))
            self.state = feeder.initial
            self.state.right.pose = (0.15, 1.1, -0.35, 0.0, 0.0, 0.0, 1.0)
            self.frames = 0
            self.start = None
            self.take = None

        def update(self, state):
            if state.hands.active[RIGHT]:
                self.frames += 1
                self.writer.append(state.hands)
                if self.start is None:
                    self.start = state.display_time
            t = 0.0 if self.start is None else state.display_time - self.start
            self.state.right.curls = (0.0, curl_at(t, gesture_s), 0.0, 0.0, 0.0)
            feeder.send(self.state)
            self.finished = t >= gesture_s
            return Display(phase="attempt")

        def render(self, state, targets):
            pass

        def close(self):
            self.take = self.writer.close()

    app = Expert()
    run_loop(OpenXRFrameBackend(headless=True, headless_rate=RATE), app)
    return app.take


def make_steps(expert):
    template = build_template([expert], name="index curl")
    return [TrainingStep(title={"fr": "Plier l'index", "en": "Curl the index"},
                         instruction={"fr": "Pliez l'index puis rouvrez", "en": "Curl, open"},
                         expert=expert, coach=ComparatorCoach(template, language="en"),
                         scenario_id="test/index-curl", time_limit=20.0)]


def test_attempt_through_openxr_scores_like_its_replay(monado, feeder, tmp_path):
    expert = record_expert(monado, feeder, tmp_path, gesture_s=1.6)
    assert expert.n_frames > 40  # 1.6 s of the runtime clock; fewer frames on a loaded machine
    steps = make_steps(expert)
    session = TrainingSession(steps, tmp_path / "live", trainee="t-1", language="en",
                              source="monado")
    person = FeederPerson(session, feeder, gesture_s=1.8)
    timings = session.timings = AttemptEndTimings(session)
    result = run_loop(OpenXRFrameBackend(headless=True, headless_rate=RATE), person,
                      timings=timings)
    assert result.ended_by == "application" and session.phase.value == "done"
    # the loop's own work per frame at the attempt's end, through the runtime: reported
    # (a figure of this machine's load), not gated
    report = timings.report()
    assert report["frames"] == timings.count - 1 and report["attempts"] == 1
    assert report["end_frames"] >= 1 and report["end_work_ms_max"] > 0.0
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps({"stage": "test-xr (Monado)", **report}, indent=1))
    [live] = session.outcomes
    assert live.score is not None and live.ended_by == "done", (session.transitions, live)
    take = load_take(live.take_path)
    d = np.linalg.norm(take.poses[:, RIGHT, INDEX_TIP, :3] - take.poses[:, RIGHT, WRIST, :3],
                       axis=-1)
    assert d.max() - d.min() > 0.03  # the finger really curled through OpenXR
    assert live.score.score > 60 and not live.score.rejected

    replay_session = TrainingSession(steps, tmp_path / "replay", trainee="t-1", language="en")
    run_loop(ReplayBackend([take], rate=RATE), replay_session)
    [again] = replay_session.outcomes
    assert again.score.score == pytest.approx(live.score.score, abs=3.0)
    assert again.score.passed == live.score.passed


def test_runtime_killed_mid_attempt_keeps_the_take(monado, feeder, tmp_path):
    expert = record_expert(monado, feeder, tmp_path, gesture_s=1.2)
    session = TrainingSession(make_steps(expert), tmp_path / "live", trainee="t-2")
    person = FeederPerson(session, feeder, gesture_s=1.5, kill=(45, monado.kill))
    with pytest.raises(RuntimeLostError, match="lost the OpenXR runtime"):
        run_loop(OpenXRFrameBackend(headless=True, headless_rate=RATE), person)
    [outcome] = session.outcomes
    assert outcome.ended_by == "interrupted" and outcome.score is None
    take = load_take(outcome.take_path)
    assert take.n_frames >= 45 and take.meta.extra["ended_by"] == "interrupted"
    assert not list((tmp_path / "live").glob("*.partial"))
