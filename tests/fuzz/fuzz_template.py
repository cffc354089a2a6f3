"""Fuzz harness: comparator templates (.vrref) through ``load_template``."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from mutators import json_mutation, npy_mutation, zip_mutation

from vrtrainer.compare.template import build_template, load_template, save_template
from vrtrainer.hands import sim

NAME = "template"


def seeds() -> list[bytes]:
    """A pinch template from three short simulated experts."""
    takes = [sim.simulate("pinch", seed=s, rate=30.0) for s in (1, 2, 3)]
    with tempfile.TemporaryDirectory() as d:
        path = save_template(build_template(takes, name="pinch", iterations=2),
                             Path(d) / "pinch.vrref")
        return [path.read_bytes()]


def mutate(data: bytes, rng: random.Random) -> bytes:
    return zip_mutation(data, rng, {".npy": npy_mutation, ".json": json_mutation})


def prepare(data: bytes, work: Path) -> Path:
    path = work / "input.vrref"
    path.write_bytes(data)
    return path


def load(path: Path) -> None:
    load_template(path)
