"""Scenario pack format and safe loading: valid packs load, hostile ones are refused."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from packmaker import (
    MINI_TOML,
    billion_face_glb,
    box_glb,
    make_pack,
    object_npy,
    patch_central_sizes,
    zip_folder,
)

from vrtrainer.cli import main
from vrtrainer.errors import InvalidFileError, VrtrainerError
from vrtrainer.hands.hand import JOINT_INDEX
from vrtrainer.scenario import ScenarioError, load_scenario, open_pack, validate_pack
from vrtrainer.scenario.packfiles import MAX_FILE_BYTES, MAX_PACK_BYTES


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and mtime: proof nothing was written."""
    return {
        str(p): (p.lstat().st_size, p.lstat().st_mtime_ns)
        for p in folder.rglob("*")
    }


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    return make_pack(tmp_path / "pack")


def test_mini_pack_loads_with_every_field(pack: Path) -> None:
    sc = load_scenario(pack)
    assert (sc.id, sc.version, sc.trade) == ("mini-weld", "0.1.0", "welding")
    assert sc.title.get("fr") == "Mini soudure" and sc.title.get("en") == "Mini weld"
    step = sc.steps[0]
    assert step.reference_takes == ("takes/expert-1.vrtake",)
    assert step.pass_threshold == 70 and (step.time_min, step.time_max) == (1, 30)
    w = step.joint_weights
    assert w[JOINT_INDEX["wrist"]] == 3 and w[JOINT_INDEX["index_tip"]] == 2
    assert w[JOINT_INDEX["thumb_tip"]] == 1
    seam = sc.frames["seam"]
    assert seam.kind == "line" and np.allclose(seam.direction, [1, 0, 0])
    assert sc.metrics["work"].unit == "deg"
    assert np.allclose(sc.objects[0].transform.matrix()[:3, 3], [0, 0.8, -0.4])
    assert validate_pack(pack) == []


def test_pack_gives_takes_and_meshes(pack: Path) -> None:
    with open_pack(pack) as p:
        takes = p.reference_takes(p.scenario.steps[0])
        assert takes[0].meta.role == "expert" and takes[0].n_frames == 20
        mesh = p.load_mesh("assets/box.glb")
        assert sum(len(g.faces) for g in mesh.geometry.values()) == 12


def test_zipped_pack_loads_and_cleans_its_temporary_copies(pack: Path, tmp_path: Path) -> None:
    z = zip_folder(pack, tmp_path / "pack.zip")
    with open_pack(z) as p:
        mesh = p.mesh_path("assets/box.glb")
        assert mesh.read_bytes() == (pack / "assets" / "box.glb").read_bytes()
        take_path = p.reference_path("takes/expert-1.vrtake")
        assert take_path.exists() and not take_path.is_relative_to(tmp_path)
        assert p.reference_takes(p.scenario.steps[0])[0].n_frames == 20
    assert not take_path.exists() and not take_path.parent.exists()
    assert validate_pack(z) == []


def test_zip_of_the_folder_itself_is_accepted(pack: Path, tmp_path: Path) -> None:
    z = tmp_path / "wrapped.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in pack.rglob("*"):
            if f.is_file():
                zf.write(f, "mini/" + f.relative_to(pack).as_posix())
    assert load_scenario(z).id == "mini-weld"


# -- format errors ------------------------------------------------------------------


def problems_of(pack: Path, toml: str) -> str:
    (pack / "scenario.toml").write_text(toml)
    with pytest.raises(ScenarioError) as err:
        load_scenario(pack)
    return str(err.value)


def test_schema_error_names_file_key_and_line(pack: Path) -> None:
    toml = MINI_TOML.replace("ideal = 45", 'ideal = "forty-five"')
    line = toml.splitlines().index('ideal = "forty-five"') + 1
    msg = problems_of(pack, toml)
    assert f"scenario.toml:{line}: metrics.work.ideal:" in msg and "not of type" in msg


