"""Short fuzzing of the pack loaders: outcomes are a load or the project's own error."""

from __future__ import annotations

import json
import os
import warnings
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from packmaker import MINI_TOML, box_glb, glb_from_json

from vrtrainer.errors import InvalidFileError, VrtrainerError
from vrtrainer.scenario import open_pack
from vrtrainer.scenario.gltfcheck import check_gltf, split_glb
from vrtrainer.scenario.loader import check_document, parse_scenario_toml
from vrtrainer.scenario.tomlscan import scan_toml

#: Examples per loader; raise it (e.g. 100000) for a long run.
EXAMPLES = int(os.environ.get("VRTRAINER_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
GLB = box_glb()
GLB_DOC = json.loads(split_glb(GLB, "box")[0])


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_as_glb(data: bytes) -> None:
    try:
        check_gltf(b"glTF" + data, "fuzz.glb", glb=True)
    except InvalidFileError:
        pass


@FUZZ
@given(st.data())
def test_mutated_gltf_declarations(data) -> None:
    doc = json.loads(json.dumps(GLB_DOC))
    for _ in range(data.draw(st.integers(1, 4))):
        key = data.draw(st.sampled_from(["accessors", "bufferViews", "buffers", "meshes"]))
        items = doc.get(key) or [{}]
        item = items[data.draw(st.integers(0, len(items) - 1))]
        field = data.draw(st.sampled_from(["count", "byteLength", "byteOffset", "bufferView",
                                           "buffer", "componentType", "type", "uri",
                                           "byteStride", "primitives"]))
        item[field] = data.draw(st.one_of(
            st.integers(-2, 2**40), st.text(max_size=8), st.none(), st.booleans(),
            st.lists(st.integers(), max_size=2)))
    bin_chunk = split_glb(GLB, "box")[1]
    try:
        check_gltf(glb_from_json(doc, bin_chunk), "fuzz.glb", glb=True)
    except InvalidFileError:
        pass


@FUZZ
@given(st.text(max_size=600))
def test_random_text_as_scenario_toml(text: str) -> None:
    scan_toml(text)
    try:
        doc, scan = parse_scenario_toml(text.encode("utf-8", "surrogatepass"), "f.toml")
        check_document(doc, scan, "f.toml")
    except VrtrainerError:
        pass


@FUZZ
@given(st.data())
def test_mutated_scenario_toml(data) -> None:
    lines = MINI_TOML.splitlines()
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["drop", "dup", "garble", "value"]))
        if op == "drop":
            lines.pop(i)
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "garble":
            lines[i] = data.draw(st.text(max_size=30))
        elif "=" in lines[i]:
            key = lines[i].split("=", 1)[0]
            value = data.draw(st.sampled_from(
                ['""', "-1", "1e400", "[]", "{}", '"../x"', "true", "[[1]]", '"/etc/x.glb"']))
            lines[i] = f"{key}= {value}"
        if not lines:
            lines = [""]
    text = "\n".join(lines) + "\n"
    scan_toml(text)
    try:
        doc, scan = parse_scenario_toml(text.encode(), "f.toml")
        check_document(doc, scan, "f.toml")
    except VrtrainerError:
        pass


@FUZZ
@given(names=st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=5))
def test_zip_member_names(tmp_path: Path, names: list[str]) -> None:
    z = tmp_path / "names.zip"
    try:
        with warnings.catch_warnings(), zipfile.ZipFile(z, "w") as zf:
            warnings.simplefilter("ignore")  # duplicate names are part of the test
            zf.writestr("scenario.toml", MINI_TOML)
            for name in names:
                zf.writestr(name, b"data")
    except (IndexError, ValueError):  # names zipfile itself cannot write (e.g. "/")
        assume(False)
    before = sorted(p.name for p in tmp_path.parent.iterdir())
    try:
        with open_pack(z):
            pass
    except VrtrainerError:
        pass
    assert sorted(p.name for p in tmp_path.parent.iterdir()) == before
