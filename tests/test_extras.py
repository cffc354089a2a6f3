"""`pip install vrtrainer` alone scores headless; a missing extra is one clear error line.

A fresh venv with only the base dependencies would take minutes to build on every run;
instead a fresh interpreter runs the CLI with every module an extra installs
(:data:`vrtrainer.extras.MODULES`) blocked by a meta-path finder, so importing one fails
as it would where it is not installed. A second test ties that list to pyproject.toml:
the base dependencies hold none of those distributions, each extra holds its own.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from vrtrainer.cli import main
from vrtrainer.extras import MODULES

ROOT = Path(__file__).resolve().parents[1]

HEADLESS = r"""
import contextlib, importlib.abc, io, json, sys
BLOCKED = set(json.loads(sys.argv[1]))

class Blocked(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Blocked())
from vrtrainer.cli import main
runs = []
for argv in json.loads(sys.argv[2]):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    runs.append({"code": code, "out": out.getvalue(), "err": err.getvalue()})
runs.append(sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED))
print(json.dumps(runs))
"""


def test_headless_scoring_needs_no_extra_and_render_names_its_own(tmp_path):
    experts = [str(tmp_path / f"e{s}.vrtake") for s in (1, 2, 3)]
    commands = [["simulate", "-g", "pinch", "--seed", str(s), "-o", e]
                for s, e in zip((1, 2, 3), experts)]
    trainee, ref = str(tmp_path / "t.vrtake"), str(tmp_path / "pinch.vrref")
    commands += [
        ["simulate", "-g", "pinch", "--role", "trainee", "--flaw", "slow=1.4", "--seed", "9",
         "-o", trainee],
        ["reference", "build", *experts, "-o", ref],
        ["score", trainee, "--against", ref, "--json", "-o", str(tmp_path / "s.json")],
        ["render", trainee, "-o", str(tmp_path / "frames")],
        ["results", "list"],
    ]
    done = subprocess.run([sys.executable, "-c", HEADLESS, json.dumps(sorted(MODULES)),
                           json.dumps(commands)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600, check=True)
    *runs, loaded = json.loads(done.stdout.splitlines()[-1])
    *made, render, results = runs
    assert [r["code"] for r in made] == [0] * 6, made
    headless = json.loads((tmp_path / "s.json").read_text())
    # the same files scored here, with everything installed, give the same verdict
    assert main(["score", trainee, "--against", ref, "--json", "-o",
                 str(tmp_path / "full.json")]) == 0
    full = json.loads((tmp_path / "full.json").read_text())
    assert 0 < headless["total"] < 100 and headless == full
    assert loaded == []  # nothing of an extra came in by another way
    for run, extra, command in ((render, "render", "vrtrainer render"),
                                (results, "results", "vrtrainer results list")):
        assert run["code"] == 2
        lines = run["err"].strip().splitlines()
        assert len(lines) == 1, run["err"]
        assert lines[0].startswith(f"error: {command} needs the optional '{extra}' extra")
        assert lines[0].endswith(f"pip install 'vrtrainer[{extra}]'")
    assert not (tmp_path / "frames").exists()


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\[<>=!~; ]", r, maxsplit=1)[0].lower() for r in requirements}


def test_the_blocked_modules_are_exactly_what_the_extras_install():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]

    def installs(extra: str) -> set[str]:
        names = set()
        for req in extras[extra]:
            if req.startswith("vrtrainer["):
                for inner in req[len("vrtrainer["):-1].split(","):
                    names |= installs(inner)
            else:
                names |= _names([req])
        return names

    base = _names(project["dependencies"])
    dists = {dist.lower() for _, dist in MODULES.values()}
    assert not base & dists
    for extra, dist in MODULES.values():
        assert dist.lower() in installs(extra) and dist.lower() in installs("all"), dist
    assert {e for e, _ in MODULES.values()} == {"render", "xr", "results", "reports", "serve"}
