"""The xAPI statement stream of an attempt, and cmi5 launch parameters."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pytest
from attempt_factory import make_record

from vrtrainer.errors import VrtrainerError
from vrtrainer.results.cmi5 import Cmi5Error, Cmi5Launch
from vrtrainer.results.statements import (
    CATEGORY_CMI5,
    CATEGORY_SIMULATION,
    EXT_SEVERITY,
    attempt_statements,
    iso_duration,
    scenario_iri,
)

BASE = "https://training.example/xapi"
ACTOR = {"objectType": "Agent", "account": {"homePage": "https://lms.example", "name": "u42"}}
REGISTRATION = "0e6c3f1e-8e9a-4c84-9d6a-2f5a8b7c6d5e"


def launch_url(**override) -> str:
    params = {
        "endpoint": "https://lms.example/lrs/",
        "fetch": "https://lms.example/token/1",
        "actor": json.dumps(ACTOR),
        "registration": REGISTRATION,
        "activityId": "https://lms.example/au/7",
    }
    params.update(override)
    return "https://vr.example/launch?" + urlencode({k: v for k, v in params.items() if v})


def verbs(stream):
    return [s["verb"]["id"].rsplit("/", 1)[1] for s in stream]


def test_stream_of_a_passed_attempt():
    record = make_record(2, scenario_id="pinch", scenario_version="1.2", step="3")
    assert record.passed
    stream = attempt_statements(record, base=BASE)
    assert verbs(stream) == ["initialized", "attempted"] + ["interacted"] * 3 + [
        "completed",
        "passed",
    ]
    ids = [s["id"] for s in stream]
    assert len(set(ids)) == len(ids)
    assert all(str(uuid.UUID(i)) == i for i in ids)
    scenario = f"{BASE}/scenarios/pinch/1.2"
    step = f"{scenario}/steps/3"
    assert stream[0]["object"]["id"] == scenario
    assert stream[1]["object"]["id"] == step
    assert [s["object"]["id"] for s in stream[2:5]] == [
        f"{step}/criteria/timing",
        f"{step}/criteria/finger%20shape",
        f"{step}/criteria/wrist%20path",
    ]
    for s in stream:
        assert s["actor"]["account"] == {"homePage": f"{BASE}/trainees", "name": record.trainee}
        assert s["context"]["registration"] == record.attempt_uuid
        assert s["context"]["contextActivities"]["category"][0]["id"] == CATEGORY_SIMULATION
        categories = s["context"]["contextActivities"]["category"]
        assert CATEGORY_CMI5 not in [c["id"] for c in categories]
    final = stream[-1]["result"]
    assert final["success"] is True
    assert final["score"] == {
        "scaled": pytest.approx(record.score / 100),
        "raw": record.score,
        "min": 0.0,
        "max": 100.0,
    }
    assert final["duration"] == iso_duration(record.duration_s)
    sensors = final["extensions"][f"{step}/sensors/score"]
    assert sensors == {c.name: pytest.approx(c.score / 100) for c in record.criteria}
    severities = [s["result"]["extensions"][EXT_SEVERITY] for s in stream[2:5]]
    assert severities == [c.severity for c in record.criteria] == ["success", "success", "warning"]
    assert stream[0]["timestamp"].startswith(record.started_at.isoformat()[:19])
    assert stream[-1]["timestamp"].startswith(record.ended_at.isoformat()[:19])
    json.dumps(stream, allow_nan=False)


def test_stream_of_a_failed_attempt_ends_failed():
    record = make_record(0)
    assert not record.passed
    stream = attempt_statements(record, base=BASE)
    assert verbs(stream)[-1] == "failed"
    assert stream[-1]["result"]["success"] is False
    assert [s["result"]["extensions"][EXT_SEVERITY] for s in stream[2:5]] == [
        "error",
        "error",
        "warning",
    ]


def test_statement_ids_are_new_each_time_the_stream_is_made():
    record = make_record(1)
    first = {s["id"] for s in attempt_statements(record)}
    second = {s["id"] for s in attempt_statements(record)}
    assert not first & second


def test_activity_ids_derive_from_scenario_and_version(monkeypatch):
    assert scenario_iri("pinch", "1.0", BASE) == f"{BASE}/scenarios/pinch/1.0"
    assert scenario_iri("a/b c", "2 beta", BASE) == f"{BASE}/scenarios/a%2Fb%20c/2%20beta"
    monkeypatch.setenv("VRTRAINER_XAPI_BASE", "https://org.example/vr/")
    assert scenario_iri("pinch", "1.0") == "https://org.example/vr/scenarios/pinch/1.0"
    assert scenario_iri("pinch", "1.0") != scenario_iri("pinch", "1.1")


def test_cmi5_launch_is_honoured():
    launch = Cmi5Launch.from_url(launch_url())
    record = make_record(2)
    stream = attempt_statements(record, launch=launch, base=BASE)
    au = "https://lms.example/au/7"
    for s in stream:
        assert s["actor"] == ACTOR
        assert s["context"]["registration"] == REGISTRATION
        categories = [c["id"] for c in s["context"]["contextActivities"]["category"]]
        verb = s["verb"]["id"].rsplit("/", 1)[1]
        assert (CATEGORY_CMI5 in categories) == (
            verb in ("initialized", "completed", "passed", "failed")
        )
    assert stream[0]["object"]["id"] == au
    assert stream[1]["object"]["id"] == f"{au}/steps/{record.step}"
    assert stream[-2]["object"]["id"] == au and stream[-1]["object"]["id"] == au
    completed = stream[-2]["result"]
    assert completed["completion"] is True and "duration" in completed
    assert "score" not in completed and "success" not in completed
    assert stream[-1]["result"]["score"]["raw"] == record.score


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "PT0S"), (12.3, "PT12.3S"), (60, "PT1M"), (3725.05, "PT1H2M5.05S"), (0.004, "PT0S")],
)
def test_iso_durations(seconds, text):
    assert iso_duration(seconds) == text


def test_launch_from_env():
    assert Cmi5Launch.from_env({}) is None
    launch = Cmi5Launch.from_env({"VRTRAINER_CMI5_LAUNCH": launch_url()})
    assert launch.registration == REGISTRATION and launch.actor == ACTOR
    query_only = launch_url().split("?", 1)[1]
    assert Cmi5Launch.from_url(query_only) == launch


@pytest.mark.parametrize(
    ("override", "problem"),
    [
        ({"fetch": ""}, "missing fetch"),
        ({"actor": "{not json"}, "actor is not JSON"),
        ({"actor": json.dumps({"name": "nobody"})}, "exactly one identifier"),
        ({"registration": "nope"}, "not a UUID"),
        ({"endpoint": "ftp://lms.example/"}, "not an http"),
        ({"activityId": "no-scheme"}, "not an IRI"),
    ],
)
def test_bad_launches_are_refused(override, problem):
    with pytest.raises(Cmi5Error, match=problem):
        Cmi5Launch.from_url(launch_url(**override))


class _TokenLMS(BaseHTTPRequestHandler):
    """An LMS's fetch URL: hands out the auth token once, as cmi5 says."""

    fetched = 0

    def do_POST(self):  # noqa: N802 (http.server's naming)
        type(self).fetched += 1
        if type(self).fetched == 1:
            body = {"auth-token": "dG9rZW4="}
        else:
            body = {"error-code": "1", "error-text": "already fetched"}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_fetch_gets_the_token_once():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenLMS)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        fetch = f"http://127.0.0.1:{server.server_port}/fetch/1"
        launch = Cmi5Launch.from_url(launch_url(fetch=fetch))
        assert launch.fetch_auth_token() == "dG9rZW4="
        with pytest.raises(Cmi5Error, match="already fetched"):
            launch.fetch_auth_token()
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(VrtrainerError, match="cmi5 fetch failed"):
        launch.fetch_auth_token(timeout=2)
