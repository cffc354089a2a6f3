"""Loading and validating scenario packs: scenario.toml -> :class:`Scenario`, safely.

The order of checks is what keeps a hostile pack harmless: the pack's files
are inventoried (links, types, sizes, zip bombs) before any is read; the TOML
is size- and depth-checked before ``tomllib`` sees it; the schema version is
checked before the schema; meshes have their declared sizes checked before a
mesh library sees them; arrays are read through :mod:`vrtrainer.takes.archive`. No
code from a pack is ever run: no pickle, no eval, no import.
"""

from __future__ import annotations

import io
import json
import math
import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, overload

import jsonschema  # deferred: only validation needs it
import numpy as np

from vrtrainer.compare.template import load_template
from vrtrainer.errors import InvalidFileError, VrtrainerError
from vrtrainer.hands.hand import JOINT_INDEX
from vrtrainer.scenario.gltfcheck import GltfInfo, check_gltf, resolve_external
from vrtrainer.scenario.model import (
    DEFAULT_PASS_THRESHOLD,
    DEFAULT_TOLERANCE,
    MetricSpec,
    MotionSpec,
    Scenario,
    SceneObject,
    Step,
    Text,
    ToolSpec,
    Transform,
    WorkFrame,
    resolve_joint_weights,
)
from vrtrainer.scenario.packfiles import PackFiles, check_relative_path
from vrtrainer.scenario.tomlscan import KeyPath, TomlScan, scan_toml
from vrtrainer.takes.take import load_take

SCENARIO_FILE = "scenario.toml"
#: Schema versions this vrtrainer reads.
SCHEMA_VERSIONS = (1,)
#: Cap on scenario.toml's size (bytes), checked before parsing.
MAX_TOML_BYTES = 256 * 1024
#: Cap on nesting (tables, arrays, inline tables) in scenario.toml.
MAX_TOML_DEPTH = 12
#: Cap on a mesh file of a pack (bytes).
MAX_MESH_FILE_BYTES = 64 * 1024 * 1024
#: Tolerance on quaternion and direction norms written by hand in TOML.
NORM_TOLERANCE = 1e-3

MESH_SUFFIXES = (".glb", ".gltf")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a pack: file, key path, line (if known), message."""

    file: str
    key: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ScenarioError(InvalidFileError):
    """A pack was refused; ``problems`` lists every problem found."""

    def __init__(self, path: str | Path, problems: list[Problem]) -> None:
        self.problems = problems
        text = "; ".join(str(p) for p in problems[:10])
        if len(problems) > 10:
            text += f"; and {len(problems) - 10} more"
        super().__init__(path, f"invalid scenario pack: {text}")


@lru_cache(maxsize=1)
def scenario_schema() -> dict:
    """The published JSON Schema of scenario.toml (vrtrainer/schemas/)."""
    ref = resources.files("vrtrainer").joinpath("schemas", "scenario.schema.json")
    return json.loads(ref.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validation_schema() -> dict:
    """The schema with each pattern's closing ``$`` made ``\\Z``.

    JSON Schema patterns are ECMA regular expressions, where ``$`` is the end of the
    text; Python's ``$`` also matches before a final newline, which let ``"weld\\n"``
    pass as an id.
    """

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: fix(v) for k, v in node.items()}
            pattern = out.get("pattern")
            if isinstance(pattern, str) and pattern.endswith("$") and not pattern.endswith("\\$"):
                out["pattern"] = pattern[:-1] + "\\Z"
            return out
        if isinstance(node, list):
            return [fix(v) for v in node]
        return node

    return fix(scenario_schema())


#: Largest magnitude of any number in scenario.toml: metres, seconds, degrees, weights and
#: thresholds are all far below it, and NaN or infinity is never a setting.
MAX_NUMBER = 1e6


def _check_numbers(doc: dict, out: _Collector) -> None:
    """Every float must be finite and within +-MAX_NUMBER (JSON Schema lets NaN through)."""
    stack: list[tuple[Any, KeyPath]] = [(doc, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, path + (k,)) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, path + (i,)) for i, v in enumerate(item))
        elif isinstance(item, float) and not (math.isfinite(item) and abs(item) <= MAX_NUMBER):
            out.add(path, f"{item!r} is not a finite number within +-{MAX_NUMBER:g}")
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) > MAX_NUMBER:
            out.add(path, f"{item} is beyond +-{MAX_NUMBER:g}")


def _key_text(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _Collector:
    """Gathers problems with their TOML line numbers."""

    def __init__(self, file: str, scan: TomlScan | None) -> None:
        self.file = file
        self.scan = scan
        self.problems: list[Problem] = []

    def add(self, path: KeyPath, message: str) -> None:
        line = self.scan.line_of(path) if self.scan else None
        self.problems.append(Problem(self.file, _key_text(path), line, message))


def _depth(value: Any) -> int:
    """Nesting depth of parsed TOML data, without recursion."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, d = stack.pop()
        deepest = max(deepest, d)
        if isinstance(item, dict):
            stack.extend((v, d + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, d + 1) for v in item)
    return deepest


