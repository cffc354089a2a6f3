"""Fuzz harness: scenario pack folders through ``validate_pack``.

The input is a zip that this harness unpacks into a folder (names that would leave the
folder are dropped: the harness itself must not write outside). Members named
``@link/<path>`` become symbolic links and ``@hard/<path>`` hard links to the sentinel
folder beside the pack, so links out of the pack are fuzzed too.
"""

from __future__ import annotations

import io
import os
import random
import zipfile
from pathlib import Path

from mutators import read_members, write_members
from packseeds import pack_mutation, pack_zips

from vrtrainer.errors import VrtrainerError
from vrtrainer.scenario import validate_pack

NAME = "pack_folder"
_LINK_NAMES = ("takes/expert-1.vrtake", "assets/box.glb", "assets/extra.glb", "scenario.toml",
               "takes", "assets/box.gltf", "README")


def seeds() -> list[bytes]:
    return pack_zips()


def mutate(data: bytes, rng: random.Random) -> bytes:
    if rng.random() < 0.1:
        members = read_members(data)
        if members is not None:
            kind = rng.choice(("@link/", "@hard/"))
            members.append((kind + rng.choice(_LINK_NAMES),
                            rng.choice((b"secret.txt", b"sub", b"expert.vrtake", b"/etc"))))
            return write_members(members)
    return pack_mutation(data, rng)


def prepare(data: bytes, work: Path) -> Path:
    pack = work / "pack"
    pack.mkdir()
    sentinel = work.parent / "sentinel"
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()[:200]
    except Exception:
        return pack
    for info in infos:
        name = info.filename
        link = name.startswith(("@link/", "@hard/"))
        rel = name[6:] if link else name
        target = (pack / rel).resolve()
        if not str(target).startswith(str(pack) + os.sep) or info.file_size > 8 << 20:
            continue
        try:
            content = zf.read(info)
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_dir() and not target.is_symlink():
                continue
            if target.exists() or target.is_symlink():
                target.unlink()
            if name.startswith("@link/"):
                what = content.decode(errors="replace")
                target.symlink_to(what if what.startswith("/") else sentinel / what)
            elif name.startswith("@hard/"):
                os.link(sentinel / "secret.txt", target)
            elif name.endswith("/"):
                target.mkdir(exist_ok=True)
            else:
                target.write_bytes(content)
        except Exception:  # names or contents the harness cannot write: not an input
            continue
    return pack


def load(pack: Path) -> None:
    problems = validate_pack(pack)
    if problems:
        raise VrtrainerError(str(problems[0]))
