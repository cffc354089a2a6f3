"""`vrtrainer demo`: the main job on an embedded default, headless.

A simulated trainee with a typical fault takes a bundled scenario end to end
through the same frame loop a headset uses: the expert ghost demonstrates,
the trainee tries, frames are rendered offscreen, the attempt is recorded,
scored with its breakdown, stored in a SQLite results database and reported
as an HTML page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vrtrainer.cli.options import DEFAULT_LANG, LangOption
from vrtrainer.cli.outputs import output_folder

console = Console()


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for everything written.")] = Path(
        "out/demo"
    ),
    scenario: Annotated[str, typer.Option(help="Bundled scenario or gesture.")] = "welding-fillet",
    fault: Annotated[str | None, typer.Option(
        help="Typical trade fault of the simulated trainee.")] = "work-angle-high",
    flaw: Annotated[list[str] | None, typer.Option(
        "--flaw", help="Extra simulator flaw NAME[=AMOUNT].")] = None,
    lang: LangOption = DEFAULT_LANG,
    seed: Annotated[int, typer.Option(help="Seed of the simulated trainee.")] = 3,
) -> None:
    """Run a headless training attempt with simulated hands and report on it."""
    from vrtrainer.app.training import TrainingOptions, run_training
    from vrtrainer.backends.scripted import PersonScript
    from vrtrainer.session.verdict import speed_lines

    out = output_folder(out).resolve()
    db = out / "results.sqlite"
    w = _WORDS[lang]
    console.rule(w["title"].format(scenario=scenario)
                 + (w["fault"].format(fault=fault) if fault else ""))
    opts = TrainingOptions(
        target=scenario, backend="simulated", fault=fault,
        flaws=list(flaw or []), seed=seed,
        trainee="demo-trainee", language=lang, out_dir=out / "takes",
        frames_dir=out / "frames", script=PersonScript(), db=str(db),
    )
    run = run_training(opts, progress=lambda m: console.print(m, markup=False, highlight=False,
                                                         soft_wrap=True))
    for outcome in run.outcomes:
        _show(outcome, lang)
    report = None
    if run.attempt_ids:
        report = _report(db, run.attempt_ids, out / "report.html", lang)
    loop = run.loop
    console.rule(w["where"])
    table = Table(show_header=False, box=None)
    table.add_row(w["takes"], str(out / "takes"))
    for o in run.outcomes:
        table.add_row("", str(o.take_path.name))
    table.add_row(w["frames"], f"{out / 'frames'} ({len(run.snapshots)} PNG, {w['eyes']})")
    table.add_row(w["results"], f"{db} ({w['attempts']} {', '.join(map(str, run.attempt_ids))})")
    for k, line in enumerate(speed_lines(loop, run.timings, lang)):
        table.add_row(w["speed"] if k == 0 else "", line)
    if report is not None:
        table.add_row(w["report"], str(report))
    console.print(table)


#: The demo's own words (the verdicts and advice come from vrtrainer.session.verdict).
_WORDS = {
    "en": {"title": "vrtrainer demo: {scenario}, simulated trainee",
           "fault": " with fault '{fault}'", "where": "where everything went", "takes": "takes",
           "frames": "frames", "eyes": "2 eyes side by side", "results": "results",
           "attempts": "attempts", "speed": "speed", "report": "report",
           "criterion": "criterion", "shape": "shape", "timing": "timing",
           "economy": "economy", "steadiness": "steadiness", "coverage": "coverage"},
    "fr": {"title": "démo vrtrainer : {scenario}, apprenant simulé",
           "fault": " avec le défaut '{fault}'", "where": "où tout a été écrit",
           "takes": "prises", "frames": "images", "eyes": "2 yeux côte à côte",
           "results": "résultats", "attempts": "essais", "speed": "vitesse",
           "report": "rapport", "criterion": "critère", "shape": "forme", "timing": "rythme",
           "economy": "économie", "steadiness": "stabilité", "coverage": "suivi", "ok": "ok",
           "high": "trop haut",
           "low": "trop bas", "unsteady": "instable"},
}


def _show(outcome, lang: str) -> None:
    from vrtrainer.session.verdict import attempt_lines

    s = outcome.score
    lines = attempt_lines(outcome.step + 1, outcome.number, s, lang, outcome.ended_by,
                          advice=0)
    if s is None:
        console.print(lines[0], markup=False)
        return
    console.rule(lines[0])
    for line in lines[1:]:
        console.print(line, markup=False, highlight=False)
    b = s.breakdown
    w = _WORDS[lang]
    parts = Table(w["criterion"], "score", show_edge=False)
    for key in ("shape", "timing", "economy", "steadiness", "coverage"):
        if isinstance(b.get(key), int | float):
            parts.add_row(w[key], f"{b[key]:.0f}")
    for name, metric in ((b.get("trade") or {}).get("metrics") or {}).items():
        if isinstance(metric, dict) and isinstance(metric.get("score"), int | float):
            verdict = str(metric.get("verdict", ""))
            parts.add_row(f"{name} ({w.get(verdict, verdict)})", f"{100 * metric['score']:.0f}")
    console.print(parts)
    for message in s.messages[:6]:
        console.print(f"  - {message}", markup=False, highlight=False)


def _report(db: Path, attempt_ids: list[int], path: Path, lang: str) -> Path | None:
    try:
        from vrtrainer.report import write_attempt_report
    except ImportError:
        return None
    from vrtrainer.results import ResultsStore

    with ResultsStore.open(str(db)) as store:
        return write_attempt_report(store, attempt_ids[-1], path, lang=lang)
