"""A full disk while writing a take, a reference, a CSV or a report (issue 14): one
`error:` line naming the file, exit 2, no temporary file left and no half file."""

from __future__ import annotations

import os
import subprocess

import pytest
from handmade import random_take
from needs import skip_outside_ci

from vrtrainer.cli import main
from vrtrainer.hands import sim
from vrtrainer.hands.hand import HandFrame
from vrtrainer.results import ResultsStore
from vrtrainer.takes.take import TakeMeta, TakeWriter, journal_path, save_take


@pytest.fixture
def full_disk(tmp_path):
    """A real 256 KiB tmpfs, filled to within 8 KiB."""
    if os.geteuid() != 0:
        skip_outside_ci("mounting a small tmpfs needs root (CI runs as root)")
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], check=True)
    try:
        with open(mount / "filler", "wb") as f:
            try:
                f.write(bytes(248 * 1024))
            except OSError:
                pass
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def _refused(capsys, *args: str) -> str:
    code = main(list(args))
    _, err = capsys.readouterr()
    assert code == 2 and err.startswith("error: ") and "Traceback" not in err, err
    assert "disk full" in err or "No space" in err, err
    return err


def _only_filler(folder) -> None:
    assert sorted(p.name for p in folder.iterdir()) == ["filler"]


def test_simulate_on_a_full_disk(full_disk, capsys):
    _refused(capsys, "simulate", "-g", "pinch", "-o", str(full_disk / "s.vrtake"))
    _only_filler(full_disk)


def test_take_recover_to_a_full_disk(full_disk, tmp_path, capsys):
    writer = TakeWriter(tmp_path / "j.vrtake", TakeMeta(role="expert"))
    take = random_take(300, tools=())
    frame = HandFrame()
    for i in range(take.n_frames):
        writer.append(take.frame(i, frame))
    writer.abort()
    _refused(capsys, "take", "recover", str(journal_path(tmp_path / "j.vrtake")),
             "-o", str(full_disk / "r.vrtake"))
    _only_filler(full_disk)


def test_export_csv_to_a_full_disk(full_disk, tmp_path, capsys):
    take = save_take(random_take(300, tools=()), tmp_path / "t.vrtake")
    _refused(capsys, "export-csv", str(take), "-o", str(full_disk / "t.csv"))
    _only_filler(full_disk)


def test_reference_build_to_a_full_disk(full_disk, tmp_path, capsys):
    paths = [save_take(sim.simulate("pinch", seed=s, rate=30.0), tmp_path / f"e{s}.vrtake")
             for s in (1, 2)]
    _refused(capsys, "reference", "build", *map(str, paths), "-o", str(full_disk / "r.vrref"))
    _only_filler(full_disk)
    big = tmp_path / "ok.vrref"
    _refused(capsys, "reference", "build", *map(str, paths), "-o", str(big),
             "--html", str(full_disk / "r.html"))
    _only_filler(full_disk)


def test_results_export_to_a_full_disk(full_disk, tmp_path, capsys):
    from attempt_factory import make_record

    db = tmp_path / "r.sqlite"
    with ResultsStore.open(db) as store:
        for n in range(200):
            store.record_attempt(make_record(n))
    _refused(capsys, "results", "export", "--db", str(db), "--csv", str(full_disk / "x.csv"))
    _only_filler(full_disk)


def test_the_results_csv_is_synced_before_it_replaces_the_target(tmp_path, capsys, monkeypatch):
    """SECURITY.md promises the CSV export is synced: the whole temporary file is fsynced,
    then renamed over the target, then the folder is synced."""
    from attempt_factory import make_record

    import vrtrainer.files

    db = tmp_path / "r.sqlite"
    with ResultsStore.open(db) as store:
        for n in range(3):
            store.record_attempt(make_record(n))
    out = tmp_path / "out" / "x.csv"
    out.parent.mkdir()
    events: list[tuple[str, str, int]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        name = os.readlink(f"/proc/self/fd/{fd}")
        events.append(("fsync", os.path.basename(name), os.fstat(fd).st_size))
        real_fsync(fd)

    def replace(src, dst) -> None:
        events.append(("replace", os.path.basename(dst), 0))
        real_replace(src, dst)

    monkeypatch.setattr(vrtrainer.files.os, "fsync", fsync)
    monkeypatch.setattr(vrtrainer.files.os, "replace", replace)
    assert main(["results", "export", "--db", str(db), "--csv", str(out)]) == 0
    capsys.readouterr()
    size = out.stat().st_size
    assert size > 0
    kinds = [(e[0], e[1].startswith(".x.csv."), e[2] == size) for e in events]
    assert kinds[:2] == [("fsync", True, True), ("replace", False, False)], events
    assert events[1][1] == "x.csv" and events[2][:2] == ("fsync", "out"), events
