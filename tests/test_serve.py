"""The trainer's live server for real: uvicorn on 127.0.0.1, HTTP and WebSocket clients,
simulated sessions publishing through the frame loop (docs/live.md)."""

from __future__ import annotations

import json
import socket
import threading
import uuid

import pytest
from serve_helpers import KEY, PASSWORD, TRAINER, LiveServer, TrainerClient, request, wait_for

pytest.importorskip("uvicorn")
from websockets.exceptions import InvalidStatus  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

from vrtrainer.app.training import TrainingOptions, run_training  # noqa: E402
from vrtrainer.backends.scripted import PersonScript  # noqa: E402
from vrtrainer.results.trainers import TrainerAccounts, hash_password, verify_password  # noqa: E402
from vrtrainer.session.publisher import Publisher  # noqa: E402


@pytest.fixture
def server(tmp_path):
    live = LiveServer(tmp_path / "results.sqlite")
    yield live
    live.stop()


def _options(tmp_path, url, **kw) -> TrainingOptions:
    defaults = dict(target="pinch", backend="simulated", render=False,
                    out_dir=tmp_path / "takes", db=str(tmp_path / "results.sqlite"),
                    publish=url, publish_key=KEY, publish_flush_s=10.0)
    defaults.update(kw)
    return TrainingOptions(**defaults)


def _publisher(url: str, **meta) -> Publisher:
    return Publisher(url, KEY, str(uuid.uuid4()),
                     {"trainee": "T-1", "scenario": "gesture/pinch", "steps": ["pinch"],
                      "language": meta.get("language", "en")}, rate_hz=20.0)


# -- accounts --------------------------------------------------------------------------------

def test_passwords_are_kept_as_salted_scrypt_hashes(server):
    stored = hash_password("a long enough password")
    assert stored.startswith("scrypt$") and "a long enough password" not in stored
    assert stored != hash_password("a long enough password")  # salted
    assert verify_password("a long enough password", stored)
    assert not verify_password("a long enough passworD", stored)
    accounts = TrainerAccounts(server.store.engine)
    assert accounts.authenticate(TRAINER, PASSWORD).name == TRAINER
    assert accounts.authenticate(TRAINER, PASSWORD + "x") is None
    assert accounts.authenticate("nobody", PASSWORD) is None
    with server.store.engine.connect() as conn:
        dump = "\n".join(conn.connection.dbapi_connection.iterdump())
    assert PASSWORD not in dump


# -- refusals --------------------------------------------------------------------------------

def test_nobody_without_a_trainer_account_sees_or_steers(server):
    url = server.url
    publisher = _publisher(url).start()
    publisher.offer_frame({"phase": "attempt", "score": 50.0})
    sid = publisher.session_uuid
    wait_for(lambda: sid in server.registry.sessions, what="the session")
    for method, path, body in (("GET", "/api/sessions", None),
                               ("GET", f"/api/sessions/{sid}", None),
                               ("POST", f"/api/sessions/{sid}/actions", {"kind": "retry"}),
                               ("GET", "/reports/attempt/1", None)):
        status, payload, _ = request(url, method, path, body)
        assert status == 401, (path, payload)
        assert sid not in json.dumps(payload)
    status, _, response = request(url, "GET", "/")
    assert status == 303 and response.getheader("location") == "/login"
    forged = {"Cookie": "vrtrainer_trainer=forged"}
    assert request(url, "GET", "/api/sessions", headers=forged)[0] == 401
    with pytest.raises(InvalidStatus):
        connect(url.replace("http", "ws") + "/ws", open_timeout=10)
    with pytest.raises(InvalidStatus):
        connect(url.replace("http", "ws") + "/ws", open_timeout=10, additional_headers=forged)
    # wrong password, then too many tries
    for _ in range(5):
        status, _, _ = request(url, "POST", "/login", {"name": TRAINER, "password": "wrong-pass"})
        assert status == 401
    status, _, _ = request(url, "POST", "/login", {"name": TRAINER, "password": PASSWORD})
    assert status == 429
    assert publisher.close(2.0).commands_received == 0


