"""Take files: bit-exact round trip, refusal of corrupt or hostile files, crash safety."""

import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest
from handmade import random_take
from numpy.lib import format as npformat

from vrtrainer.cli import main
from vrtrainer.errors import InvalidFileError
from vrtrainer.hands.hand import HandFrame
from vrtrainer.takes.take import (
    TakeMeta,
    TakeWriter,
    export_csv,
    journal_path,
    load_take,
    recover_take,
    save_take,
    validate_arrays,
)


def assert_same(a, b):
    for name in (
        "times",
        "poses",
        "radii",
        "flags",
        "active",
        "tools",
        "tool_flags",
        "head",
        "head_flags",
    ):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape
        assert x.tobytes() == y.tobytes(), name
    assert a.meta == b.meta and a.tool_names == b.tool_names


def test_round_trip_is_bit_exact(tmp_path):
    take = random_take()
    path = save_take(take, tmp_path / "a.vrtake")
    assert_same(take, load_take(path))


def test_file_is_readable_with_numpy_alone(tmp_path):
    take = random_take()
    path = save_take(take, tmp_path / "a.vrtake")
    with zipfile.ZipFile(path) as z:
        header = json.loads(z.read("header.json"))
        poses = np.load(io.BytesIO(z.read("poses.npy")), allow_pickle=False)
    assert header["kind"] == "vrtrainer.take" and header["format_version"] == 1
    assert np.array_equal(poses, take.poses)


def write_members(path, header, arrays, raw=None):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("header.json", json.dumps(header))
        for name, a in arrays.items():
            buf = io.BytesIO()
            npformat.write_array(buf, a, allow_pickle=True)
            z.writestr(f"{name}.npy", buf.getvalue())
        for name, data in (raw or {}).items():
            z.writestr(name, data)


def parts(tmp_path):
    take = random_take()
    path = save_take(take, tmp_path / "ok.vrtake")
    with zipfile.ZipFile(path) as z:
        header = json.loads(z.read("header.json"))
        arrays = {
            n[:-4]: np.load(io.BytesIO(z.read(n))) for n in z.namelist() if n != "header.json"
        }
    return header, arrays


