"""`vrtrainer render`: PNG snapshots of a take (and its expert ghost) from the command line."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from vrtrainer.cli import main
from vrtrainer.hands.sim import simulate
from vrtrainer.takes.take import save_take


@pytest.fixture(scope="module")
def takes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("takes")
    trainee = save_take(simulate("pinch", role="trainee", flaws=("wrong-finger=40",), seed=2),
                        folder / "trainee.vrtake")
    expert = save_take(simulate("pinch", seed=2), folder / "expert.vrtake")
    return trainee, expert


def test_render_writes_one_png_per_interval(takes, tmp_path, capsys, gl_context):
    trainee, expert = takes
    out = tmp_path / "frames"
    code = main(["render", str(trainee), "--ghost", str(expert), "--out", str(out),
                 "--every", "1.0", "--size", "160x120", "--eye", "both"])
    assert code == 0
    files = sorted(out.glob("*.png"))
    duration = simulate("pinch", seed=2).duration
    assert len(files) == 2 * (int(duration // 1.0) + 1)
    assert f"wrote {len(files)} PNG files" in capsys.readouterr().out
    left, right = (np.asarray(Image.open(f)) for f in files[:2])
    assert left.shape == (120, 160, 3)
    assert len(np.unique(left.reshape(-1, 3), axis=0)) > 50  # a scene, not a blank
    assert not np.array_equal(left, right)  # two eyes


def test_render_refuses_bad_options_and_files(takes, tmp_path, capsys):
    trainee, _ = takes
    assert main(["render", str(trainee), "--size", "big"]) == 2
    assert "--size must look like 640x480" in capsys.readouterr().err
    assert main(["render", str(trainee), "--eye", "middle", "--out", str(tmp_path)]) == 2
    assert "left, right, both" in capsys.readouterr().err
    missing = tmp_path / "missing.vrtake"
    assert main(["render", str(missing)]) == 2
    assert "missing.vrtake" in capsys.readouterr().err


def _joint_colours(path) -> tuple[int, int]:
    """Pixels of the 'beyond tolerance' red and the 'within' green joint colours."""
    a = np.asarray(Image.open(path).convert("RGB")).astype(int)
    red = (a[..., 0] > 150) & (a[..., 1] < 90) & (a[..., 2] < 90)
    green = (a[..., 1] > 140) & (a[..., 0] < 110) & (a[..., 2] < 110)
    return int(red.sum()), int(green.sum())


def test_render_ghost_waits_for_a_slow_but_correct_trainee(tmp_path, gl_context):
    # the same motion 1.6x slower: compared at equal clock times it is far behind the expert
    # for most of the take; along the warping path it matches
    slow = save_take(simulate("pinch", role="trainee", flaws=("slow=1.6",), seed=2),
                     tmp_path / "slow.vrtake")
    expert = save_take(simulate("pinch", seed=2), tmp_path / "expert.vrtake")
    out = tmp_path / "frames"
    assert main(["render", str(slow), "--ghost", str(expert), "--out", str(out),
                 "--every", "0.25", "--size", "320x240", "--tolerance", "0.02"]) == 0
    counts = np.array([_joint_colours(p) for p in sorted(out.glob("*.png"))])
    red, green = counts.sum(axis=0)
    assert green > 0
    assert red < 0.2 * green, (red, green)
