"""The OpenXR session lifecycle as an explicit state machine.

OpenXR drives a session through IDLE -> READY -> SYNCHRONIZED -> VISIBLE ->
FOCUSED and back down through STOPPING to IDLE, then EXITING; LOSS_PENDING (or
an instance-loss event) means the runtime is going away. The application must
answer some states with calls: READY with xrBeginSession, STOPPING with
xrEndSession, EXITING and LOSS_PENDING by destroying the session. This module
decides those answers from the events alone, without calling OpenXR, so the
logic is tested on its own; the backend executes the commands it returns.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class SessionState(enum.IntEnum):
    """XrSessionState values."""

    UNKNOWN = 0
    IDLE = 1
    READY = 2
    SYNCHRONIZED = 3
    VISIBLE = 4
    FOCUSED = 5
    STOPPING = 6
    LOSS_PENDING = 7
    EXITING = 8


class Command(enum.Enum):
    """What the backend must do in answer to an event."""

    BEGIN_SESSION = "begin"  # xrBeginSession
    END_SESSION = "end"  # xrEndSession
    REQUEST_EXIT = "request_exit"  # xrRequestExitSession
    EXIT = "exit"  # leave the frame loop and destroy the session


#: States in which the application runs frames (xrWaitFrame/Begin/End).
_RUNNING_STATES = {
    SessionState.READY,
    SessionState.SYNCHRONIZED,
    SessionState.VISIBLE,
    SessionState.FOCUSED,
}

#: Transitions the OpenXR specification allows (anything may go to LOSS_PENDING).
_ALLOWED = {
    SessionState.UNKNOWN: {SessionState.IDLE},
    SessionState.IDLE: {SessionState.READY, SessionState.EXITING},
    SessionState.READY: {SessionState.SYNCHRONIZED},
    SessionState.SYNCHRONIZED: {SessionState.VISIBLE, SessionState.STOPPING},
    SessionState.VISIBLE: {SessionState.FOCUSED, SessionState.SYNCHRONIZED},
    SessionState.FOCUSED: {SessionState.VISIBLE},
    SessionState.STOPPING: {SessionState.IDLE},
    SessionState.LOSS_PENDING: set(),
    SessionState.EXITING: set(),
}


@dataclass
class SessionLifecycle:
    """Tracks the session state and says which OpenXR calls each event requires.

    ``running`` is true between a successful xrBeginSession and xrEndSession;
    ``lost`` is set when the runtime announced it is going away; ``finished``
    once the frame loop must stop. ``history`` keeps every state entered, and
    ``unexpected`` any transition the specification does not allow (kept for
    diagnosis, never fatal: runtimes do skip states).
    """

    state: SessionState = SessionState.UNKNOWN
    running: bool = False
    exit_requested: bool = False
    lost: bool = False
    finished: bool = False
    history: list[SessionState] = field(default_factory=list)
    unexpected: list[tuple[SessionState, SessionState]] = field(default_factory=list)

    def on_state_changed(self, new: SessionState | int) -> list[Command]:
        """A XrEventDataSessionStateChanged arrived: enter ``new``, return the calls to make."""
        new = SessionState(new)
        if new != SessionState.LOSS_PENDING and new not in _ALLOWED[self.state]:
            self.unexpected.append((self.state, new))
        self.state = new
        self.history.append(new)
        if new == SessionState.READY:
            if self.exit_requested:
                # The user quit before the session started: begin so that
                # the runtime can take us through STOPPING properly.
                self.running = True
                return [Command.BEGIN_SESSION, Command.REQUEST_EXIT]
            self.running = True
            return [Command.BEGIN_SESSION]
        if new == SessionState.STOPPING:
            self.running = False
            return [Command.END_SESSION]
        if new == SessionState.EXITING:
            self.finished = True
            return [Command.EXIT]
        if new == SessionState.LOSS_PENDING:
            self.lost = True
            self.finished = True
            return [Command.END_SESSION, Command.EXIT] if self.running else [Command.EXIT]
        return []

    def on_instance_loss_pending(self) -> list[Command]:
        """XrEventDataInstanceLossPending: the runtime is going away; stop now."""
        self.lost = True
        self.finished = True
        return [Command.EXIT]

    def request_exit(self) -> list[Command]:
        """The user quit: ask the runtime to wind the session down (or just leave)."""
        if self.finished or (self.exit_requested and self.running):
            return []
        self.exit_requested = True
        if self.running:
            return [Command.REQUEST_EXIT]
        if self.state in (SessionState.UNKNOWN, SessionState.IDLE):
            # Not begun: nothing to wind down (IDLE may still go to READY,
            # which the READY branch above answers with begin + exit).
            self.finished = True
            return [Command.EXIT]
        return []

    @property
    def frames_wanted(self) -> bool:
        """True when the application must run xrWaitFrame/xrBeginFrame/xrEndFrame."""
        return self.running and self.state in _RUNNING_STATES

    @property
    def visible(self) -> bool:
        """True when rendered frames are shown (VISIBLE or FOCUSED)."""
        return self.state in (SessionState.VISIBLE, SessionState.FOCUSED)

    @property
    def focused(self) -> bool:
        """True when the application receives input (FOCUSED)."""
        return self.state == SessionState.FOCUSED
