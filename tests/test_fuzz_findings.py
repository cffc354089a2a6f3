"""One regression test per crash the fuzzers found (tests/fuzz): each input is now refused
with the project's own error, naming the problem."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path
from urllib.parse import urlencode

import pytest
from attempt_factory import make_record
from handmade import random_take
from packmaker import make_pack, zip_folder

from vrtrainer.errors import InvalidFileError
from vrtrainer.results import AttemptRecord, ResultsStore
from vrtrainer.results.cmi5 import Cmi5Error, Cmi5Launch
from vrtrainer.results.records import InvalidRecordError
from vrtrainer.scenario import open_pack
from vrtrainer.takes.take import TakeWriter, load_take, recover_take, save_take


def _claim_zip_version(path: Path, version: int) -> None:
    """Set the 'version needed to extract' of every central directory entry."""
    data = bytearray(path.read_bytes())
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        data[pos + 6] = version
        pos = data.find(b"PK\x01\x02", pos + 4)
    path.write_bytes(bytes(data))


def test_take_needing_a_newer_zip_version_is_refused(tmp_path):
    path = save_take(random_take(5), tmp_path / "a.vrtake")
    _claim_zip_version(path, 243)  # zipfile raises NotImplementedError for "version 24.3"
    with pytest.raises(InvalidFileError, match="not a valid archive"):
        load_take(path)


def test_pack_zip_needing_a_newer_zip_version_is_refused(tmp_path):
    pack = zip_folder(make_pack(tmp_path / "p"), tmp_path / "p.zip")
    _claim_zip_version(pack, 243)
    with pytest.raises(InvalidFileError, match="not a folder or a valid .zip"):
        open_pack(pack)


def test_pack_zip_member_with_an_empty_name_is_refused(tmp_path):
    pack = zip_folder(make_pack(tmp_path / "p"), tmp_path / "p.zip")
    with zipfile.ZipFile(pack, "a") as z:
        z.writestr(zipfile.ZipInfo("x"), b"data")
    data = pack.read_bytes()
    # rename the member "x" to "" in the central directory (name length 1 -> 0)
    pos = data.rfind(b"PK\x01\x02")
    data = data[:pos + 28] + struct.pack("<H", 0) + data[pos + 30:pos + 46] + data[pos + 47:]
    end = data.rfind(b"PK\x05\x06")
    cd_size = struct.unpack_from("<I", data, end + 12)[0]
    data = data[:end + 12] + struct.pack("<I", cd_size - 1) + data[end + 16:]
    pack.write_bytes(data)
    with pytest.raises(InvalidFileError, match="empty name"):
        open_pack(pack)


def test_journal_without_a_whole_record_is_refused(tmp_path):
    writer = TakeWriter(tmp_path / "a.vrtake", random_take(2).meta)
    writer.abort()
    with open(writer.journal, "ab") as f:
        f.write(b"\x00" * 10)  # less than one record
    with pytest.raises(InvalidFileError, match="no complete frame"):
        recover_take(writer.journal)


def _launch(**override) -> str:
    params = {"endpoint": "https://lms.example/xapi/", "fetch": "https://lms.example/f/1",
              "actor": json.dumps({"mbox": "mailto:a@example.org"}),
              "registration": "1c2b7a4e-8d0f-4b6c-9a3e-5f1d2c3b4a59",
              "activityId": "https://lms.example/au/7"}
    return "https://vr.example/launch?" + urlencode({**params, **override})


def test_cmi5_actor_nesting_bomb_is_refused():
    with pytest.raises(Cmi5Error, match="actor is not JSON"):
        Cmi5Launch.from_url(_launch(actor="[" * 100_000))


@pytest.mark.parametrize("override", [{"endpoint": "http://[::1/xapi"},
                                      {"activityId": "http://[x"}])
def test_cmi5_unparsable_urls_are_refused(override):
    with pytest.raises(Cmi5Error, match="cmi5 launch"):
        Cmi5Launch.from_url(_launch(**override))


def test_cmi5_launch_url_itself_unparsable_is_refused():
    with pytest.raises(Cmi5Error, match="not a valid URL"):
        Cmi5Launch.from_url("http://[::1?endpoint=x")


def test_breakdown_nested_too_deeply_is_refused():
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    base = make_record(1)
    fields = {k: getattr(base, k) for k in ("trainee", "scenario_id", "scenario_version",
                                            "step", "started_at", "ended_at")}
    with pytest.raises(InvalidRecordError, match="nested too deeply"):
        AttemptRecord.from_breakdown({"score": 50, "passed": False, "deep": deep}, **fields)


def test_duration_beyond_any_attempt_is_refused():
    with pytest.raises(InvalidRecordError, match="over a year"):
        make_record(1, duration_s=1e308)


def test_store_hashes_only_take_files(tmp_path):
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0\n")
    with ResultsStore.open(tmp_path / "r.sqlite") as store:
        stored = store.get_attempt(store.record_attempt(make_record(1, take_path=str(secret))))
    assert stored.take_sha256 is None and stored.take_path == str(secret)
