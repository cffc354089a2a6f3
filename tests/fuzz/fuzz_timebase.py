"""Fuzz harness: time bases of takes and templates, then everything sized from a rate.

The input is a target byte (take or template), the nominal rate (float64) and the times
(float64 each). ``prepare`` writes a valid take or template around those times; ``load``
reads it back and, when it loads, scores it (take) or scores a fixed take with it
(template), which sizes windows, speeds and alignments from the rate the times imply.
"""

from __future__ import annotations

import io
import json
import random
import struct
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from engine import Skip
from handmade import random_take
from mutators import byte_mutation

from vrtrainer.compare.score import score_take
from vrtrainer.compare.template import build_template, load_template, save_template
from vrtrainer.hands import sim
from vrtrainer.takes.archive import HEADER_NAME
from vrtrainer.takes.take import FORMAT_VERSION, KIND, load_take, summarize

NAME = "timebase"
MAX_INPUT_FRAMES = 2048
_template = None
_take = None
_template_bytes: dict[str, bytes] = {}


def _fixtures():
    global _template, _take
    if _template is None:
        takes = [sim.simulate("pinch", seed=s, rate=30.0) for s in (1, 2)]
        _template = build_template(takes, name="pinch", iterations=2)
        _take = sim.simulate("pinch", seed=5, rate=30.0)
        with tempfile.TemporaryDirectory() as d:
            path = save_template(_template, Path(d) / "t.vrref")
            with zipfile.ZipFile(path) as z:
                _template_bytes.update({n: z.read(n) for n in z.namelist()})
    return _template, _take


def _encode(target: int, rate: float, times: np.ndarray) -> bytes:
    return bytes([target]) + struct.pack("<d", rate) + np.asarray(times, "<f8").tobytes()


def seeds() -> list[bytes]:
    tpl, take = _fixtures()
    return [_encode(0, 30.0, take.times), _encode(0, 90.0, np.arange(40) / 90 + 12.5),
            _encode(1, 0.0, tpl.times)]


def mutate(data: bytes, rng: random.Random) -> bytes:
    if len(data) < 9 or rng.random() < 0.15:
        return byte_mutation(data, rng)
    target, rate = data[0], struct.unpack("<d", data[1:9])[0]
    times = np.frombuffer(data[9:9 + 8 * ((len(data) - 9) // 8)], "<f8").copy()
    choice = rng.randrange(10)
    if choice == 0:
        rate = rng.choice([0.0, -1.0, 1e-9, 1.0, 30.0, 90.0, 2000.0, 1e9, float("nan")])
    elif choice == 1 and times.size:
        times = times * 10.0 ** rng.uniform(-12, 12)
    elif choice == 2 and times.size:
        times[rng.randrange(times.size)] = rng.choice(
            [float("nan"), float("inf"), -1e308, 1e308, 0.0, 1e15, -1e-300])
    elif choice == 3:
        n = rng.choice([0, 1, 2, 3, 50, 400, MAX_INPUT_FRAMES])
        step = 10.0 ** rng.uniform(-10, 4)
        times = rng.uniform(-1e9, 1e9) * (rng.random() < 0.2) + np.arange(n) * step
    elif choice == 4 and times.size > 2:
        i = rng.randrange(1, times.size)
        times[i:] += rng.choice([1e-9, 0.5, 5.1, 1000.0, -0.01])
    elif choice == 5 and times.size > 2:
        times = times[::-1].copy() if rng.random() < 0.5 else np.repeat(times, 2)
    elif choice == 6:
        target ^= 1
    elif choice == 7 and times.size:
        jitter = rng.uniform(0.0, 2.0)
        steps = np.diff(times, prepend=times[0]) * np.exp(
            np.random.default_rng(rng.randrange(1 << 30)).normal(0, jitter, times.size))
        times = times[0] + np.cumsum(steps)
    elif choice == 8 and times.size:
        times = times[: rng.randrange(times.size + 1)]
    else:
        times = times + rng.uniform(-1e6, 1e6)
    return _encode(target % 2, rate, times[:MAX_INPUT_FRAMES])


def _write_stored(path: Path, header: dict, arrays: dict) -> None:
    """The take as ``write_archive`` lays it out, but stored, not deflated: compressing
    every input cost a quarter of the run and is not what this harness is about."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(HEADER_NAME, json.dumps(header, indent=1, sort_keys=True))
        for name, array in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(array), allow_pickle=False)
            z.writestr(f"{name}.npy", buf.getvalue())


def prepare(data: bytes, work: Path) -> Path:
    if len(data) < 9:
        raise Skip
    tpl, _ = _fixtures()
    target, rate = data[0] % 2, struct.unpack("<d", data[1:9])[0]
    times = np.frombuffer(data[9:9 + 8 * ((len(data) - 9) // 8)], "<f8")[:MAX_INPUT_FRAMES]
    if target == 0:
        n = times.size
        if n == 0:
            raise Skip
        take = random_take(n, seed=n, tools=())
        meta = take.meta.to_dict()
        meta["nominal_rate"] = rate
        path = work / "input.vrtake"
        _write_stored(path, {"kind": KIND, "format_version": FORMAT_VERSION, "meta": meta,
                             "n_frames": n, "tool_names": []},
                      {**take._arrays(), "times": np.ascontiguousarray(times)})
        return path
    if times.size != tpl.n_frames:
        times = np.resize(times, tpl.n_frames) if times.size else np.zeros(tpl.n_frames)
    path = work / "input.vrref"
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(times, "<f8"))
    members = dict(_template_bytes, **{"times.npy": buf.getvalue()})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:  # stored: deflate was 1/4 of the run
        for name, member in members.items():
            z.writestr(name, member)
    return path


def load(path: Path) -> None:
    tpl, take = _fixtures()
    if path.suffix == ".vrtake":
        loaded = load_take(path)
        summarize(loaded)
        score_take(loaded, tpl)
    else:
        score_take(take, load_template(path))
