"""Fuzz harness: take files (.vrtake) through ``load_take``, seeded with real takes."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from handmade import random_take
from mutators import json_mutation, npy_mutation, zip_mutation

from vrtrainer.takes.take import load_take, save_take, summarize

NAME = "take"


def seeds() -> list[bytes]:
    """A take with tools and a head, one without, one of a single frame with NaN joints."""
    out = []
    takes = [random_take(12, seed=1), random_take(6, seed=2, tools=())]
    single = random_take(1, seed=3, tools=())
    single.flags[0, 0] = 0
    single.poses[0, 0] = float("nan")
    takes.append(single)
    with tempfile.TemporaryDirectory() as d:
        for take in takes:
            out.append(save_take(take, Path(d) / "seed.vrtake").read_bytes())
    return out


def mutate(data: bytes, rng: random.Random) -> bytes:
    return zip_mutation(data, rng, {".npy": npy_mutation, ".json": json_mutation})


def prepare(data: bytes, work: Path) -> Path:
    path = work / "input.vrtake"
    path.write_bytes(data)
    return path


def load(path: Path) -> None:
    take = load_take(path)
    summarize(take)