def hostile_cases(tmp_path):
    header, arrays = parts(tmp_path)

    def variant(name, header=header, raw=None, **changes):
        a = dict(arrays)
        for k, v in changes.items():
            if v is None:
                a.pop(k)
            else:
                a[k] = v
        p = tmp_path / f"{name}.vrtake"
        write_members(p, header, a, raw)
        return p

    nan = arrays["poses"].copy()
    nan[3, 1, 7, 0] = np.nan
    back = arrays["times"].copy()
    back[5] = back[4]
    unnorm = arrays["poses"].copy()
    unnorm[2, 0, 3, 3:] = [1, 1, 0, 0]
    obj = np.empty(arrays["times"].shape, dtype=object)
    obj[:] = [{"x": 1}] * len(obj)
    cases = {
        "wrong dtype": (variant("dtype", poses=arrays["poses"].astype(np.float64)), "dtype"),
        "wrong shape": (variant("shape", poses=arrays["poses"][:, :, :25]), "shape"),
        "frame mismatch": (variant("frames", radii=arrays["radii"][:-1]), "along 'T'"),
        "NaN flagged valid": (variant("nan", poses=nan), "NaN"),
        "non-monotonic time": (variant("time", times=back), "strictly increasing"),
        "not unit quaternion": (variant("quat", poses=unnorm), "unit"),
        "pickled objects": (variant("pickle", times=obj), "pickle"),
        "missing array": (variant("missing", flags=None), "missing"),
        "extra member": (variant("extra", raw={"evil.py": b"import os"}), "unexpected member"),
        "wrong kind": (variant("kind", header={**header, "kind": "other"}), "expected"),
        "future version": (variant("ver", header={**header, "format_version": 99}), "version"),
        "bad flags": (variant("flags", flags=arrays["flags"] | 0x40), "flags"),
    }
    # A .npy header declaring a gigantic array whose data is not there.
    big = tmp_path / "huge.vrtake"
    with zipfile.ZipFile(big, "w") as z:
        z.writestr("header.json", json.dumps(header))
        buf = io.BytesIO()
        npformat.write_array_header_1_0(
            buf, {"descr": "<f8", "fortran_order": False, "shape": (10**9,)}
        )
        z.writestr("times.npy", buf.getvalue() + b"\0" * 64)
    cases["oversized declared array"] = (big, "declares")
    trunc = tmp_path / "trunc.vrtake"
    data = (tmp_path / "ok.vrtake").read_bytes()
    trunc.write_bytes(data[: len(data) // 2])
    cases["truncated zip"] = (trunc, "not a valid archive")
    garbage = tmp_path / "garbage.vrtake"
    garbage.write_bytes(os.urandom(2000))
    cases["random bytes"] = (garbage, "not a valid archive")
    return cases


def test_hostile_files_are_refused_with_a_clear_error(tmp_path):
    for label, (path, words) in hostile_cases(tmp_path).items():
        with pytest.raises(InvalidFileError) as err:
            load_take(path)
        assert str(path) in str(err.value), label
        assert words in str(err.value), f"{label}: {err.value}"


def test_cli_refuses_hostile_files_without_traceback(tmp_path, capsys):
    for label, (path, _) in hostile_cases(tmp_path).items():
        code = main(["info", str(path)])
        out, err = capsys.readouterr()
        assert code == 2, label
        assert err.startswith("error: ") and "Traceback" not in err + out, label


def test_invalid_joints_may_hold_nan(tmp_path):
    take = random_take()
    take.poses[3, 1, 7] = np.nan
    take.flags[3, 1, 7] = 0
    take.active[4, 0] = False
    take.poses[4, 0] = np.nan
    assert_same(take, load_take(save_take(take, tmp_path / "lost.vrtake")))


def test_interrupted_save_leaves_previous_file_intact(tmp_path):
    path = tmp_path / "take.vrtake"
    original = random_take(n=30, seed=1)
    save_take(original, path)
    before = path.read_bytes()
    script = (
        f"import sys; sys.path.insert(0, {os.path.dirname(__file__)!r})\n"
        "from handmade import random_take\n"
        "from vrtrainer.takes.take import save_take\n"
        "big = random_take(n=60000, seed=2)\n"
        "print('ready', flush=True)\n"
        f"while True: save_take(big, {str(path)!r})\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"ready"
    deadline = time.monotonic() + 30
    while not any(
        p.name.endswith(".tmp") and p.stat().st_size > 100_000 for p in tmp_path.iterdir()
    ):
        assert time.monotonic() < deadline, "save never started"
        time.sleep(0.001)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert path.read_bytes() == before
    assert_same(original, load_take(path))


def test_writer_journal_round_trip_and_recovery(tmp_path):
    take = random_take(n=200, seed=3)
    path = tmp_path / "rec.vrtake"
    writer = TakeWriter(path, take.meta, tool_names=take.tool_names, with_head=True)
    frame = HandFrame()
    for i in range(take.n_frames):
        writer.append(take.frame(i, frame), take.tools[i], take.tool_flags[i], take.head[i], 15)
    assert journal_path(path).exists()
    final = writer.close()
    assert not journal_path(path).exists()
    assert_same(take, final)
    assert_same(take, load_take(path))


def test_recover_drops_only_a_torn_last_frame(tmp_path):
    take = random_take(n=120, seed=4, tools=())
    path = tmp_path / "crash.vrtake"
    writer = TakeWriter(path, TakeMeta(), flush_seconds=0.0)
    for i in range(take.n_frames):
        writer.append(take.frame(i))
    writer.abort()
    journal = journal_path(path)
    data = journal.read_bytes()
    journal.write_bytes(data[:-100])  # the last record torn in half
    recovered, out = recover_take(journal)
    assert out == path and recovered.n_frames == take.n_frames - 1
    assert np.array_equal(recovered.poses, take.poses[:-1])
    assert "recovered" in load_take(path).meta.notes


def test_recover_cli_refuses_garbage(tmp_path, capsys):
    bad = tmp_path / "x.vrtake.partial"
    bad.write_bytes(b"not a journal")
    assert main(["take", "recover", str(bad)]) == 2
    assert "not a vrtrainer take journal" in capsys.readouterr().err


def test_csv_export(tmp_path):
    take = random_take(n=5, tools=())
    take.flags[2, 0, 4] = 0
    out = export_csv(take, tmp_path / "t.csv")
    rows = out.read_text().splitlines()
    assert len(rows) == 6
    header = rows[0].split(",")
    assert header[:3] == ["time_s", "left_active", "right_active"]
    assert len(header) == 3 + 2 * 26 * 3
    row = rows[3].split(",")
    col = header.index("left_thumb_distal_x_m")
    assert row[col] == "" and float(rows[1].split(",")[col]) == pytest.approx(
        take.poses[0, 0, 4, 0], abs=1e-6
    )


def test_tool_grippers_are_checked_where_the_tool_is_valid(tmp_path):
    take = random_take(n=10, seed=3)
    take.tool_grippers = np.linspace(-1, 0.5, 10, dtype=np.float32)[:, None]
    back = load_take(save_take(take, tmp_path / "g.vrtake"))
    np.testing.assert_array_equal(back.tool_grippers, take.tool_grippers)
    take.tool_flags[4] = 0
    take.tool_grippers[4] = np.nan  # not valid there: not read
    save_take(take, tmp_path / "h.vrtake")
    take.tool_grippers[5] = np.nan
    with pytest.raises(InvalidFileError, match="tool_grippers are not finite"):
        save_take(take, tmp_path / "i.vrtake")
    bare = random_take(n=10, seed=3, tools=())
    bare.tool_grippers = np.zeros((10, 0), np.float32)
    with pytest.raises(InvalidFileError, match="tool_grippers needs tools"):
        validate_arrays({**bare._arrays(), "tool_grippers": bare.tool_grippers}, (), "x")
