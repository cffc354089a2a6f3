"""Simulated hands: OpenXR joint conventions, hand size, determinism and every flaw."""

import numpy as np
import pytest

from vrtrainer.errors import VrtrainerError
from vrtrainer.hands.hand import (
    FINGERS,
    FINGERTIPS,
    JOINT_INDEX,
    LEFT,
    PALM,
    RIGHT,
    WRIST,
    bone_lengths,
    hand_length,
    quat_to_matrix,
)
from vrtrainer.hands.kinematics import (
    DEFAULT_HAND_LENGTH,
    HandShape,
    finger_angles,
    make_pose,
    orientation,
    pose_hand,
    relative_pose,
)
from vrtrainer.hands.sim import (
    FLAW_NAMES,
    GESTURES,
    Flaw,
    Gesture,
    Grip,
    Keyframe,
    parse_flaw,
    simulate,
    wrist_for_tool,
)
from vrtrainer.takes.take import load_take, save_take

HANDS = {"right": RIGHT, "left": LEFT}


def axes(poses):
    """World axes (..., 3, 3), columns X, Y, Z, of joint poses (..., 7)."""
    return quat_to_matrix(np.asarray(poses, np.float64)[..., 3:7])


def unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def wrist_local(poses):
    """Joint positions (T, 26, 3) in each frame's wrist frame."""
    p = np.asarray(poses, np.float64)
    r = axes(p[:, WRIST])
    return np.einsum("tji,tkj->tki", r, p[:, :, :3] - p[:, WRIST, None, :3])


def bone_pairs():
    """(joint, child) pairs where the child lies along the joint's -Z, and tips."""
    pairs = [(WRIST, FINGERS[2][0]), (PALM, FINGERS[2][1])]
    for finger in FINGERS:
        pairs += list(zip(finger[:-1], finger[1:]))
    return pairs


def used_hand(take):
    return RIGHT if take.meta.handedness == "right" else LEFT


# --- conventions --------------------------------------------------------------


@pytest.mark.parametrize("hand", ["right", "left"])
@pytest.mark.parametrize("name", sorted(GESTURES))
def test_joint_frames_follow_openxr_conventions(name, hand):
    take = simulate(name, hand=hand, seed=4)
    hands = np.flatnonzero(take.active[0])
    assert len(hands) == len(GESTURES[name].hands)
    for h in hands:
        p = take.poses[:, h].astype(np.float64)
        r = axes(p)
        # -Z of a joint points at its child along the bone.
        for joint, child in bone_pairs():
            along = unit(p[:, child, :3] - p[:, joint, :3])
            assert np.min(np.sum(-r[:, joint, :, 2] * along, -1)) > 0.99, (joint, child)
        # A tip takes its distal phalanx's direction.
        for tip in FINGERTIPS:
            along = unit(p[:, tip, :3] - p[:, tip - 1, :3])
            assert np.min(np.sum(-r[:, tip, :, 2] * along, -1)) > 0.99
        # +Y is out of the back of the hand: the metacarpals agree with the
        # palm, and every finger curls towards its joints' -Y (palmar) side.
        back = r[:, PALM, :, 1]
        for finger in FINGERS[1:]:
            assert np.min(np.sum(r[:, finger[0], :, 1] * back, -1)) > 0.9
        assert np.min(np.sum(r[:, WRIST, :, 1] * back, -1)) > 0.99
        curl = []
        for finger in FINGERS:
            for a, b, c in zip(finger, finger[1:], finger[2:]):
                bend = np.sum(r[:, a, :, 1] * unit(p[:, c, :3] - p[:, b, :3]), -1)
                assert np.max(bend) < 0.15, (name, a)
                curl.append(bend)
        # Frames are right-handed rotations and X is the cross product Y x Z.
        assert np.allclose(np.cross(r[..., 1], r[..., 2]), r[..., 0], atol=1e-5)
    # The thumb is on the thumb side: -X in a right wrist's frame, +X in a left's.
    local = wrist_local(take.poses[:, hands[-1]])
    expected = 1.0 if hands[-1] == LEFT else -1.0
    assert np.all(np.sign(local[:, JOINT_INDEX["thumb_metacarpal"], 0]) == expected)


