"""Hostile takes, journals and templates, round 2 (issue 14).

Time bases that drive allocations (1e-9 s steps, 1000 s steps, 1e308, NaN), sizes declared
in headers that overflow or lie, memory spent before a cap is checked, and values accepted
without a word. Each file is written by hand, bypassing the writers' own checks.
"""

from __future__ import annotations

import io
import json
import os
import threading
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from handmade import random_take

from vrtrainer.compare.template import (
    build_template,
    load_template,
    motion_speed,
    save_template,
)
from vrtrainer.errors import InvalidFileError, VrtrainerError
from vrtrainer.hands import sim
from vrtrainer.hands.hand import HandFrame
from vrtrainer.takes import archive
from vrtrainer.takes.take import (
    MAX_FRAMES,
    TakeMeta,
    TakeWriter,
    journal_path,
    load_take,
    recover_take,
    save_take,
)


def rewrite(path: Path, **members: bytes) -> Path:
    """Replace (or add) members of the zip archive at ``path``."""
    with zipfile.ZipFile(path) as z:
        kept = {n: z.read(n) for n in z.namelist()}
    kept.update(members)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in kept.items():
            z.writestr(name, data)
    return path


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def npy_header(shape, descr: str = "<f8", pad: bytes = b"") -> bytes:
    """A .npy v1.0 header declaring ``shape`` (anything numpy's parser accepts), then ``pad``."""
    text = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
    text += " " * (-(len(text) + 11) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode() + pad


@pytest.fixture
def take_file(tmp_path):
    return save_take(random_take(30), tmp_path / "t.vrtake")


def header_of(path: Path) -> dict:
    with zipfile.ZipFile(path) as z:
        return json.loads(z.read("header.json"))


# --- time bases ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("times", "match"),
    [
        (np.arange(30) * 1e-9, "step"),
        (np.arange(30) * 1000.0, "step|span"),
        (np.linspace(-1e308, 1e308, 30), "times|span"),
        (np.concatenate([np.arange(29) / 90, [3000.0]]), "step|span"),
        (1e15 + np.arange(30) / 90, "times"),
    ],
    ids=["1e-9s", "1000s", "1e308", "gap", "epoch-1e15"],
)
def test_implausible_take_times_are_refused_at_load(take_file, times, match):
    rewrite(take_file, **{"times.npy": npy(times.astype(np.float64))})
    with pytest.raises(InvalidFileError, match=match):
        load_take(take_file)


def test_plausible_jitter_and_dropped_frames_still_load(take_file):
    rng = np.random.default_rng(4)
    steps = np.full(29, 1 / 90) * rng.uniform(0.8, 1.2, 29)
    steps[10] = 3 / 90  # two dropped frames
    steps[20] = 0.001  # a burst: Monado delivered a 1 ms step in a 90 Hz session
    times = np.concatenate([[12.5], 12.5 + np.cumsum(steps)])
    rewrite(take_file, **{"times.npy": npy(times)})
    assert load_take(take_file).n_frames == 30


@pytest.mark.parametrize(("hz", "loads"), [(12.0, True), (2.0, True), (0.5, False)])
def test_a_slow_loop_still_loads_down_to_one_frame_a_second(take_file, hz, loads):
    """A 90 Hz session drawn at 12 Hz on a loaded machine is a real take; 0.5 Hz is not."""
    times = 12.5 + np.arange(30) / hz
    rewrite(take_file, **{"times.npy": npy(times)})
    if loads:
        assert load_take(take_file).n_frames == 30
    else:
        with pytest.raises(InvalidFileError, match="median step"):
            load_take(take_file)


def test_a_journal_with_nanosecond_steps_is_refused(tmp_path):
    writer = TakeWriter(tmp_path / "j.vrtake", TakeMeta(role="expert"))
    frame = HandFrame()
    for i in range(40):
        frame.time = i * 1e-9
        writer.append(frame)
    writer.abort()
    with pytest.raises(InvalidFileError, match="step"):
        recover_take(journal_path(tmp_path / "j.vrtake"))


@pytest.fixture(scope="module")
def template_file(tmp_path_factory):
    takes = [sim.simulate("pinch", seed=s, rate=30.0) for s in (1, 2, 3)]
    path = tmp_path_factory.mktemp("tpl") / "pinch.vrref"
    return save_template(build_template(takes, name="pinch", iterations=2), path)


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / src.name
    dst.write_bytes(src.read_bytes())
    return dst


