"""Archive limits that must not refuse legitimate takes, and must refuse odd compression."""

import zipfile

import numpy as np
import pytest
from handmade import random_take

from vrtrainer.errors import InvalidFileError
from vrtrainer.takes.take import load_take, save_take


def test_long_take_with_constant_radii_round_trips(tmp_path):
    # A simulated take's radii never change: deflate squeezes them ~1000:1,
    # which is not a zip bomb.
    take = random_take(4000, tools=())
    take.radii[...] = 0.01
    path = save_take(take, tmp_path / "long.vrtake")
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("radii.npy")
        assert info.file_size / info.compress_size > 200
    assert np.array_equal(load_take(path).radii, take.radii)


def test_other_compression_methods_are_refused(tmp_path):
    path = save_take(random_take(20, tools=()), tmp_path / "t.vrtake")
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_BZIP2) as z:
        for n, data in members.items():
            z.writestr(n, data)
    with pytest.raises(InvalidFileError, match="compression method 12"):
        load_take(path)
