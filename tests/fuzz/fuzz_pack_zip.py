"""Fuzz harness: zipped scenario packs through ``validate_pack`` (opens, reads every mesh
and take); a pack with problems counts as refused."""

from __future__ import annotations

import random
from pathlib import Path

from packseeds import pack_mutation, pack_zips

from vrtrainer.errors import VrtrainerError
from vrtrainer.scenario import validate_pack

NAME = "pack_zip"


def seeds() -> list[bytes]:
    return pack_zips()


def mutate(data: bytes, rng: random.Random) -> bytes:
    return pack_mutation(data, rng)


def prepare(data: bytes, work: Path) -> Path:
    path = work / "pack.zip"
    path.write_bytes(data)
    return path


def load(path: Path) -> None:
    problems = validate_pack(path)
    if problems:
        raise VrtrainerError(str(problems[0]))