def test_a_recording_that_stalled_for_seconds_closes_and_loads(tmp_path):
    """A take our own recorder wrote must load: CI's Monado stage stalled 5.4 s at an
    attempt's first frame on a loaded machine and the 5 s step cap refused the take."""
    expert = sim.simulate("pinch", seed=3)
    writer = TakeWriter(tmp_path / "stalled.vrtake", expert.meta)
    frame = HandFrame()
    for i in range(expert.n_frames):
        expert.frame(i, frame)
        frame.time = float(expert.times[i]) + (12.0 if i >= 1 else 0.0)  # 12 s after frame 0
        writer.append(frame)
    take = writer.close()
    assert take.times[1] - take.times[0] > 12.0
    assert load_take(tmp_path / "stalled.vrtake").n_frames == expert.n_frames


@pytest.mark.parametrize("kind", ["nan", "1e-9", "1000", "1e308"])
def test_implausible_template_times_are_refused(template_file, tmp_path, kind):
    path = _copy(template_file, tmp_path)
    times = load_template(path).times.copy()
    n = times.size
    times = {
        "nan": np.where(np.arange(n) == n // 2, np.nan, times),
        "1e-9": np.arange(n) * 1e-9,
        "1000": np.arange(n) * 1000.0,
        "1e308": np.linspace(0, 1e308, n),
    }[kind]
    rewrite(path, **{"times.npy": npy(times)})
    with pytest.raises(InvalidFileError, match="times|step|span"):
        load_template(path)


def test_a_rate_derived_window_is_bounded_by_the_frames():
    n = 200
    values = np.zeros((n, 3))
    mask = np.ones((n, 3), bool)
    tracemalloc.start()
    speed = motion_speed(values, mask, np.ones(3), np.arange(n) * 1e-9)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert speed.shape == (n,) and peak < 10 * 1024 * 1024


@pytest.mark.parametrize("tolerance", [1e300, 1e6])
def test_absurd_tolerances_are_refused(template_file, tmp_path, tolerance):
    path = _copy(template_file, tmp_path)
    tol = load_template(path).tolerance
    rewrite(path, **{"tolerance.npy": npy(np.full_like(tol, tolerance))})
    with pytest.raises(InvalidFileError, match="tolerance"):
        load_template(path)


# --- sizes declared in headers ---------------------------------------------------------


@pytest.mark.parametrize(
    "shape",
    ["(18446744073709551616,)", "(True,)", "(4294967296, 4294967296)", "(-1,)",
     "(30, 2, 26, 7, 18446744073709551615)"],
    ids=["2**64", "bool", "overflow", "negative", "5d-overflow"],
)
def test_npy_header_shapes_that_overflow_or_lie_are_refused(take_file, shape):
    rewrite(take_file, **{"times.npy": npy_header(shape, pad=bytes(240))})
    with pytest.raises(InvalidFileError, match="times"):
        load_take(take_file)


def test_a_huge_integer_in_the_header_is_refused(take_file):
    header = header_of(take_file)
    raw = json.dumps(header).replace('"n_frames": 30', '"n_frames": ' + "9" * 5000)
    rewrite(take_file, **{"header.json": raw.encode()})
    with pytest.raises(InvalidFileError, match="header.json"):
        load_take(take_file)


@pytest.mark.parametrize("version", ["true", "1.0"])
def test_format_version_must_be_the_integer(take_file, version):
    raw = json.dumps(header_of(take_file)).replace('"format_version": 1', f'"format_version": '
                                                                          f"{version}")
    rewrite(take_file, **{"header.json": raw.encode()})
    with pytest.raises(InvalidFileError, match="format version"):
        load_take(take_file)


def test_bool_bytes_other_than_0_and_1_are_refused(take_file):
    active = np.ones((30, 2), np.uint8) * 7
    raw = npy(active).replace(b"'|u1'", b"'|b1'")
    rewrite(take_file, **{"active.npy": raw})
    with pytest.raises(InvalidFileError, match="active"):
        load_take(take_file)


def test_a_take_declaring_too_many_frames_is_refused_before_its_arrays_are_read(tmp_path):
    n = MAX_FRAMES + 1
    path = tmp_path / "big.vrtake"
    header = {"kind": "vrtrainer.take", "format_version": 1, "meta": {}, "n_frames": n,
              "tool_names": []}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("header.json", json.dumps(header))
        for name, shape, descr in [("times", (n,), "<f8"), ("poses", (n, 2, 26, 7), "<f4")]:
            size = int(np.prod(shape)) * np.dtype(descr).itemsize
            with z.open(f"{name}.npy", "w", force_zip64=True) as member:
                member.write(npy_header(str(shape), descr))
                chunk = bytes(1 << 20)
                for _ in range(size >> 20):
                    member.write(chunk)
                member.write(bytes(size & ((1 << 20) - 1)))
    assert path.stat().st_size < 1_000_000
    tracemalloc.start()
    with pytest.raises(InvalidFileError, match=f"{n}.*cap"):
        load_take(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 4 * 1024 * 1024


# --- journals --------------------------------------------------------------------------


def _journal(tmp_path: Path, frames: int = 20, tools=()) -> Path:
    writer = TakeWriter(tmp_path / "j.vrtake", TakeMeta(role="expert"), tool_names=tools)
    frame = HandFrame()
    for i in range(frames):
        frame.time = i / 90
        writer.append(frame)
    writer.abort()
    return journal_path(tmp_path / "j.vrtake")


def _edit_journal_header(journal: Path, edit) -> None:
    data = journal.read_bytes()
    off = data.index(b"\n") + 1
    hlen = int.from_bytes(data[off:off + 4], "little")
    header = edit(data[off + 4:off + 4 + hlen].decode())
    raw = header.encode()
    journal.write_bytes(data[:off] + len(raw).to_bytes(4, "little") + raw
                        + data[off + 4 + hlen:])


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda h: h.replace('"format_version": 1', '"format_version": ' + "9" * 5000),
         "header"),
        (lambda h: "[" * 500_000 + "]" * 500_000, "header"),
        (lambda h: h.replace('"format_version": 1', '"format_version": true'), "version"),
        (lambda h: h.replace('"format_version": 1', '"format_version": 2'), "version"),
        (lambda h: h.replace('"vrtrainer.take.journal"', '"vrtrainer.template"'), "kind|journal"),
        (lambda h: h.replace('"tool_names": ["torch"]', '"tool_names": [7]'), "tool"),
        (lambda h: h.replace('"with_head": false', '"with_head": "yes"'), "with_head"),
    ],
    ids=["huge-int", "deep", "bool-version", "version-2", "kind", "tool-int", "head-str"],
)
def test_damaged_journal_headers_are_refused(tmp_path, edit, match):
    journal = _journal(tmp_path, tools=("torch",))
    _edit_journal_header(journal, edit)
    with pytest.raises(InvalidFileError, match=match):
        recover_take(journal, tmp_path / "out.vrtake")
    assert not (tmp_path / "out.vrtake").exists()


