"""The joint table follows XR_EXT_hand_tracking exactly."""

import numpy as np

from vrtrainer.hands import hand


def test_spec_order_and_names():
    assert hand.JOINT_COUNT == len(hand.JOINT_NAMES) == 26
    assert hand.JOINT_NAMES[0] == "palm" and hand.JOINT_NAMES[1] == "wrist"
    assert hand.JOINT_NAMES[2:6] == (
        "thumb_metacarpal",
        "thumb_proximal",
        "thumb_distal",
        "thumb_tip",
    )
    assert hand.JOINT_NAMES[6:11] == tuple(
        f"index_{p}" for p in ("metacarpal", "proximal", "intermediate", "distal", "tip")
    )
    for base, finger in zip((11, 16, 21), ("middle", "ring", "little")):
        assert hand.JOINT_NAMES[base] == f"{finger}_metacarpal"
        assert hand.JOINT_NAMES[base + 4] == f"{finger}_tip"


def test_parents_come_before_children_in_topological_order():
    order = hand.TOPOLOGICAL_ORDER
    assert sorted(order) == list(range(26))
    seen = set()
    for j in order:
        p = hand.PARENTS[j]
        assert p == -1 or p in seen, f"joint {j} visited before its parent {p}"
        seen.add(j)
    assert list(hand.PARENTS).count(-1) == 1 and hand.PARENTS[hand.WRIST] == -1


def test_bones_follow_fingers():
    assert len(hand.BONES) == 24
    for parent, child in hand.BONES:
        assert hand.PARENTS[child] == parent
        assert child != hand.PALM
    for f, joints in enumerate(hand.FINGERS):
        chain = [hand.WRIST, *joints]
        for a, b in zip(chain[:-1], chain[1:]):
            assert (a, b) in hand.BONES
        assert all(hand.JOINT_FINGER[j] == f for j in joints)
    assert hand.FINGERTIPS == (5, 10, 15, 20, 25)


def test_flags_are_xr_space_location_flags():
    assert (hand.ORIENTATION_VALID, hand.POSITION_VALID) == (1, 2)
    assert (hand.ORIENTATION_TRACKED, hand.POSITION_TRACKED) == (4, 8)
    flags = np.array([0, 1, 2, 3, 15], np.uint8)
    assert hand.position_valid(flags).tolist() == [False, False, True, True, True]
    assert hand.pose_valid(flags).tolist() == [False, False, False, True, True]


def test_quaternion_helpers_agree():
    rng = np.random.default_rng(1)
    q = rng.normal(size=(50, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    m = hand.quat_to_matrix(q)
    assert np.allclose(m @ np.swapaxes(m, -1, -2), np.eye(3), atol=1e-12)
    assert np.allclose(np.linalg.det(m), 1)
    back = hand.matrix_to_quat(m)
    assert np.allclose(np.abs(np.sum(back * q, axis=1)), 1, atol=1e-9)
    v = rng.normal(size=(50, 3))
    assert np.allclose(hand.quat_rotate(q, v), np.einsum("nij,nj->ni", m, v))


def test_mirror_keeps_joint_frame_conventions():
    rng = np.random.default_rng(2)
    q = rng.normal(size=(20, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    poses = np.concatenate([rng.normal(size=(20, 3)), q], axis=1)
    mirrored = hand.mirror_poses(poses)
    m = np.diag([-1.0, 1, 1])
    a = hand.joint_axes(poses)
    b = hand.joint_axes(mirrored)
    assert np.allclose(mirrored[:, :3], poses[:, :3] @ m)
    # +Y (back of hand) and +Z (along the bone) are reflected; the frame stays right-handed.
    assert np.allclose(b[:, :, 1], a[:, :, 1] @ m)
    assert np.allclose(b[:, :, 2], a[:, :, 2] @ m)
    assert np.allclose(np.linalg.det(b), 1)
    assert np.allclose(hand.mirror_poses(mirrored), poses)


def test_hand_length_ignores_curl():
    p = np.zeros((26, 3))
    chain = [hand.WRIST, *hand.FINGERS[2]]
    for k, j in enumerate(chain[1:], 1):
        p[j] = p[chain[k - 1]] + [0, 0, -0.04]
    straight = hand.hand_length(p)
    curled = p.copy()
    for j in hand.FINGERS[2][2:]:
        curled[j] = curled[hand.PARENTS[j]] + [0, -0.04, 0]
    assert np.isclose(straight, 0.2) and np.isclose(hand.hand_length(curled), 0.2)