def test_sessions_publish_only_with_the_key_and_their_own_token(server):
    url = server.url
    sid = str(uuid.uuid4())
    assert request(url, "POST", "/api/publish/register", {"session": sid},
                   {"Authorization": "Bearer wrong-key"})[0] == 401
    assert request(url, "POST", "/api/publish/register", {"session": sid})[0] == 401
    assert request(url, "POST", "/api/publish/register", {"session": "../etc"},
                   {"Authorization": f"Bearer {KEY}"})[0] == 400
    status, reply, _ = request(url, "POST", "/api/publish/register", {"session": sid},
                               {"Authorization": f"Bearer {KEY}"})
    assert status == 200
    token = reply["token"]
    other = str(uuid.uuid4())
    status, reply, _ = request(url, "POST", "/api/publish/register", {"session": other},
                               {"Authorization": f"Bearer {KEY}"})
    other_token = reply["token"]
    frame = {"frame": {"phase": "attempt", "score": 1.0}}
    assert request(url, "POST", f"/api/publish/{sid}", frame,
                   {"Authorization": f"Bearer {other_token}"})[0] == 403
    assert request(url, "POST", f"/api/publish/{sid}", frame,
                   {"Authorization": f"Bearer {KEY}"})[0] == 403
    assert request(url, "POST", f"/api/publish/{sid}", frame)[0] == 403
    assert server.registry.sessions[sid].frame is None
    too_big = json.dumps({"frame": {"x": "y" * 300_000}}).encode()
    assert request(url, "POST", f"/api/publish/{sid}", too_big,
                   {"Authorization": f"Bearer {token}"})[0] == 400
    assert request(url, "POST", f"/api/publish/{sid}", frame,
                   {"Authorization": f"Bearer {token}"})[0] == 200
    assert server.registry.sessions[sid].frame == frame["frame"]


# -- delivery --------------------------------------------------------------------------------

def test_results_are_kept_once_and_commands_reach_the_session(server):
    publisher = _publisher(server.url).start()
    for k in range(5):
        publisher.add_result(f"0:{k + 1}", {"score": 50.0 + k, "step": 0, "attempt": k + 1})
    publisher.add_result("0:1", {"score": 50.0, "step": 0, "attempt": 1})  # the same, again
    sid = publisher.session_uuid
    wait_for(lambda: len(server.registry.sessions.get(sid, None).results) == 5
             if sid in server.registry.sessions else False, what="5 results")
    trainer = TrainerClient(server.url)
    assert trainer.act(sid, kind="cue", key="slower")[0] == 200
    assert trainer.act(sid, kind="message", text="  Gardez le poignet   droit ")[0] == 200
    assert trainer.act(sid, kind="end_step")[0] == 200
    assert trainer.act(sid, kind="cue", key="no-such-cue")[0] == 400
    assert trainer.act(sid, kind="shell", text="rm -rf")[0] == 400
    assert trainer.act(sid, kind="message", text="   ")[0] == 400
    got: list[dict] = []
    wait_for(lambda: got.extend(publisher.commands()) or len(got) >= 3, what="3 commands")
    assert [(c["kind"], c["key"], c["text"]) for c in got] == [
        ("cue", "slower", ""), ("message", "", "Gardez le poignet droit"),
        ("end_step", "", "")]
    report = publisher.close(5.0)
    assert report.results_added == 5 and report.results_delivered == 5
    assert report.results_pending == 0 and server.registry.results_received == 5
    # delivery is acknowledged back to the page
    detail = trainer.get(f"/api/sessions/{sid}")[1]
    assert all(s["delivered_s"] is not None for s in detail["sent"])
    # every action recorded, with its xAPI statement
    actions = TrainerAccounts(server.store.engine).actions()
    assert [a.kind for a in actions] == ["sign_in", "cue", "message", "end_step"]
    assert actions[1].text == "Slower" and actions[1].session_uuid == sid
    statements = [json.loads(s) for _, s, _ in server.store.outbox.statements()]
    assert [s["verb"]["id"].rsplit("/", 1)[1] for s in statements] == [
        "commented", "commented", "interacted"]
    assert {s["id"] for s in statements} == {a.uuid for a in actions[1:]}
    assert statements[1]["actor"]["account"]["name"] == TRAINER
    assert statements[1]["result"]["response"] == "Gardez le poignet droit"
    assert statements[1]["context"]["team"]["member"][0]["account"]["name"] == "T-1"


