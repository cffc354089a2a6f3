"""Importers from other hand trackers: joint mapping, derived joints, frames, refusals.

The sample files in tests/data are a right hand written for these tests in each
format: palm down, fingers pointing forward (-z in OpenXR space), slightly curled,
moving a few millimetres per frame.
"""

from pathlib import Path

import numpy as np
import pytest

from vrtrainer.cli import main
from vrtrainer.errors import InvalidFileError, VrtrainerError
from vrtrainer.hands.hand import (
    FINGERS,
    JOINT_INDEX,
    LEFT,
    ORIENTATION_TRACKED,
    ORIENTATION_VALID,
    PALM,
    POSITION_TRACKED,
    POSITION_VALID,
    RIGHT,
    WRIST,
    quat_to_matrix,
)
from vrtrainer.takes.importers import import_take, matrices_to_quats, read_sfinge3d, read_shrec17
from vrtrainer.takes.take import load_take

DATA = Path(__file__).parent / "data"
SHREC = DATA / "shrec17_skeletons_world.txt"
SFINGE = DATA / "sfinge3d_dictionary.txt"
SFINGE_SEQ = DATA / "sfinge3d_sequence.txt"


def _positions(take, hand=RIGHT):
    return take.poses[:, hand, :, :3].astype(np.float64)


def _axes(take, hand=RIGHT):
    return quat_to_matrix(take.poses[:, hand, :, 3:])


def test_shrec17_measured_joints_are_copied_to_their_openxr_slots():
    raw = np.loadtxt(SHREC).reshape(-1, 22, 3)
    take = read_shrec17(SHREC)
    p = _positions(take)
    assert take.n_frames == raw.shape[0] == 4
    np.testing.assert_allclose(p[:, WRIST], raw[:, 0], atol=1e-6)
    thumb = ["thumb_metacarpal", "thumb_proximal", "thumb_distal", "thumb_tip"]
    for k, name in enumerate(thumb):
        np.testing.assert_allclose(p[:, JOINT_INDEX[name]], raw[:, 2 + k], atol=1e-6)
    for f, finger in enumerate(["index", "middle", "ring", "little"]):
        for k, part in enumerate(["proximal", "intermediate", "distal", "tip"]):
            np.testing.assert_allclose(
                p[:, JOINT_INDEX[f"{finger}_{part}"]], raw[:, 6 + 4 * f + k], atol=1e-6
            )


def test_shrec17_derived_metacarpals_and_palm():
    take = read_shrec17(SHREC)
    p = _positions(take)
    for finger in FINGERS[1:]:
        expected = p[:, WRIST] + 0.25 * (p[:, finger[1]] - p[:, WRIST])
        np.testing.assert_allclose(p[:, finger[0]], expected, atol=1e-6)
    # OpenXR's palm is the centre of the middle metacarpal bone
    np.testing.assert_allclose(p[:, PALM], (p[:, 11] + p[:, 12]) / 2, atol=1e-6)


def test_flags_say_which_joints_were_measured():
    take = read_shrec17(SHREC)
    f = take.flags[:, RIGHT]
    measured = (f & POSITION_TRACKED) != 0
    derived = {PALM, 6, 11, 16, 21}
    assert {j for j in range(26) if not measured[0, j]} == derived
    assert np.all(f & POSITION_VALID) and np.all(f & ORIENTATION_VALID)
    assert not np.any(f & ORIENTATION_TRACKED)
    assert np.all(take.flags[:, LEFT] == 0) and not take.active[:, LEFT].any()
    assert take.active[:, RIGHT].all()
    assert np.all(take.radii[:, RIGHT] > 0)
    sf = read_sfinge3d(SFINGE).flags[0, RIGHT]
    assert {j for j in range(26) if not sf[j] & POSITION_TRACKED} == {PALM, 2, 6, 11, 16, 21}


