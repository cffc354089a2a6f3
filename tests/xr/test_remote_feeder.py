"""The remote driver's packet layout, checked against the running Monado."""

from __future__ import annotations

import struct

import pytest

from vrtrainer.xr.remote_feeder import PACKET_SIZE, RemoteController, RemoteData, RemoteFeederError


def test_runtime_state_decodes_with_our_layout(feeder):
    # Monado 25 starts the remote hands at (+-0.2, 1.3, -0.5), head at y 1.6,
    # both active: any offset error in our struct would scramble these.
    state = feeder.initial
    assert state.head[:3] == pytest.approx((0.0, 1.6, 0.0))
    assert state.head[3:] == pytest.approx((0, 0, 0, 1))
    assert state.left.pose[:3] == pytest.approx((-0.2, 1.3, -0.5))
    assert state.right.pose[:3] == pytest.approx((0.2, 1.3, -0.5))
    assert state.left.pose[6] == pytest.approx(1.0)
    assert state.left.active and state.left.hand_tracking_active
    assert state.right.active and state.right.hand_tracking_active
    assert state.right.curls == (0, 0, 0, 0, 0)
    assert not state.per_view_data_valid


def test_pack_unpack_round_trip():
    data = RemoteData(
        head=(0.1, 1.7, 0.2, 0.0, 0.38268343, 0.0, 0.9238795),
        left=RemoteController(curls=(0.1, 0.2, 0.3, 0.4, 0.5), trigger=0.75,
                              buttons={"a_click": True}, hand_tracking_active=False),
        right=RemoteController(pose=(0.3, 1.2, -0.4, 0, 0, 0, 1), squeeze=0.5, active=False),
    )  # fmt: skip
    raw = data.pack()
    assert len(raw) == PACKET_SIZE
    back = RemoteData.unpack(raw)
    assert back.head == pytest.approx(data.head)
    assert back.left.curls == pytest.approx(data.left.curls)
    assert back.left.buttons == {"a_click": True}
    assert back.left.trigger == 0.75 and not back.left.hand_tracking_active
    assert back.right.pose == pytest.approx(data.right.pose) and not back.right.active
    # Monado's wire order for curls is little, ring, middle, index, thumb.
    wire = RemoteData(left=RemoteController(curls=(5, 4, 3, 2, 1))).pack()
    assert struct.unpack_from("<5f", wire, 188) == (1, 2, 3, 4, 5)


def test_refuses_foreign_packets():
    with pytest.raises(RemoteFeederError, match="header"):
        RemoteData.unpack(b"mndrmt1\0" + bytes(PACKET_SIZE - 8))
    with pytest.raises(RemoteFeederError, match="bytes"):
        RemoteData.unpack(bytes(10))
    with pytest.raises(RemoteFeederError, match="button"):
        RemoteData(left=RemoteController(buttons={"x_click": True})).pack()