def test_error_in_second_step_points_at_its_line(pack: Path) -> None:
    toml = MINI_TOML + '\n[[steps]]\nid = "again"\ninstruction = { fr = "x", en = "y" }\n' \
        'hands = "three"\nreference = { takes = ["takes/expert-1.vrtake"] }\n'
    line = toml.splitlines().index('hands = "three"') + 1
    msg = problems_of(pack, toml)
    assert f"scenario.toml:{line}: steps[1].hands:" in msg


def test_cross_references_are_checked(pack: Path) -> None:
    toml = MINI_TOML.replace('frame = "seam"', 'frame = "nowhere"').replace(
        'metrics = ["work"]', 'metrics = ["work", "ghost"]'
    ).replace("min = 35", "min = 50")
    msg = problems_of(pack, toml)
    assert "no frame named 'nowhere'" in msg
    assert "no metric named 'ghost'" in msg
    assert "min <= ideal <= max" in msg


def test_unknown_joint_weight_is_named(pack: Path) -> None:
    msg = problems_of(pack, MINI_TOML.replace("wrist = 3", "elbow = 3"))
    assert "unknown joint or finger 'elbow'" in msg


def test_missing_referenced_file_is_named(pack: Path) -> None:
    msg = problems_of(pack, MINI_TOML.replace("expert-1.vrtake", "expert-9.vrtake"))
    assert "'takes/expert-9.vrtake' is not in the pack" in msg


@pytest.mark.parametrize("version", ["2", "0", '"1"', "true"])
def test_unknown_schema_version_is_refused_first(pack: Path, version: str) -> None:
    msg = problems_of(pack, MINI_TOML.replace("schema_version = 1", f"schema_version = {version}"))
    assert "schema version" in msg and "not supported" in msg and "reads [1]" in msg


def test_missing_schema_version(pack: Path) -> None:
    msg = problems_of(pack, MINI_TOML.replace("schema_version = 1\n", ""))
    assert "no schema_version" in msg


def test_not_toml(pack: Path) -> None:
    assert "not valid TOML" in problems_of(pack, "id = [unclosed")


# -- hostile packs --------------------------------------------------------------------


def test_toml_nesting_bomb_is_refused_before_parsing(pack: Path) -> None:
    msg = problems_of(pack, "x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert "nests arrays/tables 100000 deep" in msg


def test_inline_table_bomb_is_refused(pack: Path) -> None:
    msg = problems_of(pack, "x = " + "{a=" * 5000 + "1" + "}" * 5000 + "\n")
    assert "deep, over the cap" in msg


def test_dotted_key_depth_is_capped(pack: Path) -> None:
    msg = problems_of(pack, ".".join(f"k{i}" for i in range(200)) + " = 1\n")
    assert "nests keys deeper than the cap" in msg


def test_huge_toml_is_refused_unread(pack: Path) -> None:
    with open(pack / "scenario.toml", "w") as f:
        f.write(MINI_TOML + "#" + "x" * (1024 * 1024) + "\n")
    with pytest.raises(InvalidFileError, match="over the cap of 262144 for it"):
        load_scenario(pack)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("../outside.glb", "leaves the pack"),
        ("assets/../../outside.glb", "leaves the pack"),
        ("/etc/passwd.glb", "absolute"),
        ("C:/windows/x.glb", "absolute"),
        ("assets\\\\box.glb", "backslash"),
    ],
)
def test_paths_leaving_the_pack_are_refused(pack: Path, path: str, expected: str) -> None:
    (pack.parent / "outside.glb").write_bytes(box_glb())
    before = snapshot(pack.parent)
    msg = problems_of(pack, MINI_TOML.replace('mesh = "assets/box.glb"\nposition',
                                              f'mesh = "{path}"\nposition'))
    assert expected in msg and "scene.objects[0].mesh" in msg
    assert {k: v for k, v in snapshot(pack.parent).items() if "scenario.toml" not in k} == {
        k: v for k, v in before.items() if "scenario.toml" not in k
    }


