"""Print the fuzz reports of the given folders (default out/fuzz/) as the Markdown table
of docs/reliability.md."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(*folders: str) -> int:
    rows = []
    bad = 0
    reports = [json.loads(p.read_text()) for folder in folders or ("out/fuzz",)
               for p in Path(folder).glob("*.json")]
    for r in sorted(reports, key=lambda r: (r["harness"], r["engine"])):
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(r["finding_kinds"].items())) or "none"
        bad += bool(r["finding_kinds"])
        rows.append(f"| {r['harness']} | {r['engine']} | {r['inputs']:,} | {r['accepted']:,} | "
                    f"{r['refused']:,} | {r['skipped']:,} | {r['slowest_s'] * 1000:.0f} ms | "
                    f"{r['peak_rss_mb']:.0f} MiB | {r['seconds'] / 60:.1f} min | {kinds} |")
    print("| loader | engine | inputs | loaded | refused | not an input | slowest (CPU) | "
          "peak RSS | time | findings |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    print("\n".join(rows))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
