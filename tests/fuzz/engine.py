"""The fuzzing engine: runs one harness's loader on many inputs, each under guards.

A harness module (``fuzz_*.py`` beside this file) gives ``NAME``, ``seeds()`` (valid
files made by the project itself), ``mutate(data, rng)``, ``prepare(data, work)`` (writes
the input where the loader will find it, unguarded) and ``load(target)`` (the loader
call). Each input may only end in a load or the project's own ``VrtrainerError``; the
guards turn anything else into a finding:

* ``crash``: any other exception (type and the line that raised it);
* ``hang``: the input used over ``timeout`` seconds of CPU (SIGPROF interrupts it), or
  over ``wall_timeout`` seconds of wall time, e.g. blocked on a pipe (SIGALRM); CPU time
  keeps a busy machine (two fuzzers, a soak) from passing for a slow loader;
* ``memory``: ``MemoryError`` under the address-space cap (RLIMIT_AS = the harness's own
  size after warm-up + ``mem_cap``);
* ``outside``: a file or folder outside the input's own folder and the private temporary
  folder was opened, listed, created, renamed or removed (Python audit hooks), or the
  sentinel folder beside it changed (names, sizes, mtimes, contents);
* ``leftover``: the loader left files in the temporary folder after it returned.

Two drivers: :func:`mutation_loop` (seeded random mutations, used by the short tests)
and :func:`atheris_loop` (coverage-guided libFuzzer through atheris, for ``make fuzz``).
"""

from __future__ import annotations

import faulthandler
import hashlib
import importlib
import json
import os
import random
import resource
import shutil
import signal
import sys
import sysconfig
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from mutators import stacked

from vrtrainer.errors import VrtrainerError

HARNESSES = ("take", "journal", "template", "pack_folder", "pack_zip", "shrec17",
             "sfinge3d", "records", "cmi5", "timebase", "gltf", "journal_sparse",
             "results_rows")
#: Address space a loader may use above the harness's own, per input (documented cap).
MEM_CAP = 1 << 30
TIMEOUT_S = 1.0
WALL_TIMEOUT_S = 10.0
#: Audit events that name files, with how many of their first arguments are paths.
_WATCHED_EVENTS = {
    "open": 1, "os.listdir": 1, "os.scandir": 1, "os.mkdir": 1, "os.rename": 2,
    "os.remove": 1, "os.rmdir": 1, "os.symlink": 2, "os.link": 2, "os.chmod": 1,
    "os.utime": 1, "os.truncate": 1, "os.chown": 1, "shutil.copyfile": 2,
    "shutil.copymode": 2, "shutil.rmtree": 1, "shutil.move": 2, "os.chdir": 1,
}
#: Where those events give a folder descriptor that relative paths are taken from.
_DIR_FD = {"os.remove": 1, "os.rmdir": 1, "os.mkdir": 2}


class InputTimeout(BaseException):
    """Raised by SIGALRM inside a loader that ran too long (not an Exception, so loaders
    cannot swallow it)."""


class Skip(Exception):  # noqa: N818 (a control-flow signal, not an error)
    """A harness's prepare step found the input meaningless (e.g. not JSON at all)."""


@dataclass
class Report:
    """What one fuzz run tried and found."""

    harness: str
    engine: str
    inputs: int = 0
    accepted: int = 0
    refused: int = 0
    skipped: int = 0
    findings: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    slowest_s: float = 0.0
    mem_cap_mb: int = MEM_CAP >> 20
    peak_rss_mb: float = 0.0
    finding_kinds: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str, seconds: float, finding: dict | None) -> None:
        self.inputs += 1
        self.slowest_s = max(self.slowest_s, seconds)
        if outcome == "accepted":
            self.accepted += 1
        elif outcome == "refused":
            self.refused += 1
        elif outcome == "skipped":
            self.skipped += 1
        if finding is not None:
            self.finding_kinds[finding["kind"]] = self.finding_kinds.get(finding["kind"], 0) + 1
            if len(self.findings) < 50:
                self.findings.append(finding)

    def write(self, path: Path, peak_rss_mb: float | None = None) -> None:
        """Write the report, with this process's peak memory unless ``peak_rss_mb`` is
        given (a report merged from other processes')."""
        self.peak_rss_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                            if peak_rss_mb is None else peak_rss_mb)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1))
        os.replace(tmp, path)


