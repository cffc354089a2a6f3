"""Fuzz harness: SFINGE 3D Leap Motion text files through the ``sfinge3d`` importer."""

from __future__ import annotations

import random
from pathlib import Path

from mutators import number_text_mutation

from vrtrainer.takes.importers import import_take

NAME = "sfinge3d"
DATA = Path(__file__).resolve().parents[1] / "data"


def seeds() -> list[bytes]:
    return [(DATA / "sfinge3d_dictionary.txt").read_bytes(),
            (DATA / "sfinge3d_sequence.txt").read_bytes()]


def mutate(data: bytes, rng: random.Random) -> bytes:
    return number_text_mutation(data, rng, ";,")


def prepare(data: bytes, work: Path) -> Path:
    path = work / "capture.txt"
    path.write_bytes(data)
    return path


def load(path: Path) -> None:
    import_take("sfinge3d", path, handedness="left")
