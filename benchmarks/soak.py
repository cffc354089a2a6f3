"""Soak: a long headless training session, memory and frame times sampled as it runs.

A simulated trainee (the scripted person, retrying for ever) trains on a gesture through
the one frame loop, with everything a headset run does: rendering both eyes offscreen
(320x240), live alignment, recording every attempt (crash-safe journal, then the take),
final scoring and storing each attempt in a SQLite results store. Every ``--sample``
seconds it notes the resident memory (``/proc/self/statm``) and the distribution of the
frames' work time (update + render + submit, the pacing sleep left out), and of the main
thread's CPU time per frame, which other jobs on the machine do not inflate.

    python benchmarks/soak.py --minutes 30 --sample 60        # make soak
    python benchmarks/soak.py --minutes 1.5 --sample 15       # make soak-short (CI)

Passes when resident memory grows less than 5 % from the first sample to the last and no
sample's p99 of the main thread's CPU per frame is over twice the median of the samples'
p99s. The same spread of the wall-clock frame times is reported beside it, not judged: it
measures the machine's other jobs as much as vrtrainer. Prints the samples as a Markdown
table and the verdict as JSON on the last line; exits 1 on failure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

from vrtrainer.app.training import TrainingOptions, simulated_performances, store_attempt  # noqa: E402
from vrtrainer.backends.scripted import PersonScript, SimulatedBackend  # noqa: E402
from vrtrainer.session.listeners import SessionListener  # noqa: E402
from vrtrainer.session.loop import run_loop  # noqa: E402
from vrtrainer.session.plan import steps_for  # noqa: E402
from vrtrainer.session.training import TrainingSession  # noqa: E402

MAX_RSS_GROWTH = 0.05
MAX_P99_SPREAD = 2.0
_PAGE = os.sysconf("SC_PAGE_SIZE")


def resident_bytes() -> int:
    """Resident set size of this process, from /proc/self/statm (pages)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


@dataclass
class Sample:
    minute: float
    rss_mb: float
    frames: int
    attempts: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    cpu_p50_ms: float  # main thread's CPU time per frame: flat if the work is
    cpu_p99_ms: float  # flat, whatever other jobs do to the wall times


@dataclass
class SoakResult:
    minutes: float
    frames: int = 0
    attempts: int = 0
    stored: int = 0
    samples: list[Sample] = field(default_factory=list)
    rss_growth: float = 0.0
    #: max / median of the samples' p99 main-thread CPU per frame (judged)
    p99_spread: float = 0.0
    #: the same for the wall-clock frame work times (reported only)
    wall_p99_spread: float = 0.0
    passed: bool = False


class SampledBackend:
    """Wraps a backend: ends the run after ``seconds`` of wall time and samples as it goes."""

    def __init__(self, inner, session: TrainingSession, seconds: float, every: float,
                 result: SoakResult) -> None:
        self.inner = inner
        self.session = session
        self.seconds = seconds
        self.every = every
        self.result = result
        self.tool_names = inner.tool_names
        self._work_ms: list[float] = []
        self._cpu_ms: list[float] = []
        self._cpu_last = 0.0
        self._t0 = 0.0
        self._next = 0.0
        self._frames = 0

    def begin(self) -> None:
        self.inner.begin()
        self._t0 = time.perf_counter()
        self._next = self._t0 + self.every

    def wait_frame(self, state) -> bool:
        cpu = time.thread_time()
        if self._frames:
            last = self.session.timings.last
            self._work_ms.append(last["update"] + last["render"] + last["submit"])
            self._cpu_ms.append((cpu - self._cpu_last) * 1000.0)
        self._cpu_last = cpu
        now = time.perf_counter()
        if now >= self._next:
            self._sample(now)
            self._next += self.every
        if now - self._t0 >= self.seconds:
            return False
        self._frames += 1
        return self.inner.wait_frame(state)

    def _sample(self, now: float) -> None:
        work = np.array(self._work_ms or [0.0])
        cpu = np.array(self._cpu_ms or [0.0])
        self._work_ms.clear()
        self._cpu_ms.clear()
        p50, p99 = np.percentile(work, [50, 99])
        cpu50, cpu99 = np.percentile(cpu, [50, 99])
        self.result.samples.append(Sample(
            minute=round((now - self._t0) / 60.0, 2), rss_mb=resident_bytes() / 2**20,
            frames=self._frames, attempts=len(self.session.outcomes), p50_ms=float(p50),
            p99_ms=float(p99), max_ms=float(work.max()), cpu_p50_ms=float(cpu50),
            cpu_p99_ms=float(cpu99)))

    def render_targets(self):
        return self.inner.render_targets()

    def end_frame(self, state, display) -> None:
        self.inner.end_frame(state, display)

    def close(self) -> None:
        self.inner.close()

    def describe(self) -> dict[str, str]:
        return self.inner.describe()


