"""SIGKILL at random moments of a real-time training session, then recovery of every take.

Each trial starts ``vrtrainer``'s training loop in a child process (simulated trainee at
90 Hz wall-clock pace, retrying for ever, recording every attempt), kills it with SIGKILL
after a random delay, and checks what is on disk: every finished take loads, every
journal of an interrupted attempt recovers, and the recovered take holds the attempt up
to at most one second before the kill.

    python tests/kill_trials.py --trials 50        # make faults
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from vrtrainer.errors import InvalidFileError
from vrtrainer.takes.take import load_take, recover_take

ROOT = Path(__file__).resolve().parents[1]
#: The most of an attempt that may be lost when the process dies (seconds).
MAX_LOST_S = 1.0
CHILD = """
import sys, time
from pathlib import Path
from vrtrainer.backends.scripted import PersonScript
from vrtrainer.app.training import TrainingOptions, run_training
run_training(TrainingOptions(target="grab", out_dir=Path(sys.argv[1]), store=False,
                             render=False, mirror=True,
                             script=PersonScript(retries=10**6, feedback_wait=0.3)),
             progress=lambda m: print(time.monotonic(), m, flush=True))
"""


@dataclass
class Trial:
    delay_s: float
    finished_takes: int
    journals: int
    recovered_frames: int
    attempt_s: float  # how long the interrupted attempt had run when killed (0: none)
    kept_s: float  # how much of it the recovered take holds
    lost_s: float
    ok: bool
    problem: str = ""


def run_trial(out: Path, delay: float) -> Trial:
    """One child, killed ``delay`` seconds after its first attempt begins recording."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(out)], env=env,
                            stdout=subprocess.PIPE, text=True)
    phases: list[tuple[float, str]] = []
    started = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            stamp, _, message = line.strip().partition(" ")
            phases.append((float(stamp), message))
            if message.endswith(": attempt"):
                started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not started.wait(120):
            raise RuntimeError("the training child never began an attempt")
        time.sleep(delay)
        killed_at = time.monotonic()
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
        reader.join(5)
    return _check(out, delay, killed_at, phases)


def _check(out: Path, delay: float, killed_at: float, phases) -> Trial:
    problem = ""
    finished = sorted(out.glob("*.vrtake"))
    journals = sorted(out.glob("*.vrtake.partial"))
    for path in finished:
        try:
            load_take(path)
        except InvalidFileError as exc:
            problem = f"finished take does not load: {exc}"
    before = [(t, m) for t, m in phases if t <= killed_at]
    last_phase = before[-1] if before else (0.0, "")
    attempt_s = killed_at - last_phase[0] if last_phase[1].endswith(": attempt") else 0.0
    kept = 0.0
    frames = 0
    for journal in journals:
        final = journal.with_name(journal.name.removesuffix(".partial"))
        try:
            take, _ = recover_take(journal, out=out / f"recovered-{journal.stem}")
            frames += take.n_frames
            kept = max(kept, take.duration)
        except InvalidFileError as exc:
            # A journal with no whole frame yet is an attempt of under a frame's batch,
            # or one whose take was already saved (killed between rename and unlink).
            if "no complete frame" not in str(exc) or (attempt_s > MAX_LOST_S
                                                       and not final.exists()):
                problem = f"journal does not recover: {exc}"
    lost = max(0.0, attempt_s - kept)
    if attempt_s > 0 and not journals and not problem:
        # Killed right as the attempt ended: its take must then be complete on disk.
        lost = 0.0 if finished else attempt_s
    if lost > MAX_LOST_S and not problem:
        problem = f"lost {lost:.2f} s of the attempt (kept {kept:.2f} of {attempt_s:.2f} s)"
    return Trial(delay_s=delay, finished_takes=len(finished), journals=len(journals),
                 recovered_frames=frames, attempt_s=attempt_s, kept_s=kept, lost_s=lost,
                 ok=not problem, problem=problem)


def run_trials(n: int, seed: int = 0, max_delay: float = 8.0) -> list[Trial]:
    rng = random.Random(seed)
    trials = []
    for _ in range(n):
        with tempfile.TemporaryDirectory(prefix="vrtrainer-kill-") as d:
            trials.append(run_trial(Path(d) / "takes", rng.uniform(0.05, max_delay)))
    return trials


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=Path("out/faults/kill.json"))
    args = parser.parse_args()
    trials = run_trials(args.trials, args.seed)
    failed = [t for t in trials if not t.ok]
    summary = {
        "trials": len(trials), "failed": len(failed),
        "killed_mid_attempt": sum(t.attempt_s > 0 for t in trials),
        "journals_recovered": sum(t.journals for t in trials),
        "finished_takes_checked": sum(t.finished_takes for t in trials),
        "max_lost_s": max((t.lost_s for t in trials), default=0.0),
        "mean_lost_s": sum(t.lost_s for t in trials) / max(1, len(trials)),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"summary": summary,
                                     "trials": [asdict(t) for t in trials]}, indent=1))
    for t in failed:
        print("FAILED:", t.problem)
    print(json.dumps(summary))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