def load_harness(name: str) -> ModuleType:
    return importlib.import_module(f"fuzz_{name}")


def _vm_size() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status")


class Guard:
    """Runs inputs with a timer, an address-space cap, a file-access watch and a sentinel."""

    _hook_installed = False
    _active: Guard | None = None

    def __init__(self, timeout: float = TIMEOUT_S, mem_cap: int = MEM_CAP,
                 findings_dir: Path | None = None, wall_timeout: float = WALL_TIMEOUT_S) -> None:
        self.timeout = timeout
        self.wall_timeout = wall_timeout
        self.mem_cap = mem_cap
        self.findings_dir = findings_dir
        # In memory when possible: folders are made and removed for every input.
        shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        self.root = Path(tempfile.mkdtemp(prefix="vrtrainer-fuzz-", dir=shm)).resolve()
        self.work = self.root / "work"
        self.tmp = self.root / "tmp"
        self.sentinel = self.root / "sentinel"
        for d in (self.work, self.tmp, self.sentinel / "sub"):
            d.mkdir(parents=True)
        (self.sentinel / "secret.txt").write_text("outside the pack: never read\n")
        (self.sentinel / "sub" / "scenario.toml").write_text('schema_version = 1\nid = "x"\n')
        (self.sentinel / "expert.vrtake").write_bytes(b"PK\x05\x06" + bytes(18))
        self._snapshot = self.sentinel_state()
        self._armed = False
        self._violations: list[str] = []
        self._allowed = self._allowed_roots()
        self._saved_tempdir = tempfile.tempdir
        self._saved_limit: tuple[int, int] | None = None
        tempfile.tempdir = str(self.tmp)
        if not Guard._hook_installed:
            sys.addaudithook(Guard._audit)
            Guard._hook_installed = True
        Guard._active = self

    def _allowed_roots(self) -> tuple[str, ...]:
        import vrtrainer

        # The import system lists the folders on sys.path (a lazy import inside a loader).
        self._listable = {os.path.realpath(p or ".") + "/" for p in sys.path}
        roots = {str(self.work), str(self.tmp), "/proc", "/dev", "/sys",
                 os.path.realpath(Path(vrtrainer.__file__).parent)}
        for key in ("stdlib", "platstdlib", "purelib", "platlib"):
            roots.add(os.path.realpath(sysconfig.get_paths()[key]))
        if os.environ.get("NUMBA_CACHE_DIR"):
            roots.add(os.path.realpath(os.environ["NUMBA_CACHE_DIR"]))
        return tuple(r.rstrip("/") + "/" for r in roots)

    @staticmethod
    def _audit(event: str, args: tuple) -> None:
        guard = Guard._active
        if guard is None or not guard._armed or event not in _WATCHED_EVENTS:
            return
        dir_fd = args[_DIR_FD[event]] if event in _DIR_FD and len(args) > _DIR_FD[event] else None
        for arg in args[:_WATCHED_EVENTS[event]]:
            if isinstance(arg, str | bytes | os.PathLike):
                guard._check_path(event, arg, dir_fd if isinstance(dir_fd, int) else None)

    def _check_path(self, event: str, arg: Any, dir_fd: int | None) -> None:
        try:
            name = os.fsdecode(arg)
            if dir_fd is not None and not os.path.isabs(name):
                name = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), name)
            path = os.path.realpath(name) + "/"
        except (TypeError, ValueError, OSError):
            return
        if event in ("os.listdir", "os.scandir") and path in self._listable:
            return
        if path.startswith(str(self.sentinel) + "/") or not path.startswith(self._allowed):
            self._violations.append(f"{event} {path.rstrip('/')}")

    def sentinel_state(self) -> list[tuple[str, int, int, str]]:
        state = []
        for p in sorted(self.sentinel.rglob("*")):
            st = p.lstat()
            digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else ""
            state.append((str(p.relative_to(self.sentinel)), st.st_size, st.st_mtime_ns, digest))
        return state

    def limit_memory(self) -> None:
        """Cap the address space at the current size plus ``mem_cap`` (after warm-up)."""
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        self._saved_limit = (soft, hard)
        cap = _vm_size() + self.mem_cap
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))

    def run(self, harness: ModuleType, data: bytes) -> tuple[str, float, dict | None]:
        """Load one input; return its outcome, its CPU seconds and a finding or None."""
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir()
        try:
            target = harness.prepare(data, self.work)
        except Skip:
            return "skipped", 0.0, None
        self._violations = []
        outcome, problem = "accepted", None
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.signal(signal.SIGPROF, _on_alarm)
        cpu0 = time.process_time()
        self._armed = True
        signal.setitimer(signal.ITIMER_PROF, self.timeout)
        signal.setitimer(signal.ITIMER_REAL, self.wall_timeout)
        try:
            harness.load(target)
        except VrtrainerError:
            outcome = "refused"
        except InputTimeout:
            outcome, problem = "hang", ("hang", f"over {self.timeout} s of CPU or "
                                                f"{self.wall_timeout} s of wall time")
        except MemoryError as exc:
            outcome, problem = "memory", ("memory", f"MemoryError {exc}")
        except RecursionError as exc:
            outcome, problem = "crash", ("crash", _where(exc))
        except Exception as exc:
            outcome, problem = "crash", ("crash", _where(exc))
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.setitimer(signal.ITIMER_REAL, 0)
            self._armed = False
        seconds = time.process_time() - cpu0
        if problem is None and self._violations:
            problem = ("outside", "; ".join(sorted(set(self._violations))[:5]))
        if problem is None:
            left = sorted(p.name for p in self.tmp.iterdir())
            if left:
                problem = ("leftover", f"temporary files left: {left[:5]}")
                for p in self.tmp.iterdir():
                    shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink()
        finding = None if problem is None else self._finding(harness, data, *problem)
        return outcome, seconds, finding

    def check_sentinel(self, harness: ModuleType) -> dict | None:
        """A finding if anything in the sentinel folder changed since the start."""
        if self.sentinel_state() != self._snapshot:
            return self._finding(harness, b"", "outside", "the sentinel folder changed")
        return None

    def _finding(self, harness: ModuleType, data: bytes, kind: str, detail: str) -> dict:
        digest = hashlib.sha256(data).hexdigest()[:16]
        saved = None
        if self.findings_dir is not None and data:
            self.findings_dir.mkdir(parents=True, exist_ok=True)
            saved = self.findings_dir / f"{harness.NAME}-{kind}-{digest}.bin"
            saved.write_bytes(data)
        return {"kind": kind, "detail": detail, "input": str(saved) if saved else digest}

    def close(self) -> None:
        Guard._active = None
        tempfile.tempdir = self._saved_tempdir
        if self._saved_limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, self._saved_limit)
        shutil.rmtree(self.root, ignore_errors=True)


