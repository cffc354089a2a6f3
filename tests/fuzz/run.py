"""Run one fuzz harness for a long time: ``python tests/fuzz/run.py NAME --runs 100000``.

``--engine atheris`` (default) is coverage-guided libFuzzer; ``--engine mutation`` the
seeded random mutation loop the short tests use. The report (inputs, outcomes, findings,
slowest input, peak memory) goes to ``out/fuzz/NAME.json``; inputs that gave a finding are
kept in ``out/fuzz/findings/``.
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

from engine import HARNESSES, atheris_loop, mutation_loop  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("name", choices=HARNESSES)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=None,
                        help="mutation engine: stop after this long even if --runs is not reached")
    parser.add_argument("--engine", choices=("atheris", "mutation"), default="atheris")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("out/fuzz"))
    args = parser.parse_args()
    report_path = args.out / f"{args.name}.json"
    if args.engine == "atheris":
        atheris_loop(args.name, args.runs, report_path, seed=args.seed)
    report = mutation_loop(args.name, inputs=args.runs, seconds=args.seconds, seed=args.seed,
                           findings_dir=args.out / "findings", progress=report_path)
    report.write(report_path)
    print(json.dumps({k: v for k, v in report.__dict__.items() if k != "findings"}))
    sys.exit(1 if report.findings else 0)


if __name__ == "__main__":
    main()