def parse_scenario_toml(raw: bytes, file: str) -> tuple[dict, TomlScan]:
    """Parse scenario.toml bytes after the size and nesting caps; raise ScenarioError."""
    if len(raw) > MAX_TOML_BYTES:
        raise ScenarioError(file, [Problem(
            file, "", None, f"is {len(raw)} bytes, over the cap of {MAX_TOML_BYTES}")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(file, [Problem(file, "", None, f"is not UTF-8 text: {exc}")]) from None
    scan = scan_toml(text)
    if scan.max_depth > MAX_TOML_DEPTH:
        raise ScenarioError(file, [Problem(
            file, "", None,
            f"nests arrays/tables {scan.max_depth} deep, over the cap of {MAX_TOML_DEPTH}")])
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(file, [Problem(file, "", None, f"is not valid TOML: {exc}")]) from None
    except RecursionError:
        raise ScenarioError(file, [Problem(file, "", None, "nests too deeply")]) from None
    if _depth(doc) > MAX_TOML_DEPTH:
        raise ScenarioError(file, [Problem(
            file, "", None, f"nests keys deeper than the cap of {MAX_TOML_DEPTH}")])
    return doc, scan


def check_document(doc: dict, scan: TomlScan | None, file: str) -> list[Problem]:
    """Every problem of a parsed scenario.toml: version, schema, then cross-references."""
    out = _Collector(file, scan)
    version = doc.get("schema_version")
    if version is None:
        out.add((), f"no schema_version (this vrtrainer reads {list(SCHEMA_VERSIONS)})")
        return out.problems
    if type(version) is not int or version not in SCHEMA_VERSIONS:  # not true, not 1.0
        out.add(("schema_version",),
                f"schema version {version!r} is not supported (this vrtrainer reads "
                f"{list(SCHEMA_VERSIONS)}); update vrtrainer or use a pack of a known version")
        return out.problems

    _check_numbers(doc, out)
    if out.problems:
        return out.problems
    validator = jsonschema.Draft202012Validator(_validation_schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    for err in errors:
        message = err.message if len(err.message) <= 300 else err.message[:297] + "..."
        out.add(tuple(err.absolute_path), message)
    if out.problems:
        return out.problems
    _check_references(doc, out)
    return out.problems


def _unit(v: list[float]) -> float:
    return math.sqrt(sum(float(x) * float(x) for x in v))


def _check_references(doc: dict, out: _Collector) -> None:
    scene = doc.get("scene", {})
    names: dict[str, set[str]] = {}
    for group in ("objects", "tools", "frames"):
        seen: set[str] = set()
        for i, item in enumerate(scene.get(group, [])):
            if item["name"] in seen:
                out.add(("scene", group, i, "name"), f"duplicate name {item['name']!r}")
            seen.add(item["name"])
            for key in ("rotation",):
                if key in item and abs(_unit(item[key]) - 1) > NORM_TOLERANCE:
                    out.add(("scene", group, i, key), "quaternion is not unit length")
            if "grip" in item and "rotation" in item["grip"]:
                if abs(_unit(item["grip"]["rotation"]) - 1) > NORM_TOLERANCE:
                    out.add(("scene", group, i, "grip", "rotation"), "not a unit quaternion")
            for key in ("normal", "direction", "axis"):
                if key in item and _unit(item[key]) < 1e-9:
                    out.add(("scene", group, i, key), "vector has zero length")
            if group in ("objects", "tools"):
                if not item["mesh"].lower().endswith(MESH_SUFFIXES):
                    out.add(("scene", group, i, "mesh"), "mesh must be a .glb or .gltf file")
            if group == "frames" and "direction" in item:
                n, d = item.get("normal"), item["direction"]
                if n and _unit(n) > 1e-9 and _unit(d) > 1e-9:
                    cos = abs(sum(a * b for a, b in zip(n, d))) / (_unit(n) * _unit(d))
                    if cos > 1e-3:
                        out.add(("scene", group, i, "normal"),
                                "a frame's normal must be perpendicular to its direction")
        names[group] = seen
    frames = {f["name"]: f for f in scene.get("frames", [])}
    metrics = doc.get("metrics", {})
    for name, m in metrics.items():
        path = ("metrics", name)
        if not m["min"] <= m["ideal"] <= m["max"]:
            out.add(path + ("ideal",), "band must satisfy min <= ideal <= max")
        kind = m["kind"]
        if "tool" in m and m["tool"] not in names["tools"]:
            out.add(path + ("tool",), f"no tool named {m['tool']!r} in scene.tools")
        if "frame" in m:
            frame = frames.get(m["frame"])
            if frame is None:
                out.add(path + ("frame",), f"no frame named {m['frame']!r} in scene.frames")
            else:
                need = _frame_need(kind, m.get("along"))
                if need and frame["kind"] not in need[0]:
                    out.add(path + ("frame",), f"a {kind} metric needs {need[1]}")
                elif kind in ("work_angle", "tool_angle") and "normal" not in frame:
                    out.add(path + ("frame",), f"a {kind} metric needs a frame with a normal")
        if kind == "pass_overlap" and m.get("frame") in frames and not {
            "direction", "size"} <= set(frames[m["frame"]]):
            out.add(path + ("frame",), "pass overlap needs a plane with direction and size")
        if kind == "tool_speed" and m.get("along", "free") != "free" and "frame" not in m:
            out.add(path + ("along",), f"along = {m['along']!r} needs a frame")
        point = m.get("point", {})
        if "tool" in point and point["tool"] not in names["tools"]:
            out.add(path + ("point", "tool"), f"no tool named {point['tool']!r}")
        for key in ("point", "a", "b"):
            joint = m.get(key, {}).get("joint")
            if joint is not None and joint not in JOINT_INDEX:
                out.add(path + (key, "joint"), f"unknown joint {joint!r}")
        if kind in ("periodic_rate", "periodic_depth", "release", "hands_stacked"):
            if "axis" not in m and "frame" not in m:
                out.add(path, f"a {kind} metric needs an axis or a frame (its normal)")
        if "while" in m:
            other = metrics.get(m["while"])
            if other is None:
                out.add(path + ("while",), f"no metric named {m['while']!r}")
            elif other["kind"] == "hold":
                out.add(path + ("while",), "a hold cannot depend on another hold")
        if "axis" in m and _unit(m["axis"]) < 1e-9:
            out.add(path + ("axis",), "vector has zero length")
    step_ids: set[str] = set()
    for i, step in enumerate(doc["steps"]):
        path = ("steps", i)
        if step["id"] in step_ids:
            out.add(path + ("id",), f"duplicate step id {step['id']!r}")
        step_ids.add(step["id"])
        for name in step.get("metrics", []):
            if name not in metrics:
                out.add(path + ("metrics",), f"no metric named {name!r} in [metrics]")
        try:
            resolve_joint_weights(step.get("joint_weights", {}))
        except KeyError as exc:
            out.add(path + ("joint_weights",), f"unknown joint or finger {exc.args[0]!r}")
        limits = step.get("time_limits", {})
        if "min" in limits and "max" in limits and limits["min"] > limits["max"]:
            out.add(path + ("time_limits",), "min is over max")
        ref = step["reference"]
        for j, rel in enumerate(ref.get("takes", [])):
            if not rel.endswith(".vrtake"):
                out.add(path + ("reference", "takes", j), "reference takes must be .vrtake files")
        if "template" in ref and not ref["template"].endswith(".vrref"):
            out.add(path + ("reference", "template"), "a template must be a .vrref file")
    total = doc.get("total_time", {})
    if "min" in total and "max" in total and total["min"] > total["max"]:
        out.add(("total_time",), "min is over max")


def _frame_need(kind: str, along: str | None) -> tuple[tuple[str, ...], str] | None:
    if kind in ("work_angle", "travel_angle"):
        return ("line",), "a line frame (seam)"
    if kind == "tool_angle":
        return ("plane", "line"), "a plane or line frame"
    if kind == "tool_speed" and along == "direction":
        return ("line",), "a line frame to move along"
    if kind == "tool_speed" and along == "plane":
        return ("plane",), "a plane frame to move over"
    if kind == "pass_overlap":
        return ("plane",), "a plane frame with direction and size"
    return None


def pack_paths(doc: dict) -> list[tuple[KeyPath, str]]:
    """Every file a scenario.toml refers to, with the key path that names it."""
    refs: list[tuple[KeyPath, str]] = []
    scene = doc.get("scene", {})
    for group in ("objects", "tools"):
        for i, item in enumerate(scene.get(group, [])):
            refs.append((("scene", group, i, "mesh"), item["mesh"]))
    for i, step in enumerate(doc["steps"]):
        for j, rel in enumerate(step["reference"].get("takes", [])):
            refs.append((("steps", i, "reference", "takes", j), rel))
        if "template" in step["reference"]:
            refs.append((("steps", i, "reference", "template"), step["reference"]["template"]))
    return refs


@overload
def _text(d: dict) -> Text: ...
@overload
def _text(d: None) -> None: ...
@overload
def _text(d: dict | None) -> Text | None: ...
def _text(d: dict | None) -> Text | None:
    return None if d is None else Text(fr=d["fr"], en=d["en"])


def _vec3(v: Iterable[float]) -> tuple[float, float, float]:
    x, y, z = (float(c) for c in v)
    return x, y, z


def _transform(d: dict) -> Transform:
    scale = d.get("scale", 1.0)
    if not isinstance(scale, list):
        scale = [scale] * 3
    rot = np.array(d.get("rotation", [0, 0, 0, 1]), dtype=float)
    rot /= np.linalg.norm(rot)
    x, y, z, w = (float(v) for v in rot)
    return Transform(
        position=_vec3(d.get("position", [0, 0, 0])),
        rotation=(x, y, z, w),
        scale=_vec3(scale),
    )


def _unit_vec(v: list[float] | None) -> np.ndarray | None:
    return None if v is None else _normalized(v)


def _normalized(v: list[float]) -> np.ndarray:
    a = np.array(v, dtype=float)
    a /= np.linalg.norm(a)
    a.setflags(write=False)
    return a


def build_scenario(doc: dict, source: Path) -> Scenario:
    """A :class:`Scenario` from a document that :func:`check_document` accepted."""
    scene = doc.get("scene", {})
    objects = tuple(
        SceneObject(o["name"], o["mesh"], _transform(o)) for o in scene.get("objects", [])
    )
    tools = tuple(
        ToolSpec(
            name=t["name"], mesh=t["mesh"], held_by=t["held_by"],
            grip=_transform(t.get("grip", {})),
            tip=_vec3(t["tip"]),
            axis=_vec3(_normalized(t["axis"])),
        )
        for t in scene.get("tools", [])
    )
    frames = {}
    for f in scene.get("frames", []):
        origin = np.array(f["origin"], dtype=float)
        origin.setflags(write=False)
        frames[f["name"]] = WorkFrame(
            name=f["name"], kind=f["kind"], origin=origin,
            normal=_unit_vec(f.get("normal")), direction=_unit_vec(f.get("direction")),
            length=f.get("length"), size=tuple(f["size"]) if "size" in f else None,
        )
    metric_keys = ("kind", "label", "ideal", "min", "max", "weight", "advice_low", "advice_high")
    metrics = {
        name: MetricSpec(
            name=name, kind=m["kind"], label=_text(m["label"]),
            ideal=float(m["ideal"]), min=float(m["min"]), max=float(m["max"]),
            weight=float(m.get("weight", 1.0)),
            advice_low=_text(m.get("advice_low")), advice_high=_text(m.get("advice_high")),
            params={k: v for k, v in m.items() if k not in metric_keys},
        )
        for name, m in doc.get("metrics", {}).items()
    }
    steps = []
    for s in doc["steps"]:
        limits = s.get("time_limits", {})
        steps.append(Step(
            id=s["id"],
            title=_text(s.get("title")) or Text(fr=s["id"], en=s["id"]),
            instruction=_text(s["instruction"]),
            hands=s["hands"],
            reference_takes=tuple(s["reference"].get("takes", ())),
            reference_template=s["reference"].get("template"),
            joint_weights=resolve_joint_weights(s.get("joint_weights", {})),
            tolerance=float(s.get("tolerance", DEFAULT_TOLERANCE)),
            pass_threshold=float(s.get("pass_threshold", DEFAULT_PASS_THRESHOLD)),
            time_min=limits.get("min"), time_max=limits.get("max"),
            metrics=tuple(s.get("metrics", ())),
            motion=dict(s.get("motion", {})),
        ))
    total = doc.get("total_time", {})
    return Scenario(
        schema_version=doc["schema_version"], id=doc["id"], version=doc["version"],
        title=_text(doc["title"]), instructions=_text(doc["instructions"]),
        trade=doc["trade"], licence=doc["licence"], authors=tuple(doc["authors"]),
        steps=tuple(steps), objects=objects, tools=tools, frames=frames, metrics=metrics,
        total_min=total.get("min"), total_max=total.get("max"), source=source,
        motion=_motion(doc.get("motion")),
    )


def _motion(d: dict | None) -> MotionSpec | None:
    if d is None:
        return None
    return MotionSpec(builder=d["builder"], params=dict(d.get("params", {})),
                      faults={k: dict(v) for k, v in d.get("faults", {}).items()})


class Pack:
    """An open scenario pack: its :class:`Scenario` and checked access to its files.

    Use as a context manager; zip packs may hold a private temporary folder
    until :meth:`close`.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.files = PackFiles(self.path)
        try:
            self.scenario = self._load()
        except BaseException:
            self.files.close()
            raise

    def _load(self) -> Scenario:
        file = f"{self.path}/{SCENARIO_FILE}"
        if not self.files.exists(SCENARIO_FILE):
            raise ScenarioError(self.path, [Problem(str(self.path), "", None,
                                                    f"no {SCENARIO_FILE} at the pack's root")])
        raw = self.files.read_bytes(SCENARIO_FILE, MAX_TOML_BYTES)
        doc, scan = parse_scenario_toml(raw, file)
        problems = check_document(doc, scan, file)
        if not problems:
            out = _Collector(file, scan)
            for key, rel in pack_paths(doc):
                try:
                    check_relative_path(self.path, rel)
                except InvalidFileError as exc:
                    out.add(key, exc.problem)
                    continue
                if not self.files.exists(rel):
                    out.add(key, f"file {rel!r} is not in the pack")
            problems = out.problems
        if problems:
            raise ScenarioError(self.path, problems)
        return build_scenario(doc, self.path)

    # -- references --------------------------------------------------------

    def reference_path(self, rel: str) -> Path:
        """A readable file for the pack file ``rel`` (a copy for zip packs)."""
        return self.files.materialize(rel)

    def reference_takes(self, step: Step) -> list:
        """The step's expert takes, each read and validated by :func:`load_take`."""

        return [load_take(self.reference_path(rel)) for rel in step.reference_takes]

    # -- meshes ------------------------------------------------------------

    def check_mesh(self, rel: str) -> tuple[bytes, dict[str, bytes], GltfInfo]:
        """Read a mesh file and its external resources after checking their declarations."""
        data = self.files.read_bytes(rel, MAX_MESH_FILE_BYTES)
        where = f"{self.path}/{rel}"
        _, _, info = check_gltf(data, where, glb=rel.lower().endswith(".glb"))
        resources_: dict[str, bytes] = {}
        for uri in info.external:
            target = resolve_external(rel, uri)
            try:
                check_relative_path(self.path, target)
            except InvalidFileError as exc:
                raise InvalidFileError(where, f"resource {uri!r}: {exc.problem}") from None
            resources_[uri] = self.files.read_bytes(target, MAX_MESH_FILE_BYTES)
        return data, resources_, info

    def mesh_path(self, rel: str) -> Path:
        """A checked GLB file for renderers that load meshes by path.

        The file's declarations are checked first (:meth:`check_mesh`); zip
        packs give a private copy. A .gltf with external files has no single
        path: use :meth:`load_mesh` for it.
        """
        if not rel.lower().endswith(".glb"):
            raise InvalidFileError(f"{self.path}/{rel}", "only .glb meshes can be given as a "
                                   "path; load a .gltf with Pack.load_mesh")
        self.check_mesh(rel)
        return self.files.materialize(rel, MAX_MESH_FILE_BYTES)

    def load_mesh(self, rel: str):
        """The mesh file ``rel`` as a ``trimesh.Scene``, after :meth:`check_mesh`."""
        import trimesh

        data, resources_, info = self.check_mesh(rel)
        try:
            return trimesh.load_scene(
                io.BytesIO(data), file_type="glb" if info.glb else "gltf", resolver=resources_
            )
        except Exception as exc:  # a mesh library failing on bad content is a bad file
            raise InvalidFileError(f"{self.path}/{rel}", f"cannot be read as a mesh: {exc}") \
                from None

    def close(self) -> None:
        """Release the pack's files (removes any private temporary copies)."""
        self.files.close()

    def __enter__(self) -> Pack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_pack(path: str | Path) -> Pack:
    """Open and validate the pack at ``path`` (folder or .zip); close it after use."""
    return Pack(path)


def load_scenario(path: str | Path) -> Scenario:
    """The validated :class:`Scenario` of the pack at ``path`` (files not kept open)."""
    with open_pack(path) as pack:
        return pack.scenario


def validate_pack(path: str | Path) -> list[Problem]:
    """Every problem of the pack at ``path``, reading all its meshes and takes; [] if none."""
    try:
        with open_pack(path) as pack:
            problems: list[Problem] = []
            sc = pack.scenario
            for rel in sorted({o.mesh for o in sc.objects} | {t.mesh for t in sc.tools}):
                try:
                    pack.load_mesh(rel)
                except VrtrainerError as exc:
                    problems.append(Problem(str(path), "", None, str(exc)))
            for step in sc.steps:
                if step.reference_template:
                    try:
                        load_template(pack.reference_path(step.reference_template))
                    except VrtrainerError as exc:
                        problems.append(Problem(str(path), f"steps.{step.id}", None, str(exc)))
                for rel in step.reference_takes:
                    try:
                        take = load_take(pack.reference_path(rel))
                    except VrtrainerError as exc:
                        problems.append(Problem(str(path), f"steps.{step.id}", None, str(exc)))
                        continue
                    if take.meta.role != "expert":
                        problems.append(Problem(str(path), f"steps.{step.id}", None,
                                                f"reference take {rel!r} is not an expert take"))
            return problems
    except ScenarioError as exc:
        return exc.problems
    except InvalidFileError as exc:
        return [Problem(exc.path, "", None, exc.problem)]


# -- finding packs -------------------------------------------------------------


def scenario_dirs() -> list[Path]:
    """Folders searched for packs: the repository's scenarios/, then the user's.

    The user folder is ``$VRTRAINER_SCENARIOS`` if set, else
    ``$XDG_DATA_HOME/vrtrainer/scenarios`` (``~/.local/share/vrtrainer/scenarios``).
    """
    dirs = [Path(__file__).resolve().parents[2] / "scenarios"]
    env = os.environ.get("VRTRAINER_SCENARIOS")
    if env:
        dirs.extend(Path(p) for p in env.split(os.pathsep) if p)
    else:
        data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        dirs.append(Path(data) / "vrtrainer" / "scenarios")
    return dirs


def find_packs() -> list[Path]:
    """Every candidate pack (folder with scenario.toml, or .zip) in :func:`scenario_dirs`."""
    found = []
    for d in scenario_dirs():
        if not d.is_dir():
            continue
        for entry in sorted(d.iterdir()):
            if entry.is_symlink():
                continue
            if (entry.is_dir() and (entry / SCENARIO_FILE).is_file()) or (
                entry.is_file() and entry.suffix.lower() == ".zip"
            ):
                found.append(entry)
    return found


def find_scenario(id_or_path: str) -> Path:
    """The pack for a scenario id (searched in :func:`scenario_dirs`) or a path."""
    p = Path(id_or_path)
    if p.exists():
        return p
    for candidate in find_packs():
        if candidate.name == id_or_path or candidate.stem == id_or_path:
            return candidate
    for candidate in find_packs():
        try:
            if load_scenario(candidate).id == id_or_path:
                return candidate
        except VrtrainerError:
            continue
    raise VrtrainerError(f"no scenario {id_or_path!r} (looked in "
                         f"{', '.join(str(d) for d in scenario_dirs())})")