def _on_alarm(signum, frame) -> None:
    raise InputTimeout()


def _where(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    last = tb[-1] if tb else None
    place = f"{Path(last.filename).name}:{last.lineno} {last.name}" if last else "?"
    return f"{type(exc).__name__} at {place}: {str(exc)[:200]}"


def warm_up(harness: ModuleType, guard: Guard, seeds: list[bytes]) -> None:
    """Load every seed once, unguarded by the memory cap: imports and caches settle here."""
    for data in seeds:
        outcome, _, finding = guard.run(harness, data)
        if finding is not None or outcome != "accepted":
            raise AssertionError(f"{harness.NAME}: a seed does not load cleanly: {finding}")


def mutation_loop(name: str, *, inputs: int | None = None, seconds: float | None = None,
                  seed: int = 0, findings_dir: Path | None = None,
                  progress: Path | None = None) -> Report:
    """Seeded random mutations of the seeds (and of accepted children) until the budget ends.

    With ``progress``, the report so far is written there every 5000 inputs (a long run
    can be watched).
    """
    harness = load_harness(name)
    report = Report(name, "mutation")
    rng = random.Random(seed)
    corpus = list(harness.seeds())
    guard = Guard(findings_dir=findings_dir)
    try:
        warm_up(harness, guard, corpus)
        guard.limit_memory()
        t0 = time.perf_counter()
        while True:
            if inputs is not None and report.inputs >= inputs:
                break
            if seconds is not None and time.perf_counter() - t0 >= seconds:
                break
            parent = rng.choice(corpus)
            child = stacked(harness.mutate, parent, rng)
            outcome, took, finding = guard.run(harness, child)
            report.add(outcome, took, finding)
            if progress is not None and report.inputs % 5000 == 0:
                report.seconds = time.perf_counter() - t0
                report.write(progress)
            if outcome == "accepted" or (outcome == "refused" and rng.random() < 0.05):
                if len(corpus) < 256:
                    corpus.append(child)
                else:
                    corpus[rng.randrange(len(corpus))] = child
        sentinel = guard.check_sentinel(harness)
        if sentinel is not None:
            report.add("refused", 0.0, sentinel)
            report.inputs -= 1
            report.refused -= 1
        report.seconds = time.perf_counter() - t0
    finally:
        guard.close()
    return report


#: Modules instrumented for coverage (not the numba kernels: njit compiles bytecode).
INSTRUMENTED = ["vrtrainer.takes.archive", "vrtrainer.takes.take", "vrtrainer.takes.importers",
                "vrtrainer.scenario", "vrtrainer.compare.template", "vrtrainer.compare.features",
                "vrtrainer.results", "vrtrainer.xapi", "vrtrainer.hands.hand", "tomllib", "zipfile",
                "jsonschema", "trimesh.exchange.gltf"]
#: atheris instruments whole top-level packages: keep it away from the numba kernels.
NOT_INSTRUMENTED = ["vrtrainer.compare.dtw", "vrtrainer.compare.live", "vrtrainer.render",
                    "vrtrainer.cli.doctor"]


def atheris_loop(name: str, runs: int, out: Path, seed: int = 1,
                 keep_corpus: bool = False) -> None:
    """Coverage-guided fuzzing with atheris (libFuzzer) for ``runs`` inputs; never returns.

    The report is written to ``out`` every 1000 inputs; after the last input the process
    exits with 1 if anything was found, else 0. ``keep_corpus`` goes on from the corpus a
    previous run left in ``out.parent / "corpus"`` (see ``run.py --chunk``).
    """
    import atheris

    with atheris.instrument_imports(include=INSTRUMENTED, exclude=NOT_INSTRUMENTED):
        harness = load_harness(name)
    report = Report(name, "atheris")
    guard = Guard(findings_dir=out.parent / "findings")
    seeds = list(harness.seeds())
    warm_up(harness, guard, seeds)
    guard.limit_memory()
    corpus = out.parent / "corpus" / name
    if not keep_corpus:
        shutil.rmtree(corpus, ignore_errors=True)
    corpus.mkdir(parents=True, exist_ok=True)
    for i, data in enumerate(seeds):
        (corpus / f"seed-{i}").write_bytes(data)
    max_len = max(len(s) for s in seeds) * 4 + 4096
    t0 = time.perf_counter()

    def one(data: bytes) -> None:
        faulthandler.dump_traceback_later(30, exit=True)
        outcome, took, finding = guard.run(harness, data)
        report.add(outcome, took, finding)
        if report.inputs % 1000 == 0 or report.inputs >= runs:
            sentinel = guard.check_sentinel(harness)
            if sentinel is not None and "outside" not in report.finding_kinds:
                report.findings.append(sentinel)
                report.finding_kinds["outside"] = 1
            report.seconds = time.perf_counter() - t0
            report.write(out)
        if report.inputs >= runs:  # end here, with an exit code libFuzzer would not give
            faulthandler.cancel_dump_traceback_later()
            print(json.dumps({k: v for k, v in asdict(report).items() if k != "findings"}),
                  flush=True)
            os._exit(1 if report.findings else 0)

    def mutate(data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)
        if rng.random() < 0.25:
            return atheris.Mutate(data, max_size)
        return stacked(harness.mutate, data, rng)[:max_size]

    atheris.Setup([sys.argv[0], f"-runs={runs * 2}", "-timeout=0", "-rss_limit_mb=0",
                   f"-max_len={max_len}", f"-seed={seed}", "-print_final_stats=1",
                   str(corpus)], one, custom_mutator=mutate)
    atheris.Fuzz()
