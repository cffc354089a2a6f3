"""Importers flag captures no hand could make (issue 14): every joint at one point, joints
jumping tens of metres between frames. Real SHREC'17 and SFINGE 3D captures stay well
inside the limits (hand spread at least 4 cm, joints at most 12.5 m/s over all files)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vrtrainer.errors import InvalidFileError
from vrtrainer.takes.importers import import_take

DATA = Path(__file__).parent / "data"


def _shrec_rows(path: Path) -> np.ndarray:
    return np.loadtxt(path).reshape(-1, 66)


def _write(rows: np.ndarray, out: Path) -> Path:
    out.write_text("\n".join(" ".join(f"{v:.6f}" for v in r) for r in rows) + "\n")
    return out


def test_the_sample_capture_imports():
    assert import_take("shrec17", DATA / "shrec17_skeletons_world.txt").n_frames > 2


def test_every_joint_at_the_origin_is_refused(tmp_path):
    rows = np.zeros((12, 66))
    with pytest.raises(InvalidFileError, match="frame 1: .*within 1 cm"):
        import_take("shrec17", _write(rows, tmp_path / "zeros.txt"))


def test_one_collapsed_frame_is_refused(tmp_path):
    rows = _shrec_rows(DATA / "shrec17_skeletons_world.txt")
    rows[2] = np.tile(rows[2, :3], 22)  # every joint at the wrist
    with pytest.raises(InvalidFileError, match="frame 3: .*within 1 cm"):
        import_take("shrec17", _write(rows, tmp_path / "collapsed.txt"))


def test_a_99_m_jump_between_frames_is_refused(tmp_path):
    rows = _shrec_rows(DATA / "shrec17_skeletons_world.txt")
    rows[3:] += np.tile([99.0, 0.0, 0.0], 22) * 0.9  # 89 m away from frame 4 on
    with pytest.raises(InvalidFileError, match="frame 4: .*m/s"):
        import_take("shrec17", _write(rows, tmp_path / "jump.txt"))


def test_joints_spread_over_a_metre_are_refused(tmp_path):
    rows = _shrec_rows(DATA / "shrec17_skeletons_world.txt")
    rows[:, 63:66] += 2.0  # the little fingertip 2 m away in every frame
    with pytest.raises(InvalidFileError, match="not one hand"):
        import_take("shrec17", _write(rows, tmp_path / "spread.txt"))
