"""Commands on scenario packs: scenario validate, list, show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from vrtrainer.cli.options import DEFAULT_LANG, LangOption
from vrtrainer.errors import VrtrainerError

console = Console()


def register(app: typer.Typer) -> None:
    """Add the ``scenario`` command group to ``app``."""
    group = typer.Typer(help="Scenario packs: validate, list, show, try.", no_args_is_help=True)
    group.command("validate")(validate)
    group.command("list")(list_)
    group.command("show")(show)
    group.command("try")(try_)
    app.add_typer(group, name="scenario")


def validate(
    path: Annotated[Path, typer.Argument(help="Pack folder or .zip.")],
) -> None:
    """Check a pack completely (format, files, meshes, takes, motion); list every problem."""
    from vrtrainer.scenario import load_scenario, validate_pack
    from vrtrainer.trade.motions import check_motion

    problems = [str(p) for p in validate_pack(path)]
    if not problems:
        sc = load_scenario(path)
        problems = [f"{path}/scenario.toml: {p}" for p in check_motion(sc)]
    if problems:
        for p in problems:
            typer.echo(f"error: {p}", err=True)
        raise VrtrainerError(f"{path}: {len(problems)} problem(s); pack refused")
    motion = f", motion {sc.motion.builder}" if sc.motion else ", no simulated motion"
    faults = f" with {len(sc.motion.faults)} faults" if sc.motion and sc.motion.faults else ""
    console.print(
        f"ok: {sc.id} {sc.version} ({len(sc.steps)} steps, {len(sc.metrics)} metrics, "
        f"{len(sc.objects) + len(sc.tools)} meshes{motion}{faults})", highlight=False,
    )


def _summary(path: Path) -> dict[str, Any]:
    from vrtrainer.scenario import load_scenario

    try:
        sc = load_scenario(path)
    except VrtrainerError as exc:
        return {"path": str(path), "valid": False, "error": str(exc)}
    return {
        "path": str(path), "valid": True, "id": sc.id, "version": sc.version,
        "trade": sc.trade, "title": {"fr": sc.title.fr, "en": sc.title.en},
        "steps": len(sc.steps), "licence": sc.licence,
    }


def list_(
    lang: LangOption = DEFAULT_LANG,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the packs in the repository's scenarios/ and the user's scenario folder."""
    from vrtrainer.scenario import find_packs

    rows = [_summary(p) for p in find_packs()]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    w = _WORDS[lang]
    table = Table(show_lines=False)
    table.add_column("id", no_wrap=True)  # typed by the user: never cut
    for key in ("version", "trade", "title", "steps"):
        table.add_column(w[key])
    for r in rows:
        if r["valid"]:
            table.add_row(r["id"], r["version"], r["trade"], r["title"][lang], str(r["steps"]))
        else:
            table.add_row(Path(r["path"]).name, "-", "-", f"[red]{w['invalid']}[/red] "
                          + r["error"], "-")
    console.print(table)


