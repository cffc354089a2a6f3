"""Trimming and splitting on synthetic takes whose still and moving periods are known."""

import json

import numpy as np
import pytest

from vrtrainer.cli import main
from vrtrainer.errors import VrtrainerError
from vrtrainer.hands.hand import POSITION_VALID, RIGHT, WRIST
from vrtrainer.takes.take import Take, TakeMeta, load_take, save_take
from vrtrainer.takes.trim import motion_signal, propose_trim, split_points, split_take, trim_take

RATE = 60.0


def _take(moves, total, seed=0, jitter=0.0005):
    """A right hand still except during ``moves`` [(start, end, kind)] seconds.

    ``kind`` "arm" sweeps the wrist 20 cm out and back; "fingers" curls the fingers
    (joints half-way to the wrist) and opens them once per second with the wrist fixed.
    Every position gets tracker jitter of ``jitter`` metres.
    """
    rng = np.random.default_rng(seed)
    n = int(total * RATE)
    t = np.arange(n) / RATE
    base = rng.uniform(-0.1, 0.1, (26, 3))
    base[WRIST] = 0
    wrist = np.tile([0.0, 1.2, -0.4], (n, 1))
    offsets = np.tile(base, (n, 1, 1))
    for start, end, kind in moves:
        inside = (t >= start) & (t < end)
        phase = (t[inside] - start) / (end - start)
        if kind == "arm":
            bump = 0.5 - 0.5 * np.cos(2 * np.pi * phase)  # 0 -> 1 -> 0, smooth at the ends
            wrist[inside, 0] += 0.2 * bump
        else:
            cycles = max(1, round(end - start))
            bump = 0.5 - 0.5 * np.cos(2 * np.pi * cycles * phase)
            offsets[inside, 2:] *= (1 - 0.5 * bump)[:, None, None]
    pos = wrist[:, None] + offsets + rng.normal(scale=jitter, size=(n, 26, 3))
    poses = np.zeros((n, 2, 26, 7), np.float32)
    poses[..., 6] = 1
    poses[:, RIGHT, :, :3] = pos
    flags = np.zeros((n, 2, 26), np.uint8)
    flags[:, RIGHT] = 15
    active = np.zeros((n, 2), bool)
    active[:, RIGHT] = True
    return Take(times=t, poses=poses, radii=rng.uniform(0.005, 0.01, (n, 2, 26)).astype(np.float32),
                flags=flags, active=active, meta=TakeMeta(role="expert", synthetic=True))


@pytest.mark.parametrize("jitter", [0.0005, 0.002])
@pytest.mark.parametrize("kind", ["arm", "fingers"])
def test_trim_finds_onset_and_offset(kind, jitter):
    take = _take([(1.0, 3.0, kind)], 4.5, jitter=jitter)
    trim = propose_trim(take, margin=0.0)
    assert trim.moving
    # the raised-cosine bump is slow at its ends: the signal is below any sensible
    # threshold for the first few percent of the motion, and the signal is a 0.15 s average
    assert 0.9 <= take.times[trim.onset] < 1.25
    assert 2.75 < take.times[trim.offset] <= 3.1
    with_margin = propose_trim(take, margin=0.2)
    assert with_margin.start_time == pytest.approx(take.times[trim.onset] - 0.2, abs=1 / RATE)
    assert with_margin.stop_time == pytest.approx(take.times[trim.offset] + 0.2, abs=1 / RATE)
    cut = trim_take(take, with_margin)
    assert cut.n_frames == with_margin.stop - with_margin.start
    assert cut.meta.extra["trim"]["start"] == with_margin.start


def test_invalid_joints_and_lost_hands_do_not_count_as_motion():
    take = _take([(1.0, 3.0, "arm")], 4.5)
    n = take.n_frames
    rng = np.random.default_rng(1)
    # garbage in invalid joints during the still periods, a lost hand at the very end
    still = np.nonzero(take.times < 0.8)[0]
    take.poses[still, RIGHT, 5:12, :3] = rng.uniform(-5, 5, (still.size, 7, 3))
    take.flags[still, RIGHT, 5:12] &= ~np.uint8(POSITION_VALID)
    take.active[n - 10:, RIGHT] = False
    take.poses[n - 10:, RIGHT, :, :3] = rng.uniform(-5, 5, (10, 26, 3))
    trim = propose_trim(take, margin=0.0)
    assert 0.9 <= take.times[trim.onset] < 1.25
    assert 2.75 < take.times[trim.offset] <= 3.1
    assert np.all(np.isfinite(motion_signal(take)))


def test_still_take_is_kept_whole_and_untracked_take_refused():
    take = _take([], 2.0)
    trim = propose_trim(take)
    assert not trim.moving and (trim.start, trim.stop) == (0, take.n_frames)
    take.active[:] = False
    with pytest.raises(VrtrainerError, match="no tracked hand"):
        propose_trim(take)


def test_split_cuts_in_the_pauses():
    moves = [(0.5, 1.5, "arm"), (2.3, 3.3, "fingers"), (3.8, 5.0, "arm")]
    take = _take(moves, 5.6, seed=2)
    cuts = split_points(take, 3)
    assert len(cuts) == 2
    assert 1.5 <= take.times[cuts[0]] <= 2.3
    assert 3.3 <= take.times[cuts[1]] <= 3.8
    segments = split_take(take, 3)
    assert [s.meta.step for s in segments] == [1, 2, 3]
    for seg, (start, end, _) in zip(segments, moves):
        assert seg.times[0] <= start + 0.25 and seg.times[-1] >= end - 0.25
        assert seg.times[0] >= start - 0.4 and seg.times[-1] <= end + 0.4
    # two steps: the longest pause wins
    (cut,) = split_points(take, 2)
    assert 1.5 <= take.times[cut] <= 2.3
    with pytest.raises(VrtrainerError, match="not 5"):
        split_points(take, 5)


def test_cli_trim_and_split(tmp_path, capsys):
    moves = [(0.5, 1.5, "arm"), (2.3, 3.3, "fingers")]
    src = tmp_path / "long.vrtake"
    save_take(_take(moves, 4.0), src)
    out = tmp_path / "cut.vrtake"
    assert main(["trim", str(src), "-o", str(out), "--json"]) == 0
    proposal = json.loads(capsys.readouterr().out)
    assert proposal["moving"] and load_take(out).n_frames == proposal["stop"] - proposal["start"]
    assert main(["split", str(src), "--steps", "2", "-o", str(tmp_path / "steps")]) == 0
    files = sorted((tmp_path / "steps").glob("*.vrtake"))
    assert [f.name for f in files] == ["long_step1.vrtake", "long_step2.vrtake"]
    assert load_take(files[1]).meta.step == 2
    assert main(["split", str(src), "--steps", "4", "-o", str(tmp_path / "s4")]) == 2
    assert "not 4" in capsys.readouterr().err
