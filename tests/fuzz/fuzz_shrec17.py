"""Fuzz harness: SHREC'17 skeleton text files through the ``shrec17`` importer."""

from __future__ import annotations

import random
from pathlib import Path

from mutators import number_text_mutation

from vrtrainer.takes.importers import import_take

NAME = "shrec17"
DATA = Path(__file__).resolve().parents[1] / "data"


def seeds() -> list[bytes]:
    return [(DATA / "shrec17_skeletons_world.txt").read_bytes()]


def mutate(data: bytes, rng: random.Random) -> bytes:
    return number_text_mutation(data, rng, " ")


def prepare(data: bytes, work: Path) -> Path:
    path = work / "skeletons_world.txt"
    path.write_bytes(data)
    return path


def load(path: Path) -> None:
    import_take("shrec17", path, handedness="right")