def show(
    id_or_path: Annotated[str, typer.Argument(help="Scenario id or pack path.")],
    lang: LangOption = DEFAULT_LANG,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show a scenario: titles, steps, metrics with their bands, scene."""
    from vrtrainer.scenario import find_scenario, load_scenario

    sc = load_scenario(find_scenario(id_or_path))
    if as_json:
        typer.echo(json.dumps(_as_dict(sc), indent=2, ensure_ascii=False))
        return
    console.print(f"[bold]{sc.title.get(lang)}[/bold]  ({sc.id} {sc.version}, {sc.trade}, "
                  f"{sc.licence})", highlight=False)
    console.print(sc.instructions.get(lang), highlight=False)
    w = _WORDS[lang]

    def n(value: float) -> str:
        text = f"{value:g}"
        return text.replace(".", ",") if lang == "fr" else text

    steps = Table("#", w["step"], w["hands"], w["references"], w["pass"], w["time"],
                  w["metrics"])
    for i, st in enumerate(sc.steps, 1):
        refs = len(st.reference_takes) or (1 if st.reference_template else 0)
        limits = f"{n(st.time_min or 0)}-{n(st.time_max) if st.time_max else '∞'}"
        labels = [sc.metrics[m].label.get(lang) if m in sc.metrics else m for m in st.metrics]
        steps.add_row(str(i), st.title.get(lang), w.get(st.hands, st.hands), str(refs),
                      n(st.pass_threshold), limits, ", ".join(labels))
    console.print(steps)
    if sc.metrics:
        metrics = Table(w["metric"], w["min"], w["ideal"], w["max"], w["unit"])
        for m in sc.metrics.values():
            metrics.add_row(m.label.get(lang), n(m.min), n(m.ideal), n(m.max),
                            _UNITS.get(m.unit, m.unit))
        console.print(metrics)


#: Column titles and words of the scenario tables, in each language.
_WORDS = {
    "en": {"version": "version", "trade": "trade", "title": "title", "steps": "steps",
           "invalid": "invalid", "step": "step", "hands": "hands", "references": "references",
           "pass": "pass mark", "time": "time (s)", "metrics": "measured", "metric": "measure",
           "min": "min", "ideal": "ideal", "max": "max", "unit": "unit", "both": "both",
           "left": "left", "right": "right", "any": "either"},
    "fr": {"version": "version", "trade": "métier", "title": "titre", "steps": "étapes",
           "invalid": "invalide", "step": "étape", "hands": "mains", "references": "références",
           "pass": "seuil", "time": "durée (s)", "metrics": "mesures", "metric": "mesure",
           "min": "min", "ideal": "idéal", "max": "max", "unit": "unité", "both": "les deux",
           "left": "gauche", "right": "droite", "any": "l'une ou l'autre"},
}
_UNITS = {"deg": "°"}


def _as_dict(sc) -> dict[str, Any]:
    return {
        "id": sc.id, "version": sc.version, "trade": sc.trade, "licence": sc.licence,
        "authors": list(sc.authors), "title": vars(sc.title),
        "instructions": vars(sc.instructions),
        "steps": [
            {"id": s.id, "title": vars(s.title), "instruction": vars(s.instruction),
             "hands": s.hands, "reference_takes": list(s.reference_takes),
             "reference_template": s.reference_template, "tolerance": s.tolerance,
             "pass_threshold": s.pass_threshold, "time_limits": [s.time_min, s.time_max],
             "metrics": list(s.metrics)}
            for s in sc.steps
        ],
        "metrics": {
            m.name: {"kind": m.kind, "label": vars(m.label), "min": m.min, "ideal": m.ideal,
                     "max": m.max, "unit": m.unit, "weight": m.weight}
            for m in sc.metrics.values()
        },
        "scene": {
            "objects": [{"name": o.name, "mesh": o.mesh} for o in sc.objects],
            "tools": [{"name": t.name, "mesh": t.mesh, "held_by": t.held_by} for t in sc.tools],
            "frames": [{"name": f.name, "kind": f.kind} for f in sc.frames.values()],
        },
    }


def try_(
    id_or_path: Annotated[str, typer.Argument(help="Scenario id or pack path.")],
    fault: Annotated[str | None, typer.Option(help="A typical trade fault of the scenario.")]
    = None,
    flaw: Annotated[
        list[str] | None, typer.Option("--flaw", help="Simulator flaw NAME[=AMOUNT].")
    ] = None,
    step: Annotated[str | None, typer.Option(help="Only this step.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the simulated trainee.")] = 0,
    lang: LangOption = DEFAULT_LANG,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Judge a simulated trainee on each step of a bundled scenario, headless."""
    from vrtrainer.hands import sim
    from vrtrainer.scenario import find_scenario, load_scenario
    from vrtrainer.trade import motions as trade_motions
    from vrtrainer.trade.judge import judge_step

    sc = load_scenario(find_scenario(id_or_path))
    steps = [s for s in sc.steps if step is None or s.id == step]
    if not steps:
        raise VrtrainerError(f"{sc.id} has no step {step!r}")
    flaws = [sim.parse_flaw(f) for f in flaw or []]
    role = "trainee" if flaws or fault else "expert"
    reports = []
    for st in steps:
        gesture = trade_motions.step_gesture(sc, st.id, fault, variation=seed)
        take = sim.simulate(gesture, role=role, flaws=flaws, seed=seed, rate=60.0)
        reports.append(judge_step(sc, st, take))
    if as_json:
        typer.echo(json.dumps([r.to_dict(lang) for r in reports], indent=2,
                              ensure_ascii=False, default=float))
        return
    for r in reports:
        from vrtrainer.session.verdict import verdict_word

        word = verdict_word(r.passed, lang=lang)
        verdict = f"[green]{word}[/green]" if r.passed else f"[red]{word}[/red]"
        console.print(f"[bold]{r.step.title.get(lang)}[/bold]: {r.score:.0f}/100 {verdict} "
                      f"({r.duration:.1f} s)")
        for m in r.metrics.values():
            console.print(f"  {m.message.get(lang)}", highlight=False)
        for t in r.messages[len([m for m in r.metrics.values() if m.verdict != "ok"]):]:
            console.print(f"  {t.get(lang)}", highlight=False)
