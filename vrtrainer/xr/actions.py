"""Controllers through the OpenXR action system: poses, trigger, squeeze, buttons.

One action set with grip and aim poses, trigger and squeeze values per hand,
and three commands (next step, retry, quit). Bindings are suggested for the
common controllers and for hands (XR_EXT_hand_interaction), so the runtime
maps whatever the trainee holds. Controllers serve as tools (a torch or spray
gun follows the grip pose of the hand that holds it, its trigger is the tool's
trigger) and as the trainee's buttons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vrtrainer.hands.hand import HAND_COUNT, POSE_SIZE
from vrtrainer.xr.instance import HAND_INTERACTION, Instance

HAND_PATHS = ("/user/hand/left", "/user/hand/right")

#: Commands the trainee gives with buttons; reported once per press.
COMMANDS = ("next", "retry", "quit")

_POSE_ACTIONS = ("grip_pose", "aim_pose")
_FLOAT_ACTIONS = ("trigger", "squeeze")

_TRACKED = "/user/hand/{h}/input/grip/pose", "/user/hand/{h}/input/aim/pose"

#: Suggested bindings per interaction profile: (action, hands, input path);
#: ``{h}`` stands for left/right. next/retry on the right hand's face buttons,
#: quit on the left hand's menu (or B on Index, which has no menu button).
BINDINGS: dict[str, list[tuple[str, tuple[str, ...], str]]] = {
    "/interaction_profiles/khr/simple_controller": [
        ("trigger", ("left", "right"), "/user/hand/{h}/input/select/click"),
        ("next", ("right",), "/user/hand/{h}/input/menu/click"),
        ("quit", ("left",), "/user/hand/{h}/input/menu/click"),
    ],
    "/interaction_profiles/oculus/touch_controller": [
        ("trigger", ("left", "right"), "/user/hand/{h}/input/trigger/value"),
        ("squeeze", ("left", "right"), "/user/hand/{h}/input/squeeze/value"),
        ("next", ("right",), "/user/hand/{h}/input/a/click"),
        ("retry", ("right",), "/user/hand/{h}/input/b/click"),
        ("quit", ("left",), "/user/hand/{h}/input/menu/click"),
    ],
    "/interaction_profiles/valve/index_controller": [
        ("trigger", ("left", "right"), "/user/hand/{h}/input/trigger/value"),
        ("squeeze", ("left", "right"), "/user/hand/{h}/input/squeeze/value"),
        ("next", ("right",), "/user/hand/{h}/input/a/click"),
        ("retry", ("right",), "/user/hand/{h}/input/b/click"),
        ("quit", ("left",), "/user/hand/{h}/input/b/click"),
    ],
    "/interaction_profiles/ext/hand_interaction_ext": [
        ("trigger", ("left", "right"), "/user/hand/{h}/input/pinch_ext/value"),
        ("squeeze", ("left", "right"), "/user/hand/{h}/input/grasp_ext/value"),
    ],
}
_NEEDS_EXTENSION = {"/interaction_profiles/ext/hand_interaction_ext": HAND_INTERACTION}


@dataclass(frozen=True)
class ToolBinding:
    """A tool (e.g. "spray_gun", "torch") held in one hand: it follows that grip pose."""

    name: str
    hand: int  # vrtrainer.hands.hand.LEFT or RIGHT


class Controllers:
    """Per-frame controller state, in arrays reused from frame to frame.

    ``grip``/``aim`` (2, 7) poses with ``grip_flags``/``aim_flags`` (2,)
    XrSpaceLocationFlags, ``trigger``/``squeeze`` (2,) in [0, 1];
    ``tool_poses`` (K, 7), ``tool_flags`` (K,), ``tool_trigger`` (K,) for the
    configured tools; ``commands`` the commands pressed since the last sync.
    """

    def __init__(self, tools: tuple[ToolBinding, ...]) -> None:
        self.tools = tools
        self.grip = np.zeros((HAND_COUNT, POSE_SIZE), np.float32)
        self.aim = np.zeros((HAND_COUNT, POSE_SIZE), np.float32)
        self.grip_flags = np.zeros(HAND_COUNT, np.uint8)
        self.aim_flags = np.zeros(HAND_COUNT, np.uint8)
        self.trigger = np.zeros(HAND_COUNT, np.float32)
        self.squeeze = np.zeros(HAND_COUNT, np.float32)
        self.tool_poses = np.zeros((len(tools), POSE_SIZE), np.float32)
        self.tool_flags = np.zeros(len(tools), np.uint8)
        self.tool_trigger = np.zeros(len(tools), np.float32)
        self.commands: list[str] = []
        self.profiles: list[str] = ["", ""]


class ActionSystem:
    """The action set, its suggested bindings, action spaces and per-frame reads."""

    def __init__(self, instance: Instance, tools: tuple[ToolBinding, ...] = ()) -> None:
        xr = instance.xr
        self.xr = xr
        self.instance = instance
        self.hand_paths = [instance.path(p) for p in HAND_PATHS]
        self.action_set = xr.create_action_set(
            instance.handle,
            xr.ActionSetCreateInfo(
                action_set_name="vrtrainer", localized_action_set_name="vrtrainer", priority=0
            ),
        )
        types = {
            **{n: xr.ActionType.POSE_INPUT for n in _POSE_ACTIONS},
            **{n: xr.ActionType.FLOAT_INPUT for n in _FLOAT_ACTIONS},
            **{n: xr.ActionType.BOOLEAN_INPUT for n in COMMANDS},
        }
        subpaths = (xr.Path * HAND_COUNT)(*self.hand_paths)
        self.actions = {
            name: xr.create_action(
                self.action_set,
                xr.ActionCreateInfo(
                    action_type=kind,
                    action_name=name,
                    localized_action_name=name.replace("_", " "),
                    count_subaction_paths=HAND_COUNT,
                    subaction_paths=subpaths,
                ),
            )
            for name, kind in types.items()
        }
        #: Profiles whose bindings the runtime took, and refusals (profile -> reason).
        self.suggested: list[str] = []
        self.refused: dict[str, str] = {}
        self._suggest_all()
        self.state = Controllers(tools)
        self.session = None
        self._get_infos = {
            (name, h): xr.ActionStateGetInfo(action=self.actions[name], subaction_path=path)
            for name in self.actions
            for h, path in enumerate(self.hand_paths)
        }

    def _suggest_all(self) -> None:
        xr = self.xr
        for profile, rows in BINDINGS.items():
            ext = _NEEDS_EXTENSION.get(profile)
            if ext and not self.instance.has(ext):
                self.refused[profile] = f"needs {ext}"
                continue
            pairs = [
                (name, path.format(h=h))
                for name, path in zip(_POSE_ACTIONS, _TRACKED, strict=True)
                for h in ("left", "right")
            ]
            pairs += [(name, path.format(h=h)) for name, hands, path in rows for h in hands]
            suggested = (xr.ActionSuggestedBinding * len(pairs))(
                *(
                    xr.ActionSuggestedBinding(self.actions[n], self.instance.path(p))
                    for n, p in pairs
                )
            )
            try:
                xr.suggest_interaction_profile_bindings(
                    self.instance.handle,
                    xr.InteractionProfileSuggestedBinding(
                        interaction_profile=self.instance.path(profile),
                        count_suggested_bindings=len(pairs),
                        suggested_bindings=suggested,
                    ),
                )
                self.suggested.append(profile)
            except xr.XrException as exc:
                self.refused[profile] = type(exc).__name__

    def attach(self, session) -> None:
        """Attach the action set to ``session`` and create the pose spaces."""
        xr = self.xr
        self.session = session
        xr.attach_session_action_sets(
            session, xr.SessionActionSetsAttachInfo(action_sets=[self.action_set])
        )
        self.spaces = {
            (name, h): xr.create_action_space(
                session,
                xr.ActionSpaceCreateInfo(
                    action=self.actions[name],
                    subaction_path=self.hand_paths[h],
                    pose_in_action_space=xr.Posef(),
                ),
            )
            for name in _POSE_ACTIONS
            for h in range(HAND_COUNT)
        }
        self._sync_info = xr.ActionsSyncInfo(
            active_action_sets=[xr.ActiveActionSet(self.action_set, xr.NULL_PATH)]
        )

    def update(self, base_space, time: int, focused: bool) -> Controllers:
        """Sync actions and read poses (in ``base_space`` at ``time``) and inputs.

        Input is only read while the session is focused; without focus the
        values fall to zero and no command fires.
        """
        xr = self.xr
        s = self.state
        s.commands.clear()
        for h in range(HAND_COUNT):
            for name, pose, flags in (("grip_pose", s.grip, s.grip_flags),
                                      ("aim_pose", s.aim, s.aim_flags)):  # fmt: skip
                loc = xr.locate_space(self.spaces[name, h], base_space, time)
                flags[h] = int(loc.location_flags) & 0xF
                p = loc.pose
                pose[h, 0:3] = (p.position.x, p.position.y, p.position.z)
                pose[h, 3:7] = (p.orientation.x, p.orientation.y, p.orientation.z,
                                p.orientation.w)  # fmt: skip
        if focused:
            xr.sync_actions(self.session, self._sync_info)
            for h in range(HAND_COUNT):
                s.trigger[h] = self._float("trigger", h)
                s.squeeze[h] = self._float("squeeze", h)
            for name in COMMANDS:
                for h in range(HAND_COUNT):
                    st = xr.get_action_state_boolean(self.session, self._get_infos[name, h])
                    if st.is_active and st.changed_since_last_sync and st.current_state:
                        s.commands.append(name)
                        break
        else:
            s.trigger[:] = 0
            s.squeeze[:] = 0
        for k, tool in enumerate(s.tools):
            s.tool_poses[k] = s.grip[tool.hand]
            s.tool_flags[k] = s.grip_flags[tool.hand]
            s.tool_trigger[k] = s.trigger[tool.hand]
        return s

    def _float(self, name: str, hand: int) -> float:
        st = self.xr.get_action_state_float(self.session, self._get_infos[name, hand])
        return float(st.current_state) if st.is_active else 0.0

    def current_profiles(self) -> list[str]:
        """The interaction profile bound to each hand now ('' when none)."""
        xr = self.xr
        out = []
        for path in self.hand_paths:
            state = xr.get_current_interaction_profile(self.session, path)
            if state.interaction_profile == xr.NULL_PATH:
                out.append("")
                continue
            out.append(xr.path_to_string(self.instance.handle, state.interaction_profile))
        self.state.profiles = out
        return out

    def destroy(self) -> None:
        xr = self.xr
        try:
            for space in getattr(self, "spaces", {}).values():
                xr.destroy_space(space)
            xr.destroy_action_set(self.action_set)
        except xr.XrException:
            pass  # the runtime is gone and took the handles with it
