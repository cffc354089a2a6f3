"""Run one fuzz harness for a long time: ``python tests/fuzz/run.py NAME --runs 100000``.

``--engine atheris`` (default) is coverage-guided libFuzzer; ``--engine mutation`` the
seeded random mutation loop the short tests use. The report (inputs, outcomes, findings,
slowest input, peak memory) goes to ``out/fuzz/NAME.json``; inputs that gave a finding are
kept in ``out/fuzz/findings/``.

atheris runs in processes of ``--chunk`` inputs that go on from one shared corpus: its
comparison tracer keeps memory for each comparison of numpy arrays it traces (about 4.6
KB each, measured with atheris 3.0.0), which one long process piles up past the harness's
memory cap on the numeric loaders, a finding of the fuzzer, not of the loader.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

import subprocess  # noqa: E402

from engine import HARNESSES, Report, atheris_loop, mutation_loop  # noqa: E402


def chunked(args: argparse.Namespace, report_path: Path) -> int:
    """``args.runs`` atheris inputs in processes of ``args.chunk``, one corpus; the merged
    report goes to ``report_path``. Returns the exit code (1 if anything was found)."""
    total = Report(args.name, "atheris")
    part = args.out / f"{args.name}.part.json"
    done = 0
    k = 0
    while done < args.runs:
        runs = min(args.chunk, args.runs - done)
        cmd = [sys.executable, __file__, args.name, "--runs", str(runs), "--chunk", "0",
               "--seed", str(args.seed + k), "--out", str(args.out), "--part"]
        if k > 0:
            cmd.append("--keep-corpus")
        part.unlink(missing_ok=True)
        subprocess.run(cmd, check=False)
        if not part.exists():
            break  # the process died before its first report: counted as not done
        got = json.loads(part.read_text())
        if got["inputs"] == 0:
            break
        for key in ("inputs", "accepted", "refused", "skipped", "seconds"):
            setattr(total, key, getattr(total, key) + got[key])
        total.slowest_s = max(total.slowest_s, got["slowest_s"])
        peak = max(total.peak_rss_mb, got["peak_rss_mb"])
        total.findings += got["findings"]
        for kind, count in got["finding_kinds"].items():
            total.finding_kinds[kind] = total.finding_kinds.get(kind, 0) + count
        total.write(report_path, peak_rss_mb=peak)
        done += got["inputs"]
        k += 1
    part.unlink(missing_ok=True)
    print(json.dumps({k: v for k, v in total.__dict__.items() if k != "findings"}))
    return 1 if total.findings or done < args.runs else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("name", choices=HARNESSES)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=None,
                        help="mutation engine: stop after this long even if --runs is not reached")
    parser.add_argument("--engine", choices=("atheris", "mutation"), default="atheris")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("out/fuzz"))
    parser.add_argument("--chunk", type=int, default=10_000,
                        help="atheris: inputs per process, all on one corpus (0: one process)")
    parser.add_argument("--part", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--keep-corpus", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    report_path = args.out / f"{args.name}{'.part' if args.part else ''}.json"
    if args.engine == "atheris":
        if args.chunk > 0 and args.runs > args.chunk:
            sys.exit(chunked(args, report_path))
        atheris_loop(args.name, args.runs, report_path, seed=args.seed,
                     keep_corpus=args.keep_corpus)
    report = mutation_loop(args.name, inputs=args.runs, seconds=args.seconds, seed=args.seed,
                           findings_dir=args.out / "findings", progress=report_path)
    report.write(report_path)
    print(json.dumps({k: v for k, v in report.__dict__.items() if k != "findings"}))
    sys.exit(1 if report.findings else 0)


if __name__ == "__main__":
    main()
