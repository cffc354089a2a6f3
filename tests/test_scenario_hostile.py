"""Scenario packs accepted without a word before issue 14: NaN and infinite numbers, ids with
a trailing newline, a hostile template named by a step, pickles named .png, DEL in names."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from packmaker import MINI_TOML, make_pack, zip_folder

from vrtrainer.compare.template import build_template, save_template
from vrtrainer.errors import InvalidFileError
from vrtrainer.hands import sim
from vrtrainer.scenario import ScenarioError, load_scenario, open_pack, validate_pack


def _with(tmp_path: Path, old: str, new: str) -> Path:
    assert old in MINI_TOML
    return make_pack(tmp_path / "pack", MINI_TOML.replace(old, new))


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("pass_threshold = 70", "pass_threshold = nan", "pass_threshold"),
        ("time_limits = { min = 1, max = 30 }", "time_limits = { min = 1, max = inf }",
         "time_limits.max"),
        ("joint_weights = { all = 1,", "joint_weights = { all = nan,", "joint_weights.all"),
        ("axis = [0, 0, -1]", "axis = [0, nan, -1]", "axis[1]"),
        ('position = [0, 0.8, -0.4]', 'position = [0, 0.8, -0.4]\nrotation = [0, 0, 0, nan]',
         "rotation[3]"),
        ("origin = [0, 0.9, -0.4]", "origin = [0, -inf, -0.4]", "origin[1]"),
        ("max = 55", "max = 55\nsmoothing = nan", "smoothing"),
        ("ideal = 45", "ideal = 1e300", "ideal"),
    ],
    ids=["pass_threshold", "time_limit", "weight", "axis", "rotation", "origin", "smoothing",
         "huge"],
)
def test_nan_and_infinite_numbers_are_refused(tmp_path, old, new, key):
    pack = _with(tmp_path, old, new)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(pack)
    assert any(key in p.key and ("finite" in p.message or "beyond" in p.message)
               for p in caught.value.problems), caught.value.problems


@pytest.mark.parametrize(
    ("old", "new"),
    [('id = "mini-weld"', 'id = "mini-weld\\n"'), ('id = "weld"', 'id = "weld\\n"'),
     ('version = "0.1.0"', 'version = "0.1.0\\n"'), ('name = "bench"', 'name = "bench\\n"')],
    ids=["pack-id", "step-id", "version", "object-name"],
)
def test_a_trailing_newline_in_an_id_is_refused(tmp_path, old, new):
    with pytest.raises(ScenarioError, match="does not match"):
        load_scenario(_with(tmp_path, old, new))


@pytest.mark.parametrize("version", ["1.0", "true"])
def test_schema_version_must_be_the_integer(tmp_path, version):
    with pytest.raises(ScenarioError, match="schema version"):
        load_scenario(_with(tmp_path, "schema_version = 1", f"schema_version = {version}"))


def test_validate_loads_the_template_a_step_names(tmp_path):
    pack = _with(tmp_path, 'reference = { takes = ["takes/expert-1.vrtake"] }',
                 'reference = { takes = ["takes/expert-1.vrtake"], template = "takes/ref.vrref" }')
    takes = [sim.simulate("pinch", seed=s, rate=30.0) for s in (1, 2)]
    path = save_template(build_template(takes, iterations=2), pack / "takes" / "ref.vrref")
    assert validate_pack(pack) == []
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    import io

    buf = io.BytesIO()
    t = np.load(io.BytesIO(members["times.npy"]))
    np.save(buf, np.arange(t.size) * 1e-9)
    members["times.npy"] = buf.getvalue()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    problems = validate_pack(pack)
    assert any("ref.vrref" in str(p) and "step" in str(p) for p in problems), problems



def test_validate_loads_every_take_a_step_names(tmp_path):
    """A reference take with nanosecond steps is refused by validate (issue 14, item 3),
    not left for `train` to meet."""
    pack = _with(tmp_path, "pass_threshold = 70", "pass_threshold = 70")
    assert validate_pack(pack) == []
    path = pack / "takes" / "expert-1.vrtake"
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    import io

    buf = io.BytesIO()
    t = np.load(io.BytesIO(members["times.npy"]))
    np.save(buf, np.arange(t.size) * 1e-9)
    members["times.npy"] = buf.getvalue()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
    problems = validate_pack(pack)
    assert any("expert-1.vrtake" in str(p) and "step" in str(p) for p in problems), problems

def test_a_pickle_named_png_is_refused_by_its_content(tmp_path):
    pack = make_pack(tmp_path / "pack")
    import pickle

    (pack / "assets" / "look.png").write_bytes(pickle.dumps({"a": 1}, protocol=0))
    with pytest.raises(InvalidFileError, match="look.png.*not a PNG"):
        open_pack(pack)
    (pack / "assets" / "look.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(32))
    with open_pack(pack):
        pass


def test_binary_named_as_text_is_refused(tmp_path):
    pack = make_pack(tmp_path / "pack")
    (pack / "NOTES.md").write_bytes(b"ab\x00\x01cdef")
    with pytest.raises(InvalidFileError, match="not UTF-8 text"):
        open_pack(pack)


@pytest.mark.parametrize("char", ["\x7f", "\x85"])
def test_del_and_c1_characters_in_member_names_are_refused(tmp_path, char):
    pack = make_pack(tmp_path / "pack")
    zipped = zip_folder(pack, tmp_path / "p.zip", {f"assets/x{char}y.txt": b"hello"})
    with pytest.raises(InvalidFileError, match="control character"):
        open_pack(zipped)


@pytest.mark.parametrize("name", ["cue.wav", "tex.jpg", "tex.ktx2", "ref.vrref"])
def test_other_typed_files_must_start_as_their_type(tmp_path, name):
    pack = make_pack(tmp_path / "pack")
    (pack / "assets" / name).write_bytes(b"(dp0\nS'a'\np1\nI1\ns.")  # a protocol-0 pickle
    with pytest.raises(InvalidFileError, match="first bytes"):
        open_pack(pack)