def test_a_sparse_4_gib_journal_is_read_only_up_to_its_frames(tmp_path):
    journal = _journal(tmp_path, frames=20)
    with open(journal, "r+b") as f:
        f.truncate(4 << 30)  # sparse: costs no disk
    tracemalloc.start()
    take, out = recover_take(journal, tmp_path / "out.vrtake")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert take.n_frames == 20 and out.exists()
    assert peak < 64 * 1024 * 1024


# --- special files ---------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".vrtake", ".vrref", ".vrtake.partial"])
def test_a_fifo_is_refused_without_being_opened(tmp_path, suffix):
    fifo = tmp_path / ("x" + suffix)
    os.mkfifo(fifo)
    loader = {".vrtake": load_take, ".vrref": load_template,
              ".vrtake.partial": lambda p: recover_take(p, tmp_path / "o.vrtake")}[suffix]
    outcome: list[BaseException | None] = []

    def run():
        try:
            loader(fifo)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001  (collected for the assertion)
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():  # unblock the loader stuck in open()
        with open(fifo, "wb"):
            pass
        thread.join(10)
        pytest.fail("the loader opened the FIFO and waited for a writer")
    assert isinstance(outcome[0], InvalidFileError) and "regular file" in str(outcome[0])


def test_archive_refuses_a_directory_clearly(tmp_path):
    (tmp_path / "d.vrtake").mkdir()
    with pytest.raises(InvalidFileError, match="regular file"):
        load_take(tmp_path / "d.vrtake")


def test_errors_are_vrtrainer_errors():
    assert issubclass(InvalidFileError, VrtrainerError) and archive.MAX_MEMBERS > 0


# --- alignment memory ------------------------------------------------------------------


def test_alignment_memory_is_bounded_before_the_kernels(monkeypatch):
    from vrtrainer.compare import dtw, limits

    x = np.zeros((40, 3))
    dist, path = dtw.dtw_path(x, x)
    assert dist == 0.0 and len(path) >= 40
    monkeypatch.setattr(limits, "MAX_ALIGN_CELLS", 40 * 40 - 1)
    with pytest.raises(VrtrainerError, match="1,600 bytes of path memory, over the limit of"):
        dtw.dtw_path(x, x)


def test_two_takes_at_the_frame_cap_are_refused_without_allocating():
    from vrtrainer.compare import dtw

    tracemalloc.start()
    x = np.zeros((MAX_FRAMES, 1))
    with pytest.raises(VrtrainerError, match="MAX_ALIGN_CELLS"):
        dtw.dtw_path(x, x)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 64 * 1024 * 1024
