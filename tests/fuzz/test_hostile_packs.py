"""Every hostile scenario pack of the reliability issue, run under the fuzz guards.

tests/test_scenario_pack.py checks each refusal's message; here every kind of hostile
pack, folder or zip, is also watched while it is validated: it must be refused with a
message naming the problem, within a second, and nothing outside the pack may be opened,
listed, created or removed (Python audit hooks), nor the sentinel folder beside the pack
change, nor a temporary file be left behind.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from engine import Guard
from packmaker import (
    MINI_TOML,
    billion_face_glb,
    make_pack,
    object_npy,
    patch_central_sizes,
    zip_folder,
)

from vrtrainer.errors import VrtrainerError
from vrtrainer.scenario import validate_pack
from vrtrainer.scenario.packfiles import MAX_DEPTH, MAX_ENTRIES, MAX_FILE_BYTES, MAX_PACK_BYTES

Build = Callable[[Path, Path], Path]


def _folder(toml: str = MINI_TOML) -> Build:
    def build(work: Path, sentinel: Path) -> Path:
        return make_pack(work / "pack", toml)
    return build


def _replace_with_link(rel: str, target: str, hard: bool = False) -> Build:
    def build(work: Path, sentinel: Path) -> Path:
        pack = make_pack(work / "pack")
        (pack / rel).unlink()
        if hard:
            os.link(sentinel / target, pack / rel)
        else:
            (pack / rel).symlink_to(sentinel / target)
        return pack
    return build


def _linked_folder(work: Path, sentinel: Path) -> Path:
    pack = make_pack(work / "pack")
    (pack / "more").symlink_to(sentinel / "sub", target_is_directory=True)
    return pack


def _fifo(work: Path, sentinel: Path) -> Path:
    pack = make_pack(work / "pack")
    os.mkfifo(pack / "assets" / "pipe.bin")  # reading it would block for ever
    return pack


def _with_file(rel: str, content: bytes) -> Build:
    def build(work: Path, sentinel: Path) -> Path:
        pack = make_pack(work / "pack")
        (pack / rel).parent.mkdir(parents=True, exist_ok=True)
        (pack / rel).write_bytes(content)
        return pack
    return build


def _many_files(work: Path, sentinel: Path) -> Path:
    pack = make_pack(work / "pack")
    (pack / "notes").mkdir()
    for i in range(MAX_ENTRIES):
        (pack / "notes" / f"{i}.txt").write_bytes(b"")
    return pack


def _deep_folders(work: Path, sentinel: Path) -> Path:
    pack = make_pack(work / "pack")
    deep = pack.joinpath(*["d"] * (MAX_DEPTH + 1))
    deep.mkdir(parents=True)
    (deep / "x.txt").write_text("deep")
    return pack


def _pickled_take(work: Path, sentinel: Path) -> Path:
    pack = make_pack(work / "pack")
    take = pack / "takes" / "expert-1.vrtake"
    with zipfile.ZipFile(take) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members["poses.npy"] = object_npy()
    with zipfile.ZipFile(take, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    return pack


def _huge_array_take(work: Path, sentinel: Path) -> Path:
    pack = make_pack(work / "pack")
    take = pack / "takes" / "expert-1.vrtake"
    with zipfile.ZipFile(take) as z:
        members = {n: z.read(n) for n in z.namelist()}
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f4", "fortran_order": False, "shape": (10**9, 2, 26, 7)})
    members["poses.npy"] = buf.getvalue() + bytes(1024)
    with zipfile.ZipFile(take, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    return pack


def _gltf_reaching_out(work: Path, sentinel: Path) -> Path:
    pack = make_pack(work / "pack", MINI_TOML.replace("assets/box.glb", "assets/box.gltf"))
    (pack / "assets" / "box.glb").unlink()
    (pack / "assets" / "box.gltf").write_text(
        '{"asset": {"version": "2.0"}, "buffers": '
        '[{"byteLength": 10, "uri": "../../sentinel/secret.txt"}]}')
    return pack


def _zip(extra: dict[str, bytes] | None = None, patch: tuple[str, int] | None = None,
         toml: str = MINI_TOML, edit: Callable[[zipfile.ZipFile], None] | None = None) -> Build:
    def build(work: Path, sentinel: Path) -> Path:
        folder = make_pack(work / "src", toml)
        z = zip_folder(folder, work / "pack.zip", extra=extra)
        if edit is not None:
            with zipfile.ZipFile(z, "a") as zf:
                edit(zf)
        if patch is not None:
            patch_central_sizes(z, *patch)
        return z
    return build


def _zip_symlink(zf: zipfile.ZipFile) -> None:
    info = zipfile.ZipInfo("assets/link.glb")
    info.external_attr = 0o120777 << 16
    zf.writestr(info, "../../sentinel/secret.txt")


def _inner_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("scenario.toml", MINI_TOML)
    return buf.getvalue()


_BIG_PARTS = {f"assets/part{i}.bin": np.random.default_rng(i).bytes(700_000) for i in range(5)}

CASES: dict[str, tuple[Build, str]] = {
    "dotdot path": (_folder(MINI_TOML.replace('"assets/box.glb"\nposition',
                                              '"../sentinel/secret.glb"\nposition')),
                    "leaves the pack"),
    "absolute path": (_folder(MINI_TOML.replace('"assets/box.glb"\nposition',
                                                '"/etc/passwd.glb"\nposition')), "absolute"),
    "symlink out": (_replace_with_link("takes/expert-1.vrtake", "expert.vrtake"),
                    "is a symbolic link"),
    "symlinked folder": (_linked_folder, "'more' is a symbolic link"),
    "hard link out": (_replace_with_link("assets/box.glb", "secret.txt", hard=True),
                      "has 2 hard links"),
    "fifo": (_fifo, "is not a regular file"),
    "too many files": (_many_files, f"more than {MAX_ENTRIES} files"),
    "too deep": (_deep_folders, f"deeper than {MAX_DEPTH} folders"),
    "billion faces": (_with_file("assets/box.glb", billion_face_glb()),
                      "declares 3000000000 elements"),
    "toml nesting bomb": (_folder("x = " + "[" * 100_000 + "]" * 100_000 + "\n"),
                          "nests arrays/tables 100000 deep"),
    "toml inline-table bomb": (_folder("x = " + "{a=" * 5000 + "1" + "}" * 5000 + "\n"),
                               "over the cap"),
    "unknown schema version": (_folder(MINI_TOML.replace("schema_version = 1",
                                                         "schema_version = 99")),
                               "not supported"),
    "pickle file": (_with_file("assets/model.pkl", b"\x80\x04\x95" + bytes(30)),
                    "is not allowed in a scenario pack"),
    "pickle as .glb": (_with_file("assets/box.glb", b"\x80\x04\x95" + bytes(60)), "pickle"),
    "ELF as .png": (_with_file("assets/look.png", b"\x7fELF\x02\x01" + bytes(60)), "ELF"),
    "script": (_with_file("tools/run.sh", b"#!/bin/sh\nrm -rf ~\n"),
               "is not allowed in a scenario pack"),
    "python code": (_with_file("plugin.py", b"import os\n"), "is not allowed"),
    "pickle in a take": (_pickled_take, "pickle"),
    "huge array in a take": (_huge_array_take, "poses"),
    "gltf uri out": (_gltf_reaching_out, "leaves the pack"),
    "zip slip": (_zip({"../sentinel/evil.toml": b"x = 1"}), "leaves the pack"),
    "zip slip deep": (_zip({"assets/../../evil.toml": b"x = 1"}), "leaves the pack"),
    "zip absolute member": (_zip({"/tmp/evil.toml": b"x = 1"}), "absolute"),
    "zip symlink member": (_zip(edit=_zip_symlink), "is a symbolic link"),
    "zip bomb ratio": (_zip({"assets/zeros.bin": bytes(4 << 20)}), "more than 200:1"),
    "zip bomb size": (_zip(patch=("assets/box.glb", MAX_FILE_BYTES + 1)), "zip bomb"),
    "zip nested archive": (_zip({"assets/more.zip": _inner_zip()}), "is not allowed"),
    "zip pickle": (_zip({"assets/x.pkl": b"\x80\x04\x95" + bytes(30)}), "is not allowed"),
    "zip ELF as .bin": (_zip({"assets/x.bin": b"\x7fELF\x02\x01" + bytes(60)}), "ELF"),
    "zip unknown schema": (_zip(toml=MINI_TOML.replace("schema_version = 1",
                                                       "schema_version = 2")),
                           "not supported"),
}


def _total_bomb(work: Path, sentinel: Path) -> Path:
    z = _zip(_BIG_PARTS)(work, sentinel)
    for i in range(5):
        patch_central_sizes(z, f"assets/part{i}.bin", MAX_PACK_BYTES // 4 - 1)
    return z


def _zip_billion_faces(work: Path, sentinel: Path) -> Path:
    folder = make_pack(work / "src")
    (folder / "assets" / "box.glb").write_bytes(billion_face_glb())
    return zip_folder(folder, work / "pack.zip")


CASES["zip bomb total"] = (_total_bomb, "unpacks to more than the cap")
CASES["zip billion faces"] = (_zip_billion_faces, "declares 3000000000 elements")


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_pack_is_refused_and_touches_nothing_outside(case: str) -> None:
    build, expected = CASES[case]
    said: list[str] = []

    def load(pack: Path) -> None:
        problems = validate_pack(pack)
        said.extend(str(p) for p in problems)
        if problems:
            raise VrtrainerError(said[0])

    harness = SimpleNamespace(NAME=case, load=load,
                              prepare=lambda data, work: build(work, work.parent / "sentinel"))
    guard = Guard()
    try:
        outcome, seconds, finding = guard.run(harness, b"")
        sentinel = guard.check_sentinel(harness)
    finally:
        guard.close()
    assert finding is None and sentinel is None, (finding, sentinel)
    assert outcome == "refused", f"{case}: accepted"
    assert any(expected in s for s in said), said
