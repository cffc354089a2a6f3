"""The OpenXR session state machine, without a runtime."""

from __future__ import annotations

import pytest

from vrtrainer.xr.lifecycle import Command, SessionLifecycle, SessionState

S = SessionState


def _walk(machine, states):
    out = []
    for s in states:
        out += machine.on_state_changed(s)
    return out


def test_normal_life_begins_ends_and_exits():
    m = SessionLifecycle()
    assert _walk(m, [S.IDLE, S.READY]) == [Command.BEGIN_SESSION]
    assert m.running and m.frames_wanted and not m.visible
    assert _walk(m, [S.SYNCHRONIZED, S.VISIBLE, S.FOCUSED]) == []
    assert m.focused and m.visible
    assert m.request_exit() == [Command.REQUEST_EXIT]
    assert _walk(m, [S.VISIBLE, S.SYNCHRONIZED, S.STOPPING]) == [Command.END_SESSION]
    assert not m.running and not m.frames_wanted
    assert _walk(m, [S.IDLE, S.EXITING]) == [Command.EXIT]
    assert m.finished and not m.lost and m.unexpected == []


@pytest.mark.parametrize("state", [S.IDLE, S.READY, S.SYNCHRONIZED, S.VISIBLE, S.FOCUSED])
def test_loss_pending_in_any_state_exits_as_lost(state):
    m = SessionLifecycle()
    ladder = [S.IDLE, S.READY, S.SYNCHRONIZED, S.VISIBLE, S.FOCUSED]
    _walk(m, ladder[: ladder.index(state) + 1])
    commands = m.on_state_changed(S.LOSS_PENDING)
    assert commands[-1] == Command.EXIT and m.lost and m.finished
    assert (Command.END_SESSION in commands) == m.running or state == S.IDLE


def test_instance_loss_exits_as_lost():
    m = SessionLifecycle()
    _walk(m, [S.IDLE, S.READY, S.SYNCHRONIZED])
    assert m.on_instance_loss_pending() == [Command.EXIT]
    assert m.lost and m.finished


def test_quit_before_the_session_began():
    m = SessionLifecycle()
    m.on_state_changed(S.IDLE)
    assert m.request_exit() == [Command.EXIT]
    assert m.finished
    assert m.request_exit() == []  # once finished, nothing more to do


def test_quit_requested_while_ready_is_honoured_after_begin():
    m = SessionLifecycle()
    m.exit_requested = True
    assert _walk(m, [S.IDLE, S.READY]) == [Command.BEGIN_SESSION, Command.REQUEST_EXIT]


def test_unexpected_transitions_are_recorded_not_fatal():
    m = SessionLifecycle()
    assert _walk(m, [S.IDLE, S.FOCUSED]) == []
    assert m.unexpected == [(S.IDLE, S.FOCUSED)]