def test_symlink_out_of_the_pack_is_refused(pack: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.glb"
    secret.write_bytes(box_glb())
    (pack / "assets" / "box.glb").unlink()
    (pack / "assets" / "box.glb").symlink_to(secret)
    before = snapshot(tmp_path)
    with pytest.raises(InvalidFileError, match="'assets/box.glb' is a symbolic link"):
        load_scenario(pack)
    assert snapshot(tmp_path) == before


def test_symlinked_folder_is_refused(pack: Path, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (pack / "more").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(InvalidFileError, match="'more' is a symbolic link"):
        load_scenario(pack)


def test_hard_link_out_of_the_pack_is_refused(pack: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.glb"
    secret.write_bytes(box_glb())
    (pack / "assets" / "box.glb").unlink()
    os.link(secret, pack / "assets" / "box.glb")
    with pytest.raises(InvalidFileError, match="has 2 hard links"):
        load_scenario(pack)


@pytest.mark.parametrize("name", ["../evil.toml", "/tmp/evil.toml", "a/../../evil.toml"])
def test_zip_slip_is_refused_and_nothing_is_written(pack: Path, tmp_path: Path,
                                                    name: str) -> None:
    z = zip_folder(pack, tmp_path / "slip.zip", extra={name: b"x = 1"})
    before = snapshot(tmp_path)
    with pytest.raises(InvalidFileError, match="leaves the pack|absolute"):
        load_scenario(z)
    assert snapshot(tmp_path) == before
    assert not Path("/tmp/evil.toml").exists()


def test_zip_symlink_member_is_refused(pack: Path, tmp_path: Path) -> None:
    z = zip_folder(pack, tmp_path / "link.zip")
    with zipfile.ZipFile(z, "a") as zf:
        info = zipfile.ZipInfo("assets/link.glb")
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(InvalidFileError, match="is a symbolic link"):
        load_scenario(z)


def test_zip_bomb_by_ratio_is_refused(pack: Path, tmp_path: Path) -> None:
    z = zip_folder(pack, tmp_path / "bomb.zip", extra={"assets/zeros.bin": bytes(4 << 20)})
    with pytest.raises(InvalidFileError, match="compresses more than 200:1"):
        load_scenario(z)


def test_zip_member_lying_about_a_huge_size_is_refused(pack: Path, tmp_path: Path) -> None:
    z = zip_folder(pack, tmp_path / "big.zip")
    patch_central_sizes(z, "assets/box.glb", MAX_FILE_BYTES + 1)
    with pytest.raises(InvalidFileError, match="over the cap .* \\(zip bomb\\?\\)"):
        load_scenario(z)


def test_zip_total_over_the_cap_is_refused(pack: Path, tmp_path: Path) -> None:
    # Each member is under the per-file cap and the ratio cap; together they are not.
    extra = {f"assets/part{i}.bin": os.urandom(700_000) for i in range(5)}
    z = zip_folder(pack, tmp_path / "total.zip", extra=extra)
    for i in range(5):
        patch_central_sizes(z, f"assets/part{i}.bin", MAX_PACK_BYTES // 4 - 1)
    with pytest.raises(InvalidFileError, match="unpacks to more than the cap"):
        load_scenario(z)


def test_zip_member_shorter_than_declared_is_damaged(pack: Path, tmp_path: Path) -> None:
    z = zip_folder(pack, tmp_path / "short.zip")
    patch_central_sizes(z, "takes/expert-1.vrtake", 30_000)
    with open_pack(z) as p, pytest.raises(InvalidFileError, match="damaged|not the size"):
        p.reference_takes(p.scenario.steps[0])


@pytest.mark.parametrize("name", ["evil.pkl", "code.py", "lib.so", "run.exe", "data.npy",
                                  "data.npz", "nested.zip", "tool.sh"])
def test_code_and_pickles_are_refused_by_type(pack: Path, name: str) -> None:
    (pack / "assets" / name).write_bytes(b"whatever")
    with pytest.raises(InvalidFileError, match="is not allowed in a scenario pack"):
        load_scenario(pack)


@pytest.mark.parametrize(
    ("content", "what"),
    [(b"\x80\x04\x95\x00", "pickle"), (b"\x7fELF\x02\x01", "ELF"), (b"#!/bin/sh\n", "script")],
)
def test_code_and_pickles_are_refused_by_content(pack: Path, tmp_path: Path, content: bytes,
                                                 what: str) -> None:
    (pack / "assets" / "box.glb").write_bytes(content + bytes(64))
    with pytest.raises(InvalidFileError, match=what):
        open_pack(pack)
    (pack / "assets" / "box.glb").write_bytes(box_glb())
    (pack / "assets" / "unused.png").write_bytes(content + bytes(64))
    with pytest.raises(InvalidFileError, match=f"'assets/unused.png' is .*{what}"):
        open_pack(zip_folder(pack, tmp_path / "sniffed.zip"))


def test_pickle_inside_a_take_is_refused(pack: Path, tmp_path: Path) -> None:
    take = pack / "takes" / "expert-1.vrtake"
    members = {}
    with zipfile.ZipFile(take) as z:
        for n in z.namelist():
            members[n] = z.read(n)
    members["poses.npy"] = object_npy()
    with zipfile.ZipFile(take, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    assert any("pickle" in str(p) for p in validate_pack(pack))
    with open_pack(pack) as p, pytest.raises(InvalidFileError, match="pickle"):
        p.reference_takes(p.scenario.steps[0])


def test_huge_array_inside_a_take_is_refused(pack: Path) -> None:
    take = pack / "takes" / "expert-1.vrtake"
    with zipfile.ZipFile(take) as z:
        members = {n: z.read(n) for n in z.namelist()}
    buf = io.BytesIO()
    header = {"descr": "<f4", "fortran_order": False, "shape": (10**9, 2, 26, 7)}
    np.lib.format.write_array_header_1_0(buf, header)
    members["poses.npy"] = buf.getvalue() + bytes(1024)
    with zipfile.ZipFile(take, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    with open_pack(pack) as p, pytest.raises(InvalidFileError, match="poses"):
        p.reference_takes(p.scenario.steps[0])


def test_billion_face_mesh_is_refused_before_trimesh(pack: Path) -> None:
    (pack / "assets" / "box.glb").write_bytes(billion_face_glb())
    with open_pack(pack) as p, pytest.raises(InvalidFileError,
                                             match="declares 3000000000 elements"):
        p.load_mesh("assets/box.glb")
    with open_pack(pack) as p, pytest.raises(InvalidFileError, match="3000000000"):
        p.mesh_path("assets/box.glb")
    assert any("3000000000" in str(p) for p in validate_pack(pack))


def test_gltf_with_external_uri_outside_is_refused(pack: Path) -> None:
    (pack / "assets" / "scene.gltf").write_text(
        '{"asset": {"version": "2.0"}, "buffers": [{"byteLength": 10, "uri": "../../x.bin"}]}'
    )
    with open_pack(pack) as p, pytest.raises(InvalidFileError, match="leaves the pack"):
        p.load_mesh("assets/scene.gltf")
    (pack / "assets" / "scene.gltf").write_text(
        '{"asset": {"version": "2.0"}, "buffers": [{"byteLength": 10, '
        '"uri": "file:///etc/passwd"}]}'
    )
    with open_pack(pack) as p, pytest.raises(InvalidFileError, match="not a plain relative"):
        p.load_mesh("assets/scene.gltf")


def test_truncated_glb_is_refused(pack: Path) -> None:
    (pack / "assets" / "box.glb").write_bytes(box_glb()[:100])
    with open_pack(pack) as p, pytest.raises(InvalidFileError, match="GLB"):
        p.load_mesh("assets/box.glb")


# -- command line ----------------------------------------------------------------------


def test_cli_validate_ok_and_refusal(pack: Path, capsys) -> None:
    assert main(["scenario", "validate", str(pack)]) == 0
    assert "ok: mini-weld 0.1.0" in capsys.readouterr().out
    (pack / "assets" / "box.glb").write_bytes(billion_face_glb())
    assert main(["scenario", "validate", str(pack)]) == 2
    err = capsys.readouterr().err
    assert "3000000000" in err and "Traceback" not in err


def test_cli_show_and_list_a_user_folder(pack: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("VRTRAINER_SCENARIOS", str(pack.parent))
    assert main(["scenario", "show", "mini-weld", "--lang", "fr"]) == 0
    out = capsys.readouterr().out
    assert "Mini soudure" in out and "Angle de travail" in out and "Work angle" not in out
    assert main(["scenario", "list", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"mini-weld"' in out and '"Mini soudure"' in out


def test_find_unknown_scenario(monkeypatch) -> None:
    monkeypatch.setenv("VRTRAINER_SCENARIOS", "/nonexistent")
    with pytest.raises(VrtrainerError, match="no scenario 'nope'"):
        load_scenario(__import__("vrtrainer.scenario").scenario.find_scenario("nope"))


def test_documented_caps_match_the_code() -> None:
    from vrtrainer.scenario import gltfcheck, loader, packfiles

    doc = (Path(__file__).resolve().parents[1] / "docs" / "scenarios.md").read_text()
    mib = 1024 * 1024
    for row, value in [
        ("files and folders in a pack / zip members", f"{packfiles.MAX_ENTRIES}"),
        ("folder depth in a pack", f"{packfiles.MAX_DEPTH}"),
        ("one file, uncompressed", f"{packfiles.MAX_FILE_BYTES // mib} MiB"),
        ("whole pack, uncompressed", f"{packfiles.MAX_PACK_BYTES // mib} MiB"),
        ("zip member compression ratio (members over "
         f"{packfiles.RATIO_EXEMPT_BYTES // 1024} KiB)", f"{packfiles.MAX_RATIO}:1"),
        ("scenario.toml size", f"{loader.MAX_TOML_BYTES // 1024} KiB"),
        ("scenario.toml nesting (brackets, tables, dotted keys)", f"{loader.MAX_TOML_DEPTH}"),
        ("mesh file", f"{loader.MAX_MESH_FILE_BYTES // mib} MiB"),
        ("glTF JSON part", f"{gltfcheck.MAX_JSON_BYTES // mib} MiB"),
        ("elements in one glTF accessor", f"{gltfcheck.MAX_ACCESSOR_COUNT:,}"),
        ("triangles in one mesh file", f"{gltfcheck.MAX_TRIANGLES:,}"),
        ("glTF buffers in one mesh file", f"{gltfcheck.MAX_MESH_BYTES // mib} MiB"),
    ]:
        assert f"| {row} | {value} |" in doc, row


def test_tool_world_pose_is_the_grip_composed_on_the_holder() -> None:
    from vrtrainer.hands.hand import quat_to_matrix
    from vrtrainer.scenario import ToolSpec, Transform

    rng = np.random.default_rng(3)
    q = rng.normal(size=4)
    grip = Transform(position=(0.01, -0.03, -0.2), rotation=tuple(q / np.linalg.norm(q)))
    tool = ToolSpec("t", "t.glb", "right_hand", grip, (0, 0, 0), (0, 0, -1))
    holders = rng.normal(size=(5, 7))
    holders[:, 3:] /= np.linalg.norm(holders[:, 3:], axis=1, keepdims=True)
    poses = tool.world_pose(holders)
    for h, p in zip(holders, poses):
        m = np.eye(4)
        m[:3, :3] = quat_to_matrix(h[3:])
        m[:3, 3] = h[:3]
        want = m @ grip.matrix()
        assert np.allclose(p[:3], want[:3, 3])
        assert np.allclose(quat_to_matrix(p[3:]), want[:3, :3])


def test_toml_scan_lines_survive_multiline_values() -> None:
    from vrtrainer.scenario.tomlscan import scan_toml

    text = '''a = 1
b = """
[not.a.header]
c = 2
"""
d = [
  1,
  [2, 3],
]
[t."quoted.key"]
e = 'x # not a comment ['
[[arr]]
f = 1
[[arr]]
f = 2
[arr.sub]
g = 3
'''
    scan = scan_toml(text)
    assert scan.lines[("a",)] == 1 and scan.lines[("b",)] == 2 and scan.lines[("d",)] == 6
    assert ("not", "a", "header") not in scan.lines and ("c",) not in scan.lines
    assert scan.lines[("t", "quoted.key", "e")] == 11
    assert scan.lines[("arr", 0, "f")] == 13 and scan.lines[("arr", 1, "f")] == 15
    assert scan.lines[("arr", 1, "sub", "g")] == 17
    assert scan.line_of(("d", 1, 0)) == 6
    assert scan.max_depth == 2