def test_flat_hand_has_every_y_axis_out_of_the_back():
    shape = HandShape.from_length(0.18)
    for side in ("right", "left"):
        p = pose_hand(
            shape, make_pose((0, 1, -0.3), orientation("Y", (30,))), np.zeros((5, 4)), side=side
        )
        r = axes(p)
        assert np.all(r[:, :, 1] @ r[PALM, :, 1] > 0.5)


def test_left_hand_palm_down_has_its_thumb_to_the_right():
    shape = HandShape.from_length(DEFAULT_HAND_LENGTH)
    identity = np.array([0, 0, 0, 0, 0, 0, 1.0])
    right = pose_hand(shape, identity, finger_angles(), side="right")
    left = pose_hand(shape, identity, finger_angles(), side="left")
    tip = JOINT_INDEX["thumb_tip"]
    assert right[tip, 0] < -0.03 and left[tip, 0] > 0.03
    assert np.allclose(left[:, :3], right[:, :3] * [-1, 1, 1])
    # Both hands' fingers point forwards (-Z) with the back of the hand up.
    assert np.all(left[FINGERTIPS[1:], 2] < -0.1)
    assert axes(left[PALM])[1, 1] > 0.99


def test_pose_hand_batch_equals_single_frames():
    take = simulate("grab", seed=2)
    shape = HandShape.from_length(DEFAULT_HAND_LENGTH)
    rng = np.random.default_rng(1)
    angles = rng.uniform(0, 60, (5, 5, 4))
    wrists = take.poses[:5, RIGHT, WRIST].astype(np.float64)
    batch = pose_hand(shape, wrists, angles)
    for i in range(5):
        assert np.allclose(pose_hand(shape, wrists[i], angles[i]), batch[i], atol=1e-12)


@pytest.mark.parametrize("length", [0.16, DEFAULT_HAND_LENGTH, 0.21])
def test_hand_length_and_radii_match_the_requested_hand(length):
    take = simulate("grab", hand_length=length, seed=1)
    p = take.poses[:, RIGHT, :, :3]
    assert np.allclose(hand_length(p), length, atol=2e-5)
    lengths = bone_lengths(p)
    assert np.allclose(lengths, lengths[0], atol=2e-5)  # bones are rigid
    radii = take.radii[0, RIGHT] * DEFAULT_HAND_LENGTH / length
    assert np.all((radii > 0.005) & (radii < 0.015))
    for finger in FINGERS:
        assert radii[finger[-1]] < radii[finger[-2]]  # tips are thinner
    with pytest.raises(VrtrainerError, match="hand length"):
        simulate("grab", hand_length=0.5)


def test_takes_are_valid_unit_and_round_trip(tmp_path):
    take = simulate("screw", role="trainee", flaws=["dropout=0.1", "jitter=2"], seed=5)
    assert take.meta.source == "simulator" and take.meta.synthetic
    assert take.meta.role == "trainee" and take.meta.nominal_rate == 90.0
    assert "dropout=0.1" in take.meta.notes and "jitter=2" in take.meta.notes
    assert np.all(np.diff(take.times) > 0)
    for q in (take.poses[..., 3:], take.tools[..., 3:], take.head[..., 3:]):
        assert np.max(np.abs(np.linalg.norm(q.astype(np.float64), axis=-1) - 1)) < 1e-5
    assert np.all(np.isfinite(take.poses))
    back = load_take(save_take(take, tmp_path / "t.vrtake"))
    assert np.array_equal(back.poses, take.poses) and back.tool_names == ("screwdriver",)