def test_rate_and_handedness_overrides():
    take = read_shrec17(SHREC)
    np.testing.assert_allclose(np.diff(take.times), 1 / 30)
    assert take.meta.nominal_rate == 30 and take.meta.handedness == "right"
    fast = import_take("shrec17", SHREC, rate=60.0)
    np.testing.assert_allclose(np.diff(fast.times), 1 / 60)
    left = import_take("sfinge3d", SFINGE, handedness="left")
    assert left.active[:, LEFT].all() and not left.active[:, RIGHT].any()
    assert left.meta.handedness == "left"
    np.testing.assert_allclose(np.diff(read_sfinge3d(SFINGE).times), 1 / 20)


@pytest.mark.parametrize("reader,path", [(read_shrec17, SHREC), (read_sfinge3d, SFINGE)])
def test_joint_frames_follow_openxr_conventions(reader, path):
    take = reader(path)
    p = _positions(take)
    r = _axes(take)
    # -Z of every joint but the tip points to its child along the finger
    for finger in FINGERS:
        for a, b in zip(finger[:-1], finger[1:]):
            bone = p[:, b] - p[:, a]
            bone /= np.linalg.norm(bone, axis=-1, keepdims=True)
            np.testing.assert_allclose((-r[:, a, :, 2] * bone).sum(-1), 1.0, atol=1e-5)
        tip_bone = p[:, finger[-1]] - p[:, finger[-2]]
        tip_bone /= np.linalg.norm(tip_bone, axis=-1, keepdims=True)
        np.testing.assert_allclose((-r[:, finger[-1], :, 2] * tip_bone).sum(-1), 1.0, atol=1e-5)
    # the sample hand is palm down, fingers forward: back of the hand up (+y), palm and
    # wrist pointing +z back towards the arm, +X towards the little finger (right hand)
    for j in (PALM, WRIST, 7, 12, 17, 22):
        assert np.all(r[:, j, 1, 1] > 0.75), j
        assert np.all(r[:, j, 0, 0] > 0.9), j
    assert np.all(r[:, PALM, 2, 2] > 0.99)
    # frames are proper rotations
    np.testing.assert_allclose(np.linalg.det(r), 1.0, atol=1e-5)


def test_left_hand_capture_gets_left_handed_frames():
    # Mirror the sample (x -> -x) to make it a left hand, import it as one.
    raw = np.loadtxt(SHREC).reshape(-1, 22, 3) * [-1, 1, 1]
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "left.txt"
        np.savetxt(f, raw.reshape(-1, 66), fmt="%.6f")
        take = read_shrec17(f, handedness="left")
    r = _axes(take, LEFT)
    for j in (PALM, WRIST, 7, 12):
        assert np.all(r[:, j, 1, 1] > 0.75), j  # back of the hand still up
        assert np.all(r[:, j, 0, 0] > 0.9), j  # +X to the right, now the thumb side


def test_sfinge3d_mapping_and_both_separators():
    raw = np.array(
        [[float(v) for v in line.rstrip(";\n").split(";")] for line in open(SFINGE)]
    ).reshape(-1, 20, 7)
    take = read_sfinge3d(SFINGE)
    p = _positions(take)
    flip = np.array([1.0, 1.0, -1.0])
    np.testing.assert_allclose(p[:, WRIST], raw[:, 0, :3] * flip, atol=1e-6)
    for k, name in enumerate(["thumb_proximal", "thumb_distal", "thumb_tip"]):
        np.testing.assert_allclose(p[:, JOINT_INDEX[name]], raw[:, 1 + k, :3] * flip, atol=1e-6)
    np.testing.assert_allclose(p[:, JOINT_INDEX["ring_distal"]], raw[:, 14, :3] * flip, atol=1e-6)
    np.testing.assert_allclose(p[:, JOINT_INDEX["little_tip"]], raw[:, 19, :3] * flip, atol=1e-6)
    thumb_cmc = p[:, WRIST] + 0.4 * (p[:, 3] - p[:, WRIST])
    np.testing.assert_allclose(p[:, 2], thumb_cmc, atol=1e-6)
    seq = read_sfinge3d(SFINGE_SEQ)
    np.testing.assert_allclose(_positions(seq), p, atol=1e-4)  # same hand, fewer digits


