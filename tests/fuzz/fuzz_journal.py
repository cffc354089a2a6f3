"""Fuzz harness: a crashed recording's journal (.vrtake.partial) through ``recover_take``."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from handmade import random_take
from mutators import byte_mutation, json_mutation

from vrtrainer.takes.take import TakeWriter, recover_take

NAME = "journal"
_MAGIC_END = 19  # len(b"VRTAKE-JOURNAL\x001\n") + 4 bytes of header length


def _journal(tools: tuple[str, ...], frames: int, head: bool) -> bytes:
    take = random_take(frames, seed=frames, tools=tools)
    with tempfile.TemporaryDirectory() as d:
        w = TakeWriter(Path(d) / "a.vrtake", take.meta, tool_names=tools, with_head=head)
        for i in range(frames):
            w.append(take.frame(i), take.tools[i] if tools else None,
                     take.tool_flags[i] if tools else None, take.head[i] if head else None, 15)
        w.abort()
        return w.journal.read_bytes()


def seeds() -> list[bytes]:
    return [_journal(("torch",), 8, True), _journal((), 5, False)]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """Edit the JSON header (keeping its length field right) or the binary records."""
    start = _MAGIC_END
    if len(data) > start and rng.random() < 0.4:
        hlen = int.from_bytes(data[start - 4:start], "little")
        header = json_mutation(data[start:start + hlen], rng)
        return data[:start - 4] + len(header).to_bytes(4, "little") + header + \
            data[start + hlen:]
    return byte_mutation(data, rng)


def prepare(data: bytes, work: Path) -> Path:
    path = work / "input.vrtake.partial"
    path.write_bytes(data)
    return path


def load(path: Path) -> None:
    recover_take(path, out=path.with_name("recovered.vrtake"))