def test_the_page_socket_streams_the_grid_and_the_watched_session(server):
    publisher = _publisher(server.url).start()
    sid = publisher.session_uuid
    publisher.offer_frame({"phase": "attempt", "score": 42.0, "step": 0,
                           "hands": [[[0.1, 1.0, -0.3]] * 26] * 2})
    wait_for(lambda: sid in server.registry.sessions
             and server.registry.sessions[sid].frame is not None, what="a frame")
    trainer = TrainerClient(server.url)
    ws_url = server.url.replace("http", "ws") + "/ws"
    with connect(ws_url, additional_headers={"Cookie": trainer.cookie}, open_timeout=10) as ws:
        grid = json.loads(ws.recv(10))
        assert grid["type"] == "grid" and grid["sessions"][0]["score"] == 42.0
        ws.send(json.dumps({"watch": sid}))
        while True:
            message = json.loads(ws.recv(10))
            if message["type"] == "live":
                break
        assert message["session"] == sid and message["frame"]["hands"][0][0] == [0.1, 1.0, -0.3]
    # a socket from another site's page is refused even with the cookie
    with pytest.raises(InvalidStatus):
        connect(ws_url, open_timeout=10, additional_headers={
            "Cookie": trainer.cookie, "Origin": "http://evil.example"})
    publisher.close(2.0)


# -- through the frame loop ------------------------------------------------------------------

def test_a_live_session_takes_a_message_and_a_retry_from_the_trainer(server, tmp_path):
    """A paced session; the trainer's message reaches its cue panel, retry restarts it."""
    opts = _options(tmp_path, server.url, mirror=True, language="en",
                    script=PersonScript(done_wait=10.0))
    runs = []
    thread = threading.Thread(target=lambda: runs.append(run_training(opts)), daemon=True)
    thread.start()
    sid = wait_for(lambda: next(iter(server.registry.sessions), None), what="the session")
    trainer = TrainerClient(server.url)
    wait_for(lambda: (server.registry.sessions[sid].frame or {}).get("phase") == "attempt",
             what="the attempt")
    frame = server.registry.sessions[sid].frame
    assert len(frame["hands"]) == 2 and len(frame["hands"][0]) == 26
    assert frame["ghost_active"] == [False, True] and frame["coverage"] is not None
    assert trainer.act(sid, kind="message", text="Keep the wrist straight")[0] == 200
    wait_for(lambda: server.registry.sessions[sid].frame.get("cue") == "Keep the wrist straight",
             what="the cue on the trainee's panel")
    assert trainer.act(sid, kind="retry")[0] == 200
    thread.join(120)
    run = runs[0]
    assert run.session.remote_cue == "Keep the wrist straight"
    ended = [o.ended_by for o in run.outcomes]
    assert ended == ["retry", "done"], ended
    report = run.published
    assert report.results_added == len(run.outcomes) == report.results_delivered
    assert report.commands_received == 2
    results = server.registry.sessions[sid].results
    assert [r["ended_by"] for r in results.values()] == ended
    assert results["0:2"]["attempt_id"] == run.attempt_ids[0]
    assert server.registry.sessions[sid].ended


def test_the_cue_panel_shows_the_trainers_cue(gl_context):
    from types import SimpleNamespace

    from vrtrainer.render import Cues
    from vrtrainer.render.presenter import TrainingLook
    from vrtrainer.session.machine import Phase

    look = TrainingLook()
    cues = Cues()
    step = SimpleNamespace(title={"fr": "pince"}, instruction={"fr": "x", "en": "x"})
    session = SimpleNamespace(language="fr", step=step, _progress=lambda: 0.5,
                              last_score=None, debug=False, remote_cue="Plus lentement",
                              remote_cue_until=5.0, _now=1.0, gauges_now=lambda: [],
                              live=SimpleNamespace(score=70.0, message="Corrigez : index"))
    look.fill_cues(cues, session, Phase.ATTEMPT)
    assert cues.message == "Formateur : Plus lentement"
    session._now = 6.0
    look.fill_cues(cues, session, Phase.ATTEMPT)
    assert cues.message == "Corrigez : index"


