"""Hand joints from XR_EXT_hand_tracking into a :class:`vrtrainer.hands.hand.HandFrame`.

pyopenxr 1.1.6501's ``xr.locate_hand_joints_ext`` passes a NULL joint array, so
this module calls ``xrLocateHandJointsEXT`` through its function pointer with
its own 26-entry array per hand, allocated once. Numpy views over those arrays
copy the joints into the frame without allocating per frame.
"""

from __future__ import annotations

import ctypes

import numpy as np

from vrtrainer.hands.hand import HAND_COUNT, JOINT_COUNT, HandFrame
from vrtrainer.xr.instance import Instance
from vrtrainer.xr.pyopenxr import raise_on_error

# XrHandJointLocationEXT: flags (u64), pose (orientation xyzw, position xyz), radius.
_JOINT_DTYPE = np.dtype(
    [("flags", "<u8"), ("orientation", "<f4", 4), ("position", "<f4", 3), ("radius", "<f4")]
)


class HandTracking:
    """Two hand trackers (left, right) on a session, located into HandFrames."""

    def __init__(self, instance: Instance, session) -> None:
        xr = instance.xr
        self.xr = xr
        self._locate = instance.proc(
            "xrLocateHandJointsEXT",
            ctypes.CFUNCTYPE(
                xr.Result.ctype(), xr.HandTrackerEXT,
                ctypes.POINTER(xr.HandJointsLocateInfoEXT),
                ctypes.POINTER(xr.HandJointLocationsEXT),
            ),
        )  # fmt: skip
        self.trackers = [
            xr.create_hand_tracker_ext(
                session, xr.HandTrackerCreateInfoEXT(hand=hand, hand_joint_set=0)
            )
            for hand in (xr.HandEXT.LEFT, xr.HandEXT.RIGHT)
        ]
        self._arrays = [(xr.HandJointLocationEXT * JOINT_COUNT)() for _ in range(HAND_COUNT)]
        assert ctypes.sizeof(self._arrays[0]) == _JOINT_DTYPE.itemsize * JOINT_COUNT
        self._views = [np.frombuffer(a, dtype=_JOINT_DTYPE) for a in self._arrays]
        self._locations = [
            xr.HandJointLocationsEXT(joint_count=JOINT_COUNT, joint_locations=a)
            for a in self._arrays
        ]
        self._info = xr.HandJointsLocateInfoEXT()

    def locate(self, space, time: int, seconds: float, out: HandFrame) -> None:
        """Fill ``out`` with both hands' joints in ``space`` at XrTime ``time``.

        A hand the runtime does not track comes back inactive with all flags
        zero; its poses are left as they were and must not be used.
        """
        self._info.base_space = space
        self._info.time = time
        out.time = seconds
        for h in range(HAND_COUNT):
            loc = self._locations[h]
            loc.is_active = 0
            result = self._locate(self.trackers[h], ctypes.byref(self._info), ctypes.byref(loc))
            raise_on_error(result)
            view = self._views[h]
            active = bool(loc.is_active)
            out.active[h] = active
            if not active:
                out.flags[h] = 0
                continue
            out.flags[h] = view["flags"]
            out.poses[h, :, 0:3] = view["position"]
            out.poses[h, :, 3:7] = view["orientation"]
            out.radii[h] = view["radius"]

    def destroy(self) -> None:
        for tracker in self.trackers:
            try:
                self.xr.destroy_hand_tracker_ext(tracker)
            except self.xr.XrException:
                pass  # the runtime is gone; the handle went with it
        self.trackers = []
