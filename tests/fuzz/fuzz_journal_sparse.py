"""Fuzz harness: recording journals stretched by sparse holes, through ``recover_take``.

The input is 8 bytes (the size to stretch the file to, little-endian) then a journal.
``prepare`` writes the journal and extends it, without writing, up to that size (at most
8 GiB): a file that costs no disk but would cost its size in memory if read whole.
"""

from __future__ import annotations

import random
import struct
from pathlib import Path

from fuzz_journal import mutate as journal_mutation
from fuzz_journal import seeds as journal_seeds

from vrtrainer.takes.take import recover_take

NAME = "journal_sparse"
MAX_SPARSE = 8 << 30


def seeds() -> list[bytes]:
    return [struct.pack("<Q", size) + j for j, size in
            zip(journal_seeds() * 2, (0, 4 << 30, 1 << 20, 5000))]


def mutate(data: bytes, rng: random.Random) -> bytes:
    size, journal = (struct.unpack("<Q", data[:8])[0], data[8:]) if len(data) >= 8 else (0, data)
    if rng.random() < 0.4:
        size = rng.choice([0, len(journal) + rng.randrange(1, 5000), 1 << 20, 1 << 30, 4 << 30,
                           MAX_SPARSE, rng.randrange(MAX_SPARSE)])
    else:
        journal = journal_mutation(journal, rng)
    return struct.pack("<Q", size) + journal


def prepare(data: bytes, work: Path) -> Path:
    size, journal = (struct.unpack("<Q", data[:8])[0], data[8:]) if len(data) >= 8 else (0, data)
    path = work / "input.vrtake.partial"
    with open(path, "wb") as f:
        f.write(journal)
        if size > len(journal):
            f.truncate(min(size, MAX_SPARSE))
    return path


def load(path: Path) -> None:
    recover_take(path, out=path.with_name("recovered.vrtake"))
