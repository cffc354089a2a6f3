"""The session state machine: every transition, and quit from every phase."""

import pytest

from vrtrainer.backends.base import Input
from vrtrainer.session.machine import Phase, StepMachine, Trigger


def walk(machine, *causes):
    return [machine.handle(c) for c in causes]


def test_full_two_step_sequence_with_a_retry():
    m = StepMachine(2)
    t = walk(m, Input.NEXT, Trigger.DEMO_FINISHED, Input.NEXT, Input.RETRY, Input.NEXT, Input.NEXT)
    assert [x.after for x in t] == [
        Phase.WATCH,
        Phase.ATTEMPT,
        Phase.FEEDBACK,
        Phase.ATTEMPT,
        Phase.FEEDBACK,
        Phase.INTRO,
    ]
    assert (m.phase, m.step, m.attempts) == (Phase.INTRO, 1, [2, 0])
    walk(m, Input.NEXT, Input.NEXT, Trigger.TIME_LIMIT, Input.NEXT)
    assert (m.phase, m.step, m.quit, m.attempts) == (Phase.DONE, 1, False, [2, 1])


@pytest.mark.parametrize("phase", [Phase.INTRO, Phase.WATCH, Phase.ATTEMPT, Phase.FEEDBACK])
def test_quit_from_every_phase(phase):
    m = StepMachine(3)
    path = {
        Phase.INTRO: [],
        Phase.WATCH: [Input.NEXT],
        Phase.ATTEMPT: [Input.NEXT, Input.NEXT],
        Phase.FEEDBACK: [Input.NEXT, Input.NEXT, Input.NEXT],
    }[phase]
    walk(m, *path)
    assert m.phase is phase
    t = m.handle(Input.QUIT)
    assert t.before is phase and t.after is Phase.DONE and t.quit and m.quit
    assert m.handle(Input.NEXT) is None and m.handle(Input.QUIT) is None


def test_meaningless_inputs_are_ignored():
    m = StepMachine(1)
    assert m.handle(Input.RETRY) is None and m.handle(Trigger.DEMO_FINISHED) is None
    assert m.handle(Trigger.TIME_LIMIT) is None and m.phase is Phase.INTRO
    m.handle(Input.NEXT)
    assert m.handle(Input.RETRY) is None and m.phase is Phase.WATCH
    m.handle(Input.NEXT)
    assert m.handle(Trigger.DEMO_FINISHED) is None and m.phase is Phase.ATTEMPT
    assert m.handle(Input.TOGGLE_LANGUAGE) is None


def test_retry_during_attempt_restarts_it():
    m = StepMachine(1)
    walk(m, Input.NEXT, Input.NEXT)
    t = m.handle(Input.RETRY)
    assert (t.before, t.after, m.attempts) == (Phase.ATTEMPT, Phase.ATTEMPT, [2])


def test_needs_a_step():
    with pytest.raises(ValueError):
        StepMachine(0)