def soak(minutes: float, sample_s: float, out_dir: Path, gesture: str = "pinch",
         paced: bool = True) -> SoakResult:
    """Train for ``minutes`` and return the samples and the verdict."""
    from vrtrainer.render.presenter import SessionPresenter
    from vrtrainer.render.surfaces import OffscreenTargets
    from vrtrainer.results import ResultsStore

    opts = TrainingOptions(target=gesture, out_dir=out_dir / "takes", flaws=["jitter=2"],
                           script=PersonScript(retries=10**9, feedback_wait=0.5))
    steps = steps_for(opts.target, opts.hand, opts.language)
    result = SoakResult(minutes=minutes)
    store = ResultsStore.open(out_dir / "results.sqlite")
    offscreen = OffscreenTargets(320, 240)
    session_uuid = str(uuid.uuid4())
    try:
        presenter = SessionPresenter(offscreen.renderer, framebuffers=offscreen.framebuffers)
        inner = SimulatedBackend(simulated_performances(opts, steps), script=opts.script,
                                 targets=offscreen, paced=paced,
                                 max_seconds=minutes * 60.0 * 4 + 600)

        class Storing(SessionListener):
            def attempt_finished(self, session, outcome) -> None:
                if outcome.score is not None:
                    store_attempt(store, outcome, outcome.score, steps, opts, session_uuid,
                                  inner.describe())
                    result.stored += 1

        session = TrainingSession(steps, opts.out_dir, trainee=opts.trainee,
                                  language=opts.language, source="vrtrainer soak",
                                  renderer=presenter, listeners=[Storing()])
        backend = SampledBackend(inner, session, minutes * 60.0, sample_s, result)
        loop = run_loop(backend, session)
        result.frames = loop.frames
        result.attempts = len(session.outcomes)
    finally:
        offscreen.close()
        store.close()
    samples = result.samples
    if len(samples) >= 2:
        result.rss_growth = samples[-1].rss_mb / samples[0].rss_mb - 1.0
        cpu99 = [s.cpu_p99_ms for s in samples]
        result.p99_spread = max(cpu99) / float(np.median(cpu99))
        wall99 = [s.p99_ms for s in samples]
        result.wall_p99_spread = max(wall99) / float(np.median(wall99))
    result.passed = (len(samples) >= 2 and result.rss_growth < MAX_RSS_GROWTH
                     and result.p99_spread <= MAX_P99_SPREAD)
    return result


def table(result: SoakResult) -> str:
    lines = ["| minute | RSS (MiB) | frames | attempts | p50 (ms) | p99 (ms) | max (ms) | "
             "CPU p50 (ms) | CPU p99 (ms) |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in result.samples:
        lines.append(f"| {s.minute:.1f} | {s.rss_mb:.1f} | {s.frames:,} | {s.attempts} | "
                     f"{s.p50_ms:.2f} | {s.p99_ms:.2f} | {s.max_ms:.1f} | "
                     f"{s.cpu_p50_ms:.2f} | {s.cpu_p99_ms:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--sample", type=float, default=60.0, help="seconds between samples")
    parser.add_argument("--out", type=Path, default=None, help="takes and store (default: temp)")
    parser.add_argument("--json", type=Path, default=None, help="write the result here too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vrtrainer-soak-") as tmp:
        out = args.out or Path(tmp)
        result = soak(args.minutes, args.sample, out)
    print(table(result))
    verdict = {k: v for k, v in asdict(result).items() if k != "samples"}
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(asdict(result), indent=1))
    print(json.dumps(verdict))
    sys.exit(0 if result.passed else 1)


if __name__ == "__main__":
    main()