def test_matrices_to_quats_round_trip():
    rng = np.random.default_rng(3)
    q = rng.normal(size=(500, 4))
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    q[q[:, 3] < 0] *= -1
    np.testing.assert_allclose(matrices_to_quats(quat_to_matrix(q)), q, atol=1e-9)


def _write(tmp_path, text, name="bad.txt"):
    f = tmp_path / name
    f.write_text(text)
    return f


SHREC_LINE = SHREC.read_text().splitlines()[0]
SFINGE_LINE = SFINGE.read_text().splitlines()[0]


@pytest.mark.parametrize(
    "text,problem",
    [
        ("", "empty"),
        ("\n\n", "empty"),
        (SHREC_LINE + "\n" + " ".join(SHREC_LINE.split()[:-1]) + "\n", "line 2: 65 values"),
        (SHREC_LINE + " 1.0\n", "line 1: 67 values"),
        (SHREC_LINE.replace(SHREC_LINE.split()[5], "abc", 1) + "\n", "'abc' is not a number"),
        (SHREC_LINE.replace(SHREC_LINE.split()[5], "nan", 1) + "\n", "line 1: NaN"),
        (SHREC_LINE.replace(SHREC_LINE.split()[5], "1e9", 1) + "\n", "beyond 100 m"),
        ("x" * 20000 + "\n", "longer than"),
    ],
)
def test_shrec17_refuses_malformed_files(tmp_path, text, problem):
    f = _write(tmp_path, text)
    with pytest.raises(InvalidFileError) as err:
        read_shrec17(f)
    assert str(f) in str(err.value) and problem in str(err.value)


@pytest.mark.parametrize(
    "text,problem",
    [
        (SFINGE_LINE.replace(";", ";;", 1) + "\n", "values"),
        (SFINGE_LINE[: SFINGE_LINE.rfind(";", 0, -1) + 1] + "\n", "139 values"),
        (SFINGE_LINE.replace(";0;0;0;1;", ";0;0;0;2;", 1) + "\n", "quaternion has norm"),
        ("\x00\xff binary", "not a plain-text"),
    ],
)
def test_sfinge3d_refuses_malformed_files(tmp_path, text, problem):
    f = _write(tmp_path, text)
    with pytest.raises(InvalidFileError) as err:
        read_sfinge3d(f)
    assert str(f) in str(err.value) and problem in str(err.value)


def test_refuses_missing_oversized_and_long_files(tmp_path, monkeypatch):
    with pytest.raises(InvalidFileError, match="cannot read"):
        read_shrec17(tmp_path / "absent.txt")
    from vrtrainer.takes import importers

    big = _write(tmp_path, (SHREC_LINE + "\n") * 50)
    monkeypatch.setattr(importers, "MAX_FILE_BYTES", 1000)
    with pytest.raises(InvalidFileError, match="bytes, more than"):
        read_shrec17(big)
    with pytest.raises(InvalidFileError, match="more than 10 frames"):
        importers.read_rows(big, 66, "", max_bytes=10**6, max_frames=10)
    with pytest.raises(VrtrainerError, match="handedness"):
        read_shrec17(SHREC, handedness="both")
    with pytest.raises(VrtrainerError, match="frame rate"):
        read_shrec17(SHREC, rate=0)
    with pytest.raises(VrtrainerError, match="unknown import format"):
        import_take("bvh", SHREC)


def test_cli_import_writes_a_take(tmp_path, capsys):
    out = tmp_path / "a.vrtake"
    assert main(["import", "sfinge3d", str(SFINGE), "-o", str(out), "--rate", "25"]) == 0
    take = load_take(out)
    assert take.n_frames == 4 and take.meta.nominal_rate == 25
    assert take.meta.source == "sfinge3d:sfinge3d_dictionary.txt"
    bad = _write(tmp_path, "1 2 3\n")
    assert main(["import", "shrec17", str(bad), "-o", str(tmp_path / "b.vrtake")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "line 1: 3 values" in err and "Traceback" not in err
    assert not (tmp_path / "b.vrtake").exists()