def test_same_seed_same_take_and_other_seeds_differ():
    flaws = ["warp=0.3", "jitter=3", "dropout=0.2", "tremor=2", "wrong-finger"]
    a = simulate("wave", role="trainee", flaws=flaws, seed=11)
    b = simulate("wave", role="trainee", flaws=flaws, seed=11)
    for name in ("times", "poses", "radii", "flags", "active", "head"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.meta.extra == b.meta.extra
    c = simulate("wave", role="trainee", flaws=flaws, seed=12)
    assert a.n_frames != c.n_frames or not np.array_equal(a.poses, c.poses)
    experts = [simulate("pinch", seed=s) for s in range(4)]
    durations = {e.n_frames for e in experts}
    assert len(durations) > 1  # timing varies from take to take
    paths = [e.poses[:, RIGHT, WRIST, :3] for e in experts]
    # ...and so does the path, by millimetres to a few centimetres, not more.
    gap = np.linalg.norm(paths[0][0] - paths[1][0])
    assert 0.0005 < gap < 0.05


def test_rate_changes_sampling_not_motion():
    slow_rate = simulate("point", seed=3, rate=30)
    fast_rate = simulate("point", seed=3, rate=120)
    assert abs(slow_rate.duration - fast_rate.duration) <= 1 / 30
    assert np.allclose(
        slow_rate.poses[::1, RIGHT, :, :3],
        fast_rate.poses[::4, RIGHT, :, :3][: slow_rate.n_frames],
        atol=1e-6,
    )


def test_motion_is_smooth_at_any_rate():
    take = simulate("wave", seed=2, rate=1000)
    p = take.poses[:, RIGHT, :, :3].astype(np.float64)
    v = np.diff(p, axis=0) * 1000
    # C1 interpolation: velocity changes by little from one millisecond to the next.
    assert np.max(np.linalg.norm(np.diff(v, axis=0), axis=-1)) < 0.05
    # Orientations turn smoothly and keep their sign from frame to frame.
    q = take.poses[:, RIGHT, :, 3:].astype(np.float64)
    assert np.min(np.sum(q[1:] * q[:-1], -1)) > 0.9999


# --- the gestures do what their names say ----------------------------------


def distance(take, a, b, hand=RIGHT):
    p = take.poses[:, hand, :, :3].astype(np.float64)
    return np.linalg.norm(p[:, JOINT_INDEX[a]] - p[:, JOINT_INDEX[b]], axis=-1)


@pytest.mark.parametrize("seed", range(6))
def test_pinch_brings_thumb_and_index_tips_together(seed):
    take = simulate("pinch", seed=seed)
    d = distance(take, "thumb_tip", "index_tip")
    assert d[0] > 0.04 and 0.003 < d.min() < 0.02


@pytest.mark.parametrize("seed", range(6))
def test_clap_brings_palms_together_facing_each_other(seed):
    take = simulate("clap", seed=seed)
    p = take.poses[:, :, PALM]
    gap = np.linalg.norm(p[:, LEFT, :3] - p[:, RIGHT, :3], axis=-1)
    # Palm joints sit inside the palm, ~13 mm from the skin: contact is ~26 mm.
    assert 0.018 < gap.min() < 0.04 and gap.max() > 0.25
    close = gap < 0.08
    palm_normals = -axes(p)[..., 1]  # -Y is the palm side
    facing = np.sum(palm_normals[close, LEFT] * palm_normals[close, RIGHT], -1)
    assert np.all(facing < -0.8)


def test_point_extends_the_index_and_curls_the_others():
    take = simulate("point", seed=0)
    mid = take.n_frames // 2
    p = take.poses[mid, RIGHT, :, :3].astype(np.float64)
    index = FINGERS[1]
    straight = np.linalg.norm(p[index[-1]] - p[index[1]])
    along = np.sum(np.linalg.norm(np.diff(p[list(index[1:])], axis=0), axis=-1))
    assert straight > 0.95 * along
    for finger in FINGERS[2:]:
        assert np.linalg.norm(p[finger[-1]] - p[finger[1]]) < 0.6 * np.sum(
            np.linalg.norm(np.diff(p[list(finger[1:])], axis=0), axis=-1)
        )


def test_wave_shows_the_palm_forwards_and_swings():
    take = simulate("wave", seed=0)
    r = axes(take.poses[:, RIGHT, PALM])
    palm_out = -r[:, :, 1]
    mid = slice(take.n_frames // 3, 2 * take.n_frames // 3)
    assert np.all(palm_out[mid] @ np.array([0, 0, -1.0]) > 0.7)
    fingers_up = -r[mid, :, 2]
    sideways = fingers_up[:, 0]
    assert sideways.max() > 0.25 and sideways.min() < -0.2


def test_screwdriver_stays_in_the_hand():
    take = simulate("screw", seed=1)
    tool, flags = take.tool_pose("screwdriver")
    rel = relative_pose(take.poses[:, RIGHT, WRIST].astype(np.float64), tool.astype(np.float64))
    assert np.allclose(rel[:, :3], rel[0, :3], atol=1e-5)
    assert np.all(flags == 15)
    # The shaft turns about its own axis (-Z of the tool stays put).
    shaft = -axes(tool)[:, :, 2]
    assert np.all(shaft @ shaft[0] > 0.97)
    spin = axes(tool)[:, :, 0] @ axes(tool)[0, :, 0]
    assert spin.min() < 0.4


# --- flaws --------------------------------------------------------------------


@pytest.fixture(scope="module")
def expert():
    return simulate("pinch", seed=7)


def trainee(*flaws, gesture="pinch", seed=7, **kw):
    return simulate(gesture, role="trainee", flaws=flaws, seed=seed, **kw)


def test_clean_trainee_equals_the_expert(expert):
    t = trainee()
    assert np.array_equal(t.poses, expert.poses) and t.meta.role == "trainee"


@pytest.mark.parametrize(
    "flaw,factor", [("slow=1.5", 1.5), ("slow=2", 2.0), ("fast=1.5", 1 / 1.5), ("fast=1.25", 0.8)]
)
def test_tempo_flaws_scale_the_duration(expert, flaw, factor):
    t = trainee(flaw)
    assert abs(t.duration - factor * expert.duration) <= 1.5 / 90
    # Same motion, other pace: first and last poses agree.
    assert np.allclose(t.poses[0], expert.poses[0], atol=1e-6)
    assert np.allclose(t.poses[-1, RIGHT, :, :3], expert.poses[-1, RIGHT, :, :3], atol=0.003)


def test_warp_keeps_the_path_but_not_the_timing(expert):
    t = trainee("warp=0.5")
    assert abs(t.duration - expert.duration) <= 1 / 90
    dense = simulate("pinch", seed=7, rate=1000).poses[:, RIGHT, 10, :3]
    tip = t.poses[:, RIGHT, 10, :3]
    gaps = np.min(np.linalg.norm(tip[:, None] - dense[None], axis=-1), axis=1)
    assert gaps.max() < 0.002  # on the expert's path
    off = np.linalg.norm(tip - expert.poses[:, RIGHT, 10, :3], axis=-1)
    assert off.max() > 0.01  # but elsewhere on it at the same instant


def test_jitter_adds_noise_of_the_given_size(expert):
    t = trainee("jitter=4")
    noise = (t.poses[..., :3] - expert.poses[..., :3])[:, RIGHT].astype(np.float64)
    rms = np.sqrt(np.mean(np.sum(noise**2, axis=-1)))
    assert 0.0036 < rms < 0.0044
    assert np.array_equal(t.poses[:, LEFT], expert.poses[:, LEFT])  # unused hand untouched


@pytest.mark.parametrize("fraction", [0.05, 0.2, 0.5])
def test_dropout_clears_flags_for_about_the_fraction(expert, fraction):
    t = trainee(f"dropout={fraction}")
    flags = t.flags[:, RIGHT]
    lost = flags == 0
    assert abs(lost.mean() - fraction) < 0.02
    assert np.all(np.isin(flags, [0, 15]))
    # A hand reported inactive has no valid joint; invalid data stays finite.
    inactive = ~t.active[:, RIGHT]
    assert np.all(flags[inactive] == 0)
    assert np.all(np.isfinite(t.poses))
    # Whatever is flagged valid is the true pose, never a stale one.
    valid = ~lost
    assert np.array_equal(t.poses[:, RIGHT][valid], expert.poses[:, RIGHT][valid])
    if fraction >= 0.2:
        assert inactive.any()
        stale = lost & ~np.all(t.poses[:, RIGHT] == expert.poses[:, RIGHT], axis=-1)
        assert stale.any()  # invalid joints hold old data, flagged as such


def test_wrong_finger_changes_only_that_finger(expert):
    t = trainee("wrong-finger=35", seed=7)
    info = t.meta.extra["flaws"][0]
    finger = FINGERS[("thumb", "index", "middle", "ring", "little").index(info["finger"])]
    diff = np.linalg.norm(
        wrist_local(t.poses[:, RIGHT]) - wrist_local(expert.poses[:, RIGHT]), axis=-1
    )
    others = [j for j in range(26) if j not in finger]
    assert diff[:, others].max() < 1e-5
    inside = (t.times > info["start"] + 0.2) & (t.times < info["end"] - 0.2)
    outside = (t.times < info["start"]) | (t.times > info["end"])
    assert diff[inside][:, finger[-1]].min() > 0.01
    assert diff[outside].max() < 1e-5
    assert abs(info["degrees"]) == 35


def test_wrong_finger_picks_various_fingers():
    fingers = {trainee("wrong-finger", seed=s).meta.extra["flaws"][0]["finger"] for s in range(12)}
    assert len(fingers) >= 3


def test_skip_phase_shortens_and_drops_a_phase(expert):
    t = trainee("skip-phase")
    info = t.meta.extra["flaws"][0]
    assert info["phase"] in {label for label, _ in GESTURES["pinch"].phases()[1:-1]}
    assert t.duration < expert.duration - 0.2
    assert abs(t.duration - (expert.duration - info["seconds_removed"])) < 1.5 / 90
    assert np.allclose(t.poses[0], expert.poses[0])


def test_skip_phase_needs_an_interior_phase():
    keys = GESTURES["pinch"].keyframes
    two = Gesture("two", (keys[0], keys[-1]))
    with pytest.raises(VrtrainerError, match="no interior phase"):
        simulate(two, role="trainee", flaws=["skip-phase"])


def test_tremor_shakes_the_whole_hand_at_8_to_12_hz(expert):
    t = simulate("pinch", role="trainee", flaws=["tremor=3"], seed=7, rate=200)
    base = simulate("pinch", seed=7, rate=200)
    shift = (t.poses[:, RIGHT, :, :3] - base.poses[:, RIGHT, :, :3]).astype(np.float64)
    assert np.allclose(shift, shift[:, :1], atol=2e-6)  # rigid: every joint moves alike
    amplitude = np.linalg.norm(shift[:, 0], axis=-1)
    assert 0.002 < amplitude.max() < 0.005
    spectrum = np.abs(np.fft.rfft(shift[:, 0, :] - shift[:, 0, :].mean(0), axis=0)).sum(1)
    freqs = np.fft.rfftfreq(t.n_frames, 1 / 200)
    assert 8.0 <= freqs[np.argmax(spectrum)] <= 12.0


@pytest.mark.parametrize("scale", [0.8, 1.25])
def test_hand_size_scales_the_bones(expert, scale):
    t = trainee(f"hand-size={scale}")
    ratio = bone_lengths(t.poses[:, RIGHT, :, :3]) / bone_lengths(expert.poses[:, RIGHT, :, :3])
    assert np.allclose(ratio, scale, atol=2e-4)
    assert np.allclose(t.poses[:, RIGHT, WRIST], expert.poses[:, RIGHT, WRIST])


def test_mirror_is_the_left_hand_doing_it(expert):
    t = trainee("mirror")
    assert t.meta.handedness == "left"
    assert np.all(t.active[:, LEFT]) and not np.any(t.active[:, RIGHT])
    assert np.all(t.flags[:, RIGHT] == 0) and np.all(t.flags[:, LEFT] == 15)
    mirrored = expert.poses[:, RIGHT].astype(np.float64)
    assert np.allclose(t.poses[:, LEFT, :, :3], mirrored[..., :3] * [-1, 1, 1], atol=1e-6)
    thumb = JOINT_INDEX["thumb_tip"]
    assert np.all(wrist_local(t.poses[:, LEFT])[:, thumb, 0] > 0)
    assert np.all(wrist_local(expert.poses[:, RIGHT])[:, thumb, 0] < 0)
    # hand='left' asks for the same thing; mirroring a left-handed take gives the right.
    left = simulate("pinch", hand="left", seed=7)
    assert np.array_equal(left.poses, t.poses) and left.meta.handedness == "left"
    back = simulate("pinch", role="trainee", flaws=["mirror"], hand="left", seed=7)
    assert np.array_equal(back.poses, expert.poses) and back.meta.handedness == "right"


def test_mirror_swaps_two_handed_roles():
    base = simulate("clap", seed=3)
    t = simulate("clap", role="trainee", flaws=["mirror", "wrong-finger"], seed=3)
    info = t.meta.extra["flaws"][-1]
    changed = HANDS[info["hand"]]
    # The untouched hand is the mirror image of the other hand of the original.
    same = 1 - changed
    assert np.allclose(
        t.poses[:, same, :, :3], base.poses[:, 1 - same, :, :3] * [-1, 1, 1], atol=1e-6
    )


def test_mirrored_tool_stays_in_the_other_hand():
    t = simulate("screw", role="trainee", flaws=["mirror"], seed=1)
    tool, _ = t.tool_pose("screwdriver")
    rel = relative_pose(t.poses[:, LEFT, WRIST].astype(np.float64), tool.astype(np.float64))
    assert np.allclose(rel, rel[0], atol=1e-4)
    assert np.all(t.active[:, LEFT])


# --- input checking --------------------------------------------------------------


@pytest.mark.parametrize(
    "text,name,amount",
    [
        ("slow=1.5", "slow", 1.5),
        ("fast", "fast", 1.5),
        ("Jitter=2", "jitter", 2.0),
        ("wrong-finger", "wrong-finger", 40.0),
        ("wrong-finger=20", "wrong-finger", 20.0),
        ("skip-phase", "skip-phase", None),
        ("mirror", "mirror", None),
        ("hand-size=0.8", "hand-size", 0.8),
        ("dropout=0.25", "dropout", 0.25),
    ],
)
def test_parse_flaw(text, name, amount):
    flaw = parse_flaw(text)
    assert flaw == Flaw(name, amount)
    assert parse_flaw(str(flaw)) == flaw


@pytest.mark.parametrize(
    "text,message",
    [
        ("slowly=2", "unknown flaw"),
        ("slow=abc", "not a number"),
        ("slow=0.5", "outside"),
        ("fast=1", "outside"),
        ("dropout=1.5", "outside"),
        ("jitter=-1", "outside"),
        ("mirror=2", "takes no amount"),
        ("skip-phase=1", "takes no amount"),
        ("tremor=nan", "outside"),
        ("hand-size=3", "outside"),
        ("warp=0", "outside"),
    ],
)
def test_bad_flaws_are_refused(text, message):
    with pytest.raises(VrtrainerError, match=message):
        parse_flaw(text)


def test_every_flaw_name_parses_alone():
    for name in FLAW_NAMES:
        take = simulate("clap", role="trainee", flaws=[name], seed=1)
        assert name in take.meta.notes


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"gesture": "juggle"}, "unknown gesture"),
        ({"role": "master"}, "role"),
        ({"flaws": ["slow=2"]}, "expert take has no flaws"),
        ({"role": "trainee", "flaws": ["slow", "slow=2"]}, "twice"),
        ({"role": "trainee", "flaws": ["slow", "fast"]}, "contradict"),
        ({"hand": "both"}, "hand"),
        ({"seed": -1}, "seed"),
        ({"rate": 0}, "rate"),
    ],
)
def test_bad_simulate_arguments_are_refused(kwargs, message):
    kwargs = {"gesture": "pinch", **kwargs}
    with pytest.raises(VrtrainerError, match=message):
        simulate(**kwargs)


