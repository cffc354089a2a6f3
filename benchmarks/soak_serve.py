"""Soak of the trainer's live server: several sessions publishing at once for minutes.

A real ``vrtrainer serve`` (its own process, on 127.0.0.1) and ``--sessions`` real
``vrtrainer train pinch --mirror --no-render --publish ...`` processes, each started
again as soon as it ends, until ``--minutes`` have passed; simulated trainees at real-time
pace, retrying. Meanwhile a signed-in trainer asks for the grid once a second and watches
one session over the page's WebSocket, so that the page's responsiveness is measured
under the load: grid request latency, and the gaps between the watched session's frames.

    python benchmarks/soak_serve.py --minutes 10 --sessions 8      # make soak-serve

Every result is counted at its sender (each run's ``--json`` summary: results added,
delivered, pending) and on the server (results it stored once each). Passes when no
result is lost: delivered == added at the senders, nothing pending, and the server holds
as many as were delivered. Prints a Markdown table and the verdict as JSON on the last
line; exits 1 on failure. Figures are printed, never gated on (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from serve_helpers import KEY, PASSWORD, TRAINER, TrainerClient, request  # noqa: E402

from vrtrainer.results import ResultsStore  # noqa: E402
from vrtrainer.results.trainers import TrainerAccounts  # noqa: E402


def free_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def session_loop(k: int, url: str, folder: Path, db: Path, deadline: float,
                 summaries: list[dict], env: dict[str, str]) -> None:
    """Run training processes for trainee k until the deadline; keep their summaries."""
    run = 0
    while time.monotonic() < deadline:
        run += 1
        cmd = [sys.executable, "-m", "vrtrainer", "train", "pinch", "--mirror", "--no-render",
               "--retries", "6", "--seed", str(100 * k + run), "--trainee", f"T-{k:02d}",
               "--db", str(db), "--out", str(folder / f"s{k}"), "--publish", url,
               "--publish-key", KEY, "--json"]
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
        if done.returncode != 0:
            summaries.append({"session": k, "error": done.stderr[-2000:]})
            continue
        summary = json.loads(done.stdout)
        summaries.append({"session": k, "published": summary["published"],
                          "attempts": len(summary["attempts"])})


def watch_page(url: str, stop: threading.Event, latencies: list[float],
               gaps: list[float]) -> None:
    """A trainer's page: the grid once a second; one session's frames over the socket."""
    from websockets.sync.client import connect

    trainer = TrainerClient(url)
    ws_url = url.replace("http", "ws") + "/ws"
    last_grid = 0.0
    with connect(ws_url, additional_headers={"Cookie": trainer.cookie}) as ws:
        watched = None
        last = None
        while not stop.is_set():
            now = time.monotonic()
            if now - last_grid >= 1.0:
                last_grid = now
                t0 = time.perf_counter()
                grid = trainer.grid()
                latencies.append(time.perf_counter() - t0)
                live = [s["session"] for s in grid if s["connected"]]
                if live and watched not in live:
                    watched = live[0]
                    ws.send(json.dumps({"watch": watched}))
                    last = None
            try:
                message = json.loads(ws.recv(1.0))
            except TimeoutError:
                continue
            if message["type"] == "live":
                t = time.monotonic()
                if last is not None:
                    gaps.append(t - last)
                last = t


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="vrtrainer-soak-serve-"))
    db = folder / "results.sqlite"
    with ResultsStore.open(db) as store:
        TrainerAccounts(store.engine).add(TRAINER, PASSWORD)
    (folder / "publish.key").write_text(KEY)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, XDG_DATA_HOME=str(folder))
    server = subprocess.Popen(
        [sys.executable, "-m", "vrtrainer", "serve", "--port", str(port), "--db", str(db),
         "--key-file", str(folder / "publish.key")], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                if request(url, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        started = time.monotonic()
        deadline = started + 60.0 * args.minutes
        summaries: list[dict] = []
        threads = [threading.Thread(target=session_loop,
                                    args=(k, url, folder, db, deadline, summaries, env))
                   for k in range(args.sessions)]
        for t in threads:
            t.start()
        stop = threading.Event()
        latencies: list[float] = []
        gaps: list[float] = []
        page = threading.Thread(target=watch_page, args=(url, stop, latencies, gaps),
                                daemon=True)
        page.start()
        for t in threads:
            t.join()
        stop.set()
        page.join(10)
        wall = time.monotonic() - started
        received = TrainerClient(url).get("/api/sessions")[1]["results_received"]
    finally:
        server.terminate()
        server.wait(30)
    runs = [s for s in summaries if "published" in s]
    errors = [s for s in summaries if "error" in s]
    added = sum(s["published"]["results_added"] for s in runs)
    delivered = sum(s["published"]["results_delivered"] for s in runs)
    pending = sum(s["published"]["results_pending"] for s in runs)
    frames = sum(s["published"]["frames_sent"] for s in runs)
    dropped = sum(s["published"]["frames_dropped"] for s in runs)
    lat = np.array(latencies or [np.nan]) * 1000
    gap = np.array(gaps or [np.nan]) * 1000
    figures = {
        "minutes": round(wall / 60, 2), "sessions": args.sessions, "runs": len(runs),
        "failed_runs": len(errors), "results_added": added, "results_delivered": delivered,
        "results_pending": pending, "server_results": received,
        "frames_sent": frames, "frames_dropped": dropped,
        "grid_ms_p50": round(float(np.nanpercentile(lat, 50)), 1),
        "grid_ms_p95": round(float(np.nanpercentile(lat, 95)), 1),
        "grid_ms_max": round(float(np.nanmax(lat)), 1),
        "live_gap_ms_p50": round(float(np.nanpercentile(gap, 50)), 1),
        "live_gap_ms_p95": round(float(np.nanpercentile(gap, 95)), 1),
        "live_gap_ms_max": round(float(np.nanmax(gap)), 1),
    }
    ok = (not errors and added > 0 and delivered == added and pending == 0
          and received == delivered)
    figures["passed"] = ok
    print("| figure | value |\n|---|---|")
    for key, value in figures.items():
        print(f"| {key} | {value} |")
    for e in errors[:3]:
        print(f"run of session {e['session']} failed: {e['error']}", file=sys.stderr)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