def test_several_sessions_publishing_at_once_lose_no_result(server, tmp_path):
    runs: dict[int, object] = {}

    def one(k: int) -> None:
        opts = _options(tmp_path / f"s{k}", server.url, trainee=f"T-{k:02d}", seed=k,
                        db=str(tmp_path / "results.sqlite"), script=PersonScript(retries=2))
        runs[k] = run_training(opts)

    threads = [threading.Thread(target=one, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert sorted(runs) == list(range(6))
    added = sum(r.published.results_added for r in runs.values())
    delivered = sum(r.published.results_delivered for r in runs.values())
    assert added == sum(len(r.outcomes) for r in runs.values()) == 18
    assert delivered == added and server.registry.results_received == added
    assert all(r.published.results_pending == 0 for r in runs.values())
    assert len(server.registry.sessions) == 6


def _black_hole() -> tuple[socket.socket, str]:
    """A port that accepts connections and never answers: the slowest server."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


def _free_port_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("kind", ["down", "silent"])
def test_a_session_runs_to_its_end_when_the_server_is_down_or_silent(tmp_path, kind):
    hole = None
    url = _free_port_url()
    if kind == "silent":
        hole, url = _black_hole()
    # the person does not wait for scores (scored on a worker, in their own time), so
    # that both sessions' timelines are the same
    script = PersonScript(retries=1, wait_for_score=False)
    try:
        alone = run_training(_options(tmp_path / "a", None, script=script))
        run = run_training(_options(tmp_path / "b", url, script=script, publish_flush_s=0.5))
    finally:
        if hole is not None:
            hole.close()
    # (frame counts of two runs are not compared: since the runs moved to vrtrainer/app,
    # a session's length also follows the wall clock, so they differ run to run)
    assert run.loop.ended_by == alone.loop.ended_by == "application"
    assert [o.ended_by for o in run.outcomes] == [o.ended_by for o in alone.outcomes]
    assert all(o.score is not None for o in run.outcomes)
    assert len(run.attempt_ids) == 2  # stored locally all the same
    report = run.published
    assert report.results_added == 2 and report.results_delivered == 0
    assert report.results_pending == 2 and report.requests_failed >= 1
    assert report.frames_sent == 0 and report.frames_dropped > 0


def test_the_server_killed_mid_session_loses_no_result(tmp_path):
    """SIGKILL the server after the first result, start it again: every result arrives."""
    import os
    import subprocess
    import sys
    import time

    from vrtrainer.results import ResultsStore

    db = tmp_path / "results.sqlite"
    with ResultsStore.open(db) as store:
        TrainerAccounts(store.engine).add(TRAINER, PASSWORD)
    key_file = tmp_path / "publish.key"
    key_file.write_text(KEY)
    url = _free_port_url()
    port = url.rsplit(":", 1)[1]

    def start() -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-m", "vrtrainer", "serve", "--port", port, "--db", str(db),
             "--key-file", str(key_file)], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=dict(os.environ, XDG_DATA_HOME=str(tmp_path)))

        def up() -> bool:
            assert proc.poll() is None, "the server exited"
            try:
                return request(url, "GET", "/healthz")[0] == 200
            except OSError:
                return False

        wait_for(up, 120, "the server")
        return proc

    server = start()
    runs = []
    opts = _options(tmp_path, url, db=str(db), mirror=True,
                    script=PersonScript(retries=3, feedback_wait=0.3), publish_flush_s=60.0)
    thread = threading.Thread(target=lambda: runs.append(run_training(opts)), daemon=True)
    try:
        thread.start()
        trainer = TrainerClient(url)
        wait_for(lambda: any(s["attempts"] >= 1 for s in trainer.grid()), 120, "a result")
        server.kill()
        server.wait()
        time.sleep(1.0)  # the session goes on alone meanwhile
        server = start()
        thread.join(180)
        trainer = TrainerClient(url)
        grid = trainer.grid()
    finally:
        server.kill()
        server.wait()
    run = runs[0]
    report = run.published
    assert len(run.outcomes) == 4 and len(run.attempt_ids) == 4
    assert report.results_added == 4 and report.results_delivered == 4
    assert report.results_pending == 0 and report.registrations >= 2
    # the restarted server got the results its predecessor had not acknowledged
    assert len(grid) == 1 and 1 <= grid[0]["attempts"] <= 3