def _key(t, **kw):
    pose = make_pose((0.1, 1.0, -0.3), orientation("X", (0,)))
    return Keyframe(t, {"right": pose}, {"right": finger_angles()}, **kw)


def test_custom_gestures_are_checked():
    with pytest.raises(VrtrainerError, match="at least two"):
        Gesture("g", (_key(0.0),))
    with pytest.raises(VrtrainerError, match="increase"):
        Gesture("g", (_key(1.0), _key(0.5)))
    with pytest.raises(VrtrainerError, match="lacks the left hand"):
        Gesture("g", (_key(0.0), _key(1.0)), hands=("left", "right"))
    with pytest.raises(VrtrainerError, match="tools"):
        Gesture("g", (_key(0.0, tools={"gun": make_pose((0, 1, 0), (0, 0, 0, 1))}), _key(1.0)))
    with pytest.raises(VrtrainerError, match="does not use"):
        Gesture("g", (_key(0.0), _key(1.0)), grips={"gun": Grip("left", np.eye(7)[6])})
    with pytest.raises(VrtrainerError, match="shape"):
        Keyframe(0.0, {"right": make_pose((0, 1, 0), (0, 0, 0, 1))}, {"right": np.zeros(5)})
    with pytest.raises(VrtrainerError, match="zero quaternion"):
        Keyframe(0.0, {"right": np.zeros(7)}, {"right": finger_angles()})


