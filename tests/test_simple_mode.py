"""Simple mode: a held pinch or one button goes on, one action a screen, remembered per trainee."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from vrtrainer.backends.base import FrameState, Input
from vrtrainer.cli import main
from vrtrainer.hands.hand import FULLY_TRACKED, JOINT_NAMES, RIGHT, HandFrame
from vrtrainer.render import Cues
from vrtrainer.render.cues import CuePanel
from vrtrainer.render.pictograms import load_pictograms
from vrtrainer.render.text import FontAtlas
from vrtrainer.results import ResultsStore
from vrtrainer.session.machine import Phase, StepMachine
from vrtrainer.session.simple import HOLD_S, MAX_TRIES, HeldPinch, SimpleFlow

THUMB, INDEX = JOINT_NAMES.index("thumb_tip"), JOINT_NAMES.index("index_tip")


def _hands(gap: float | None) -> HandFrame:
    """A right hand whose thumb and index tips are ``gap`` metres apart (None: not tracked)."""
    f = HandFrame()
    if gap is None:
        return f
    f.active[RIGHT] = True
    f.flags[RIGHT, :] = FULLY_TRACKED
    f.poses[RIGHT, :, 6] = 1.0
    f.poses[RIGHT, THUMB, :3] = (0.10, 1.0, -0.3)
    f.poses[RIGHT, INDEX, :3] = (0.10 + gap, 1.0, -0.3)
    return f


def _hold(pinch: HeldPinch, gaps, start: float = 0.0, rate: float = 90.0) -> list[float]:
    fired = []
    for k, gap in enumerate(gaps):
        t = start + k / rate
        if pinch.update(_hands(gap), t):
            fired.append(t)
    return fired


def test_a_held_pinch_goes_on_once_and_a_brief_one_does_not():
    pinch = HeldPinch()
    assert _hold(pinch, [0.01] * 27) == []  # 0.3 s: part of a gesture, not "go on"
    assert _hold(pinch, [0.06] * 5) == []
    fired = _hold(pinch, [0.01] * 180, start=1.0)  # held 2 s
    assert len(fired) == 1 and fired[0] - 1.0 == pytest.approx(HOLD_S, abs=0.02)
    assert _hold(pinch, [0.03] * 90, start=4.0) == []  # not open enough to re-arm
    assert _hold(pinch, [0.05] * 3 + [0.01] * 90, start=6.0) != []  # parted, pinched again
    assert _hold(pinch, [None] * 120, start=8.0) == []  # no tracked hand, no pinch


def _session(phase: Phase, passed: bool | None = None, attempts: int = 1):
    machine = StepMachine(2)
    machine.phase = phase
    machine.attempts[0] = attempts
    score = None if passed is None else SimpleNamespace(passed=passed, rejected=False,
                                                        messages=["Plus lentement"])
    step = SimpleNamespace(instruction={"fr": "Pincez l'objet.", "en": "Pinch it."})
    return SimpleNamespace(phase=phase, machine=machine, last_score=score, language="fr",
                           step=step, scoring=False)


def _state(events, gap=None, t=0.0) -> FrameState:
    state = FrameState()
    state.events[:] = events
    state.hands = _hands(gap)
    state.display_time = t
    return state


def test_one_button_no_menu_and_go_on_means_retry_after_a_failure():
    flow = SimpleFlow()
    state = _state([Input.TOGGLE_LANGUAGE, Input.TOGGLE_DEBUG, Input.RETRY, Input.NEXT])
    flow.filter(state, _session(Phase.INTRO))
    assert state.events == [Input.NEXT]
    for attempts, expected in ((1, Input.RETRY), (MAX_TRIES - 1, Input.RETRY),
                               (MAX_TRIES, Input.NEXT)):
        state = _state([Input.NEXT])
        flow.filter(state, _session(Phase.FEEDBACK, passed=False, attempts=attempts))
        assert state.events == [expected], attempts
    state = _state([Input.NEXT])
    flow.filter(state, _session(Phase.FEEDBACK, passed=True))
    assert state.events == [Input.NEXT]
    state = _state([Input.QUIT])  # the trainer's way out stays
    flow.filter(state, _session(Phase.WATCH))
    assert state.events == [Input.QUIT]


def test_a_pinch_goes_on_between_attempts_but_not_during_one():
    for phase, expected in ((Phase.INTRO, [Input.NEXT]), (Phase.ATTEMPT, [])):
        flow = SimpleFlow()
        session = _session(phase)
        got = []
        for k in range(120):
            state = _state([], gap=0.01, t=k / 90)
            flow.filter(state, session)
            got += state.events
        assert got == expected, phase


def test_simple_screens_show_one_thing_in_large_letters():
    flow = SimpleFlow()
    session = _session(Phase.FEEDBACK, passed=False)
    cues = Cues(title="Résultat — Pince", instruction_fr="Pincez l'objet.",
                instruction_en="Pinch it.", score=42.0, message="À reprendre. Plus lentement",
                debug="cpu 1 ms")
    flow.cues(cues, session, Phase.FEEDBACK)
    assert cues.large and cues.title == "" and cues.score is None and cues.debug == ""
    assert cues.instruction_fr == "À reprendre" and cues.message == "Plus lentement"
    assert "réessayer" in cues.hint
    atlas = FontAtlas(icons=load_pictograms())
    big, small = CuePanel(atlas), CuePanel(atlas)
    cues.pictogram = "slower"
    big.build(cues)
    small.build(Cues(instruction_fr="À reprendre", message="Plus lentement",
                     pictogram="slower"))

    def tallest_glyph(panel):
        v = panel.vertices[:panel.count].reshape(-1, 6, 8)
        heights = v[:, :, 1].max(axis=1) - v[:, :, 1].min(axis=1)
        textured = v[:, 0, 2] > 0.02  # not the white block of rectangles
        return heights[textured].max()

    assert tallest_glyph(big) > 1.5 * tallest_glyph(small)
    intro = Cues()
    flow.cues(intro, _session(Phase.INTRO), Phase.INTRO)
    assert intro.instruction_fr == "Pincez l'objet." and "continuer" in intro.hint


def _train(tmp_path, capsys, *args) -> dict:
    code = main(["train", "pinch", "--flaw", "wrong-finger=90", "--flaw", "jitter=20",
                 "--no-render", "--json", "--out", str(tmp_path / "takes"),
                 "--db", str(tmp_path / "r.sqlite"), "--trainee", "first-timer", *args])
    assert code == 0
    return json.loads(capsys.readouterr().out)


def test_simple_mode_end_to_end_is_remembered_for_the_trainee(tmp_path, capsys):
    with ResultsStore.open(tmp_path / "r.sqlite") as store:
        assert store.preferences("first-timer") is None
    run = _train(tmp_path, capsys, "--simple", "on")
    assert run["simple_mode"] is True
    # A failing trainee is sent back to try again, up to MAX_TRIES, with one button.
    assert [a["attempt"] for a in run["attempts"]] == list(range(1, MAX_TRIES + 1))
    assert all(a["ended_by"] == "done" and not a["passed"] for a in run["attempts"])
    with ResultsStore.open(tmp_path / "r.sqlite") as store:
        assert store.preferences("first-timer") == {"simple_mode": True}
        assert store.preferences("someone-else") is None
    again = _train(tmp_path, capsys)  # nothing said: remembered
    assert again["simple_mode"] is True
    off = _train(tmp_path, capsys, "--simple", "off")
    assert off["simple_mode"] is False and len(off["attempts"]) == 1
    with ResultsStore.open(tmp_path / "r.sqlite") as store:
        assert store.preferences("first-timer") == {"simple_mode": False}
    assert _train(tmp_path, capsys)["simple_mode"] is False


def test_preferences_refuse_a_bad_trainee_id(tmp_path):
    from vrtrainer.errors import VrtrainerError

    with ResultsStore.open(tmp_path / "r.sqlite") as store:
        with pytest.raises(VrtrainerError):
            store.set_preferences("", simple_mode=True)
        with pytest.raises(VrtrainerError):
            store.set_preferences("x" * 500, simple_mode=True)
        store.set_preferences("a", simple_mode=True)
        store.set_preferences("a", simple_mode=False)  # an update, not a second row
        assert store.preferences("a") == {"simple_mode": False}


def test_go_on_while_the_score_is_on_its_way_waits_for_the_verdict():
    flow = SimpleFlow()
    session = _session(Phase.FEEDBACK)  # no score yet
    session.scoring = True
    state = _state([Input.NEXT])
    flow.filter(state, session)
    assert state.events == []  # not "next step" before knowing whether to retry
    session.scoring = False
    session.last_score = SimpleNamespace(passed=False, rejected=False, messages=[])
    state = _state([])
    flow.filter(state, session)
    assert state.events == [Input.RETRY]
    state = _state([])
    flow.filter(state, session)
    assert state.events == []  # once
