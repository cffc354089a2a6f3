"""Packs declare their simulated motion as data; every mistake in it is a clear error.

The ``[motion]`` table names a builder of vrtrainer.trade.motions with parameters
and faults; nothing is run from the pack. The four bundled packs moved from an
engine table keyed by scenario id to their own declarations.
"""

from __future__ import annotations

import numpy as np
import pytest
from packmaker import MINI_TOML, make_pack

from vrtrainer.cli import main
from vrtrainer.errors import VrtrainerError
from vrtrainer.scenario import ScenarioError, find_scenario, load_scenario
from vrtrainer.trade import motions

MOTION = """
[motion]
builder = "seam_weld"
params = { tool = "torch", frame = "seam", part = "weld", speed = 0.02 }

[motion.faults]
steep = { work = 70.0 }
"""


def _pack(tmp_path, extra: str = MOTION, toml: str = MINI_TOML):
    return make_pack(tmp_path / "pack", toml + extra)


def test_a_declared_motion_is_simulated_and_its_fault_changes_it(tmp_path) -> None:
    sc = load_scenario(_pack(tmp_path))
    assert motions.check_motion(sc) == []
    good = motions.step_gesture(sc, "weld")
    steep = motions.step_gesture(sc, "weld", "steep")
    assert good.keyframes[-1].time == pytest.approx(steep.keyframes[-1].time)
    assert not np.allclose(good.keyframes[3].tools["torch"], steep.keyframes[3].tools["torch"])
    with pytest.raises(VrtrainerError, match="unknown fault 'nope'.*known: steep"):
        motions.step_gesture(sc, "weld", "nope")


@pytest.mark.parametrize("extra, message", [
    ('\n[motion]\nbuilder = "teleport"\n', "unknown motion builder 'teleport'"),
    ('\n[motion]\nbuilder = "seam_weld"\nparams = { tool = "torch", frame = "seam", '
     'part = "weld", wobble = 1 }\n', "has no parameter 'wobble'"),
    ('\n[motion]\nbuilder = "seam_weld"\nparams = { tool = "torch", frame = "seam", '
     'part = "weld", work = 400 }\n', "400 is outside -90 to 90"),
    ('\n[motion]\nbuilder = "seam_weld"\nparams = { tool = "hammer", frame = "seam", '
     'part = "weld" }\n', "no tool named 'hammer'"),
    ('\n[motion]\nbuilder = "seam_weld"\nparams = { tool = "torch", frame = "seam" }\n',
     "needs 'part'"),
    ('\n[motion]\nbuilder = "tool_path"\nparams = { tool = "torch", frame = "seam", '
     'path = [{ t = 0, at = [0, 0, 0] }, { t = 1, at = [0, 0, 0], roll = 200 }] }\n',
     "keep each turn under 179"),
    ('\n[motion]\nbuilder = "tool_path"\nparams = { tool = "torch", frame = "seam", '
     'path = [{ t = 1, at = [0, 0, 0] }, { t = 0.5, at = [0, 0], spin = 3 }] }\n',
     "times must increase"),
])
def test_declared_motion_mistakes_are_refused_by_validate(tmp_path, capsys, extra,
                                                          message) -> None:
    pack = _pack(tmp_path, extra)
    assert main(["scenario", "validate", str(pack)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    with pytest.raises(VrtrainerError, match="simulated motion|unknown motion builder"):
        motions.step_gesture(load_scenario(pack), "weld")


def test_the_schema_refuses_what_is_not_data(tmp_path) -> None:
    bad = '\n[motion]\nbuilder = "seam_weld"\nparams = { tool = { deep = { deeper = 1 } } }\n'
    with pytest.raises(ScenarioError, match="motion"):
        load_scenario(_pack(tmp_path, bad))
    with pytest.raises(ScenarioError, match="builder"):
        load_scenario(make_pack(tmp_path / "p2", MINI_TOML + "\n[motion]\nparams = {}\n"))


def test_a_pack_without_motion_loads_but_cannot_be_simulated(tmp_path) -> None:
    sc = load_scenario(_pack(tmp_path, ""))
    assert sc.motion is None and motions.check_motion(sc) == []
    with pytest.raises(VrtrainerError, match=r"declares no simulated motion \(\[motion\]"):
        motions.step_gesture(sc, "weld")


def test_bundled_packs_declare_their_motion_and_the_engine_keys_nothing_by_id() -> None:
    builders = {}
    for sid in ("welding-fillet", "spray-panel", "hand-rub", "cpr-compressions",
                "screw-terminal"):
        sc = load_scenario(find_scenario(sid))
        assert motions.check_motion(sc) == [], sid
        builders[sid] = sc.motion.builder
    assert builders == {"welding-fillet": "seam_weld", "spray-panel": "spray_passes",
                        "hand-rub": "hand_rub", "cpr-compressions": "chest_compressions",
                        "screw-terminal": "tool_path"}
    source = open(motions.__file__, encoding="utf-8").read()
    for sid in builders:
        assert f'"{sid}":' not in source, sid  # no table keyed by pack id


def test_tool_path_turns_the_tool_the_declared_way() -> None:
    sc = load_scenario(find_scenario("screw-terminal"))
    right = motions.step_gesture(sc, "drive")
    wrong = motions.step_gesture(sc, "drive", "wrong-direction")
    axis = -sc.frames["terminal"].normal

    def turn(g) -> float:  # signed turn about the working axis between the first keys
        from scipy.spatial.transform import Rotation

        a, b = (Rotation.from_quat(k.tools["screwdriver"][3:]) for k in g.keyframes[1:3])
        return float(np.degrees((b * a.inv()).as_rotvec() @ axis))

    assert turn(right) == pytest.approx(90.0, abs=1e-6)
    assert turn(wrong) == pytest.approx(-90.0, abs=1e-6)


def test_the_default_scene_is_data_beside_the_shared_meshes() -> None:
    import tomllib
    from pathlib import Path

    from vrtrainer.assets import assets_dir
    from vrtrainer.render import scene

    spec = tomllib.loads((assets_dir() / scene.DEFAULT_SCENE_FILE).read_text())
    assert set(scene.default_scene().tools) == set(spec["tools"]) == {"torch", "screwdriver"}
    render = Path(scene.__file__).parent
    for f in render.glob("*.py"):
        assert "welding_torch" not in f.read_text(encoding="utf-8"), f
    with pytest.raises(Exception, match="not a .glb file name"):
        scene._asset_glb("../scenarios/x.glb", "default_scene.toml")