def test_custom_gesture_authored_by_its_tool():
    """A spray gun held in the right hand, authored by where the gun must be."""
    grip = Grip("right", make_pose((0.0, -0.04, -0.07), orientation("X", (-70,))))
    keys = []
    for i, x in enumerate((-0.3, 0.3, -0.3)):
        gun = make_pose((x, 1.2, -0.5), orientation("X", (0,)))
        keys.append(
            Keyframe(
                1.5 * i,
                {"right": wrist_for_tool(gun, grip)},
                {"right": finger_angles(index=(40, 50, 20, 0))},
                tools={"panel": make_pose((0, 1.2, -0.7), (0, 0, 0, 1))},
                phase=f"pass {i}",
            )
        )
    gesture = Gesture("spray", tuple(keys), grips={"gun": grip})
    take = simulate(gesture, seed=2)
    assert take.tool_names == ("gun", "panel")
    gun, _ = take.tool_pose("gun")
    panel, _ = take.tool_pose("panel")
    assert np.allclose(panel, panel[0])
    # The gun reaches the authored ends, within natural variation.
    assert gun[:, 0].min() < -0.25 and gun[:, 0].max() > 0.2
    assert np.all(np.abs(gun[:, 1] - 1.2) < 0.03)


def test_quaternions_keep_their_sign_through_a_half_turn():
    """Turning the hand past 180 degrees flips canonical (w >= 0) quaternions; takes must not."""
    keys = tuple(
        Keyframe(
            t,
            {"right": make_pose((0.1, 1.0, -0.3), orientation("Y", (yaw,)))},
            {"right": finger_angles()},
        )
        for t, yaw in ((0.0, 0), (1.0, 120), (2.0, 240))
    )
    take = simulate(Gesture("turn", keys), seed=0)
    q = take.poses[:, RIGHT, :, 3:].astype(np.float64)
    assert np.min(np.sum(q[1:] * q[:-1], -1)) > 0.99
    assert np.min(q[:, WRIST, 3]) < -0.1  # it really went past the half turn
