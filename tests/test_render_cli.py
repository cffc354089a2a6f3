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
