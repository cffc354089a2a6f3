"""Check a glTF 2.0 / GLB file's declared sizes before any mesh library sees it.

A mesh library trusts the accessor counts and buffer lengths a file declares
and allocates accordingly, so a few hundred bytes can ask for a billion
triangles. :func:`check_gltf` reads only the JSON part (its own small parser
of the GLB container, then :mod:`json`) and refuses a file whose declared
geometry is over the caps, whose accessors overrun their buffers, or whose
external references are not plain files of the same pack.

Geometry is counted as it will be built, not as it is stored: a node tree can
draw one mesh thousands of times (the renderer builds every instance), and many
primitives can reuse one large accessor (the mesh library decodes it once per
primitive). So triangles and vertices are counted after instancing (each mesh
times the number of paths from a scene root to a node drawing it), and the
bytes the mesh library decodes are summed over primitives, before any is read.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from vrtrainer.errors import InvalidFileError

#: Cap on the JSON part of a glTF (bytes).
MAX_JSON_BYTES = 8 * 1024 * 1024
#: Cap on triangles over all meshes of one file.
MAX_TRIANGLES = 2_000_000
#: Cap on the element count of any single accessor.
MAX_ACCESSOR_COUNT = 4_000_000
#: Cap on the bytes of all buffers of one file.
MAX_MESH_BYTES = 128 * 1024 * 1024
#: Cap on vertices over all drawn instances (3 per triangle at the triangle cap).
MAX_INSTANCED_VERTICES = 6_000_000
#: Cap on the bytes a mesh library decodes: every accessor a primitive uses, once per
#: primitive that uses it, as float64 (what trimesh holds).
MAX_DECODED_BYTES = 256 * 1024 * 1024
#: Cap on nodes (each is a scene-graph entry the renderer walks).
MAX_NODES = 10_000
#: Cap on primitives over all meshes, as stored: the mesh library's cost is per primitive
#: (60,000 primitives of 5 triangles took 13 s of CPU to load).
MAX_PRIMITIVES = 1024
#: Cap on parts drawn after instancing (nodes x primitives): the renderer builds each
#: (7000 instances of a small mesh took 2 s of CPU).
MAX_DRAWN_PARTS = 1024
#: Extensions a file may require; anything else needs code we do not run.
ALLOWED_REQUIRED_EXTENSIONS = frozenset(
    {"KHR_materials_unlit", "KHR_texture_transform", "KHR_mesh_quantization"}
)

_GLB_MAGIC = b"glTF"
_CHUNK_JSON = 0x4E4F534A
_CHUNK_BIN = 0x004E4942
_COMPONENT_BYTES = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
_TYPE_COMPONENTS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
_MODE_TRIANGLES, _MODE_STRIP, _MODE_FAN = 4, 5, 6


@dataclass
class GltfInfo:
    """What a checked glTF declares: triangle and vertex totals, external files."""

    triangles: int = 0
    vertices: int = 0
    decoded_bytes: int = 0
    buffer_bytes: int = 0
    external: list[str] = field(default_factory=list)
    glb: bool = False


def _int(value: object, what: str, where: str, lo: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise InvalidFileError(where, f"{what} is {value!r}, not an integer >= {lo}")
    return value


def split_glb(data: bytes, where: str) -> tuple[bytes, bytes | None]:
    """The JSON chunk and the optional BIN chunk of a GLB container."""
    if len(data) < 20 or data[:4] != _GLB_MAGIC:
        raise InvalidFileError(where, "not a GLB file (no 'glTF' header)")
    version, length = struct.unpack_from("<II", data, 4)
    if version != 2:
        raise InvalidFileError(where, f"GLB version {version} is not supported (only 2)")
    if length != len(data):
        raise InvalidFileError(
            where, f"GLB header declares {length} bytes but file has {len(data)}"
        )
    json_len, json_type = struct.unpack_from("<II", data, 12)
    if json_type != _CHUNK_JSON:
        raise InvalidFileError(where, "GLB's first chunk is not JSON")
    if json_len > MAX_JSON_BYTES or 20 + json_len > len(data):
        raise InvalidFileError(where, f"GLB JSON chunk of {json_len} bytes is too large or cut")
    json_bytes = data[20 : 20 + json_len]
    offset = 20 + json_len
    bin_chunk = None
    if offset + 8 <= len(data):
        bin_len, bin_type = struct.unpack_from("<II", data, offset)
        if bin_type == _CHUNK_BIN:
            if offset + 8 + bin_len > len(data):
                raise InvalidFileError(where, "GLB BIN chunk runs past the end of the file")
            bin_chunk = data[offset + 8 : offset + 8 + bin_len]
    return json_bytes, bin_chunk


def parse_gltf_json(raw: bytes, where: str) -> dict:
    """The glTF JSON document, refused if too large, too deep or not an object."""
    if len(raw) > MAX_JSON_BYTES:
        raise InvalidFileError(where, f"glTF JSON is over the cap of {MAX_JSON_BYTES} bytes")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidFileError(where, f"glTF JSON is not valid: {str(exc)[:200]}") from None
    if not isinstance(doc, dict):
        raise InvalidFileError(where, "glTF JSON is not an object")
    return doc


def check_gltf(data: bytes, where: str, glb: bool) -> tuple[dict, bytes | None, GltfInfo]:
    """Check a .glb (``glb`` True) or .gltf file's declarations against the caps.

    Returns the JSON document, the GLB BIN chunk (or None) and a summary.
    External ``uri`` references are returned in ``info.external`` (resolved
    against the file's folder by the caller, who checks them as pack paths).
    """
    if glb:
        raw, bin_chunk = split_glb(data, where)
    else:
        raw, bin_chunk = data, None
    doc = parse_gltf_json(raw, where)
    info = GltfInfo(glb=glb)
    asset = doc.get("asset")
    if not isinstance(asset, dict) or not str(asset.get("version", "")).startswith("2."):
        raise InvalidFileError(where, "not a glTF 2.0 document (asset.version)")
    required = doc.get("extensionsRequired", [])
    if not isinstance(required, list):
        raise InvalidFileError(where, "extensionsRequired is not a list")
    unknown = sorted(set(map(str, required)) - ALLOWED_REQUIRED_EXTENSIONS)
    if unknown:
        raise InvalidFileError(where, f"requires unsupported glTF extensions {unknown}")

    buffers = _list(doc, "buffers", where)
    buffer_sizes: list[int] = []
    for i, buf in enumerate(buffers):
        size = _int(buf.get("byteLength"), f"buffers[{i}].byteLength", where, lo=1)
        info.buffer_bytes += size
        if info.buffer_bytes > MAX_MESH_BYTES:
            raise InvalidFileError(
                where, f"buffers declare over {MAX_MESH_BYTES} bytes (cap on mesh data)"
            )
        uri = buf.get("uri")
        if uri is None:
            if not glb or i != 0 or bin_chunk is None or len(bin_chunk) < size:
                raise InvalidFileError(
                    where, f"buffers[{i}] has no uri and no GLB BIN chunk of {size} bytes"
                )
        else:
            _check_uri(uri, size, f"buffers[{i}]", where, info)
        buffer_sizes.append(size)

    views = _list(doc, "bufferViews", where)
    view_sizes: list[int] = []
    for i, view in enumerate(views):
        b = _int(view.get("buffer"), f"bufferViews[{i}].buffer", where)
        if b >= len(buffer_sizes):
            raise InvalidFileError(where, f"bufferViews[{i}] names buffer {b}, which is absent")
        off = _int(view.get("byteOffset", 0), f"bufferViews[{i}].byteOffset", where)
        length = _int(view.get("byteLength"), f"bufferViews[{i}].byteLength", where, lo=1)
        if off + length > buffer_sizes[b]:
            raise InvalidFileError(where, f"bufferViews[{i}] runs past the end of buffer {b}")
        view_sizes.append(length)

    accessors = _list(doc, "accessors", where)
    counts: list[int] = []
    widths: list[int] = []
    for i, acc in enumerate(accessors):
        count = _int(acc.get("count"), f"accessors[{i}].count", where, lo=1)
        if count > MAX_ACCESSOR_COUNT:
            raise InvalidFileError(
                where,
                f"accessors[{i}] declares {count} elements, over the cap of {MAX_ACCESSOR_COUNT}",
            )
        ctype, etype = acc.get("componentType"), acc.get("type")
        comp = _COMPONENT_BYTES.get(ctype) if isinstance(ctype, int) else None
        ncomp = _TYPE_COMPONENTS.get(etype) if isinstance(etype, str) else None
        if comp is None or ncomp is None:
            raise InvalidFileError(where, f"accessors[{i}] has an unknown componentType or type")
        if "sparse" in acc:
            raise InvalidFileError(where, f"accessors[{i}] is sparse; not supported in packs")
        if "bufferView" in acc:
            v = _int(acc["bufferView"], f"accessors[{i}].bufferView", where)
            if v >= len(view_sizes):
                raise InvalidFileError(where, f"accessors[{i}] names bufferView {v}, absent")
            off = _int(acc.get("byteOffset", 0), f"accessors[{i}].byteOffset", where)
            stride = views[v].get("byteStride", comp * ncomp)
            stride = _int(stride, f"bufferViews[{v}].byteStride", where, lo=1)
            need = off + stride * (count - 1) + comp * ncomp
            if need > view_sizes[v]:
                raise InvalidFileError(
                    where,
                    f"accessors[{i}] declares {count} elements ({need} bytes) but its "
                    f"bufferView holds {view_sizes[v]} bytes",
                )
        counts.append(count)
        widths.append(ncomp)

    meshes = _list(doc, "meshes", where)
    mesh_tris: list[int] = []
    mesh_verts: list[int] = []
    mesh_prims: list[int] = []
    for m, mesh in enumerate(meshes):
        tris_before, verts_before = info.triangles, info.vertices
        prims = mesh.get("primitives")
        if not isinstance(prims, list):
            raise InvalidFileError(where, f"meshes[{m}].primitives is not a list")
        mesh_prims.append(len(prims))
        if sum(mesh_prims) > MAX_PRIMITIVES:
            raise InvalidFileError(
                where, f"meshes hold {sum(mesh_prims)} primitives or more, over the cap of "
                f"{MAX_PRIMITIVES}"
            )
        for p, prim in enumerate(prims):
            if not isinstance(prim, dict) or not isinstance(prim.get("attributes"), dict):
                raise InvalidFileError(where, f"meshes[{m}].primitives[{p}] has no attributes")
            _count_decoded(prim, counts, widths, f"meshes[{m}].primitives[{p}]", where, info)
            pos = prim["attributes"].get("POSITION")
            if pos is None:
                continue
            pos = _int(pos, f"meshes[{m}].primitives[{p}].POSITION", where)
            if pos >= len(counts):
                raise InvalidFileError(where, f"meshes[{m}] names accessor {pos}, absent")
            if widths[pos] != 3:
                raise InvalidFileError(where, f"meshes[{m}] POSITION accessor {pos} is not VEC3")
            n_vertices = counts[pos]
            n_index = n_vertices
            if "indices" in prim:
                idx = _int(prim["indices"], f"meshes[{m}].primitives[{p}].indices", where)
                if idx >= len(counts):
                    raise InvalidFileError(where, f"meshes[{m}] names accessor {idx}, absent")
                if widths[idx] != 1:
                    raise InvalidFileError(where, f"meshes[{m}] indices accessor {idx} is not "
                                                  "SCALAR")
                n_index = counts[idx]
            mode = _int(prim.get("mode", _MODE_TRIANGLES), f"meshes[{m}].mode", where)
            if mode == _MODE_TRIANGLES:
                tris = n_index // 3
            elif mode in (_MODE_STRIP, _MODE_FAN):
                tris = max(0, n_index - 2)
            else:
                tris = 0
            info.triangles += tris
            info.vertices += n_vertices
            if info.triangles > MAX_TRIANGLES:
                raise InvalidFileError(
                    where,
                    f"meshes declare {info.triangles} triangles or more, over the cap of "
                    f"{MAX_TRIANGLES}",
                )
        mesh_tris.append(info.triangles - tris_before)
        mesh_verts.append(info.vertices - verts_before)
    _count_instances(doc, mesh_tris, mesh_verts, mesh_prims, where, info)
    for i, image in enumerate(_list(doc, "images", where)):
        if "uri" in image:
            _check_uri(image["uri"], 0, f"images[{i}]", where, info)
    return doc, bin_chunk, info


def _count_decoded(
    prim: dict, counts: list[int], widths: list[int], what: str, where: str, info: GltfInfo
) -> None:
    """Add the bytes the mesh library decodes for one primitive (it decodes per primitive)."""
    used = list(prim["attributes"].values())
    if "indices" in prim:
        used.append(prim["indices"])
    for a in used:
        a = _int(a, f"{what} accessor", where)
        if a >= len(counts):
            raise InvalidFileError(where, f"{what} names accessor {a}, absent")
        info.decoded_bytes += counts[a] * widths[a] * 8
    if info.decoded_bytes > MAX_DECODED_BYTES:
        raise InvalidFileError(
            where,
            f"primitives make the mesh library decode {info.decoded_bytes} bytes or more "
            f"(accessors reused by many primitives?), over the cap of {MAX_DECODED_BYTES}",
        )


def _count_instances(
    doc: dict, mesh_tris: list[int], mesh_verts: list[int], mesh_prims: list[int], where: str,
    info: GltfInfo,
) -> None:
    """Count triangles and vertices as drawn: each mesh once per path to a node using it.

    A mesh no node draws is counted once (a loader may still build it). Cycles in the
    node tree are refused.
    """
    nodes = _list(doc, "nodes", where)
    if len(nodes) > MAX_NODES:
        raise InvalidFileError(where, f"{len(nodes)} nodes, over the cap of {MAX_NODES}")
    n = len(nodes)
    children: list[list[int]] = []
    parents = [0] * n
    for i, node in enumerate(nodes):
        kids = node.get("children", [])
        if not isinstance(kids, list):
            raise InvalidFileError(where, f"nodes[{i}].children is not a list")
        kids = [_int(c, f"nodes[{i}].children", where) for c in kids]
        if any(c >= n for c in kids):
            raise InvalidFileError(where, f"nodes[{i}] names a child that is absent")
        for c in kids:
            parents[c] += 1
        children.append(kids)
        if "mesh" in node:
            mesh = _int(node["mesh"], f"nodes[{i}].mesh", where)
            if mesh >= len(mesh_tris):
                raise InvalidFileError(where, f"nodes[{i}] names mesh {mesh}, absent")
    paths = [0] * n
    scenes = _list(doc, "scenes", where)
    for s, scene in enumerate(scenes):
        roots = scene.get("nodes", [])
        if not isinstance(roots, list):
            raise InvalidFileError(where, f"scenes[{s}].nodes is not a list")
        for r in roots:
            r = _int(r, f"scenes[{s}].nodes", where)
            if r >= n:
                raise InvalidFileError(where, f"scenes[{s}] names node {r}, absent")
            paths[r] += 1
    for i in range(n):
        if parents[i] == 0 and paths[i] == 0:
            paths[i] = 1  # a root outside every scene: counted as if drawn
    # Kahn's order: a node's path count is final once all its parents are done.
    waiting = list(parents)
    ready = [i for i in range(n) if waiting[i] == 0]
    done = 0
    cap = MAX_TRIANGLES + MAX_INSTANCED_VERTICES + 1  # keeps the integers small
    while ready:
        i = ready.pop()
        done += 1
        for c in children[i]:
            paths[c] = min(paths[c] + paths[i], cap)
            waiting[c] -= 1
            if waiting[c] == 0:
                ready.append(c)
    if done != n:
        raise InvalidFileError(where, "the node tree has a cycle")
    drawn = [0] * len(mesh_tris)
    for i, node in enumerate(nodes):
        if "mesh" in node:
            drawn[node["mesh"]] = min(drawn[node["mesh"]] + paths[i], cap)
    parts = sum(p * max(d, 1) for p, d in zip(mesh_prims, drawn))
    if parts > MAX_DRAWN_PARTS:
        raise InvalidFileError(
            where, f"nodes draw {parts} mesh parts after instancing, over the cap of "
            f"{MAX_DRAWN_PARTS}"
        )
    triangles = sum(t * max(d, 1) for t, d in zip(mesh_tris, drawn))
    vertices = sum(v * max(d, 1) for v, d in zip(mesh_verts, drawn))
    if triangles > MAX_TRIANGLES:
        raise InvalidFileError(
            where,
            f"nodes draw {triangles} triangles after instancing, over the cap of {MAX_TRIANGLES}",
        )
    if vertices > MAX_INSTANCED_VERTICES:
        raise InvalidFileError(
            where,
            f"nodes draw {vertices} vertices after instancing, over the cap of "
            f"{MAX_INSTANCED_VERTICES}",
        )
    info.triangles, info.vertices = triangles, vertices


def _list(doc: dict, key: str, where: str) -> list[dict]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InvalidFileError(where, f"glTF '{key}' is not a list of objects")
    if len(value) > MAX_ACCESSOR_COUNT:
        raise InvalidFileError(where, f"glTF '{key}' has too many entries")
    return value


def _check_uri(uri: object, size: int, what: str, where: str, info: GltfInfo) -> None:
    if not isinstance(uri, str) or not uri:
        raise InvalidFileError(where, f"{what}.uri is not a string")
    if uri.startswith("data:"):
        head, _, payload = uri.partition(",")
        if not head.endswith(";base64"):
            raise InvalidFileError(where, f"{what} data URI is not base64")
        try:
            decoded = len(base64.b64decode(payload, validate=True))
        except (binascii.Error, ValueError):
            raise InvalidFileError(where, f"{what} data URI is not valid base64") from None
        if decoded < size:
            raise InvalidFileError(where, f"{what} data URI holds {decoded} bytes, not {size}")
        return
    if ":" in uri.split("/", 1)[0] or uri.startswith("/") or "%" in uri:
        raise InvalidFileError(
            where, f"{what}.uri {uri!r} is not a plain relative file of the pack"
        )
    info.external.append(uri)


def resolve_external(mesh_rel: str, uri: str) -> str:
    """Pack-relative path of ``uri`` referenced from the glTF at ``mesh_rel``."""
    parent = PurePosixPath(mesh_rel).parent
    return uri if str(parent) == "." else f"{parent}/{uri}"
