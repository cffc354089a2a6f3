"""Commands of the comparator: build an expert reference, score a take against it."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vrtrainer.cli.options import DEFAULT_LANG, LangOption
from vrtrainer.cli.outputs import is_stdout, output_file, write_text
from vrtrainer.errors import VrtrainerError

console = Console()


def register(app: typer.Typer) -> None:
    """Add ``reference build`` and ``score`` to ``app``."""
    reference_app = typer.Typer(help="Expert references (templates).", no_args_is_help=True)
    reference_app.command("build")(build)
    app.add_typer(reference_app, name="reference")
    app.command("score")(score)


def _gesture_of(takes) -> str:
    names = {t.meta.extra.get("gesture", "") for t in takes}
    return names.pop() if len(names) == 1 else ""


def _distinct(paths: list[Path]) -> list[int]:
    """Indices of the first path of each distinct take file, by content (SHA-256)."""
    import hashlib

    first: dict[str, int] = {}
    for k, path in enumerate(paths):
        first.setdefault(hashlib.sha256(Path(path).read_bytes()).hexdigest(), k)
    return sorted(first.values())


def _take_warnings(paths: list[Path], takes) -> list[str]:
    """What a trainer should know about the takes given to a reference, before it is built."""
    import hashlib

    warnings = []
    digests: dict[str, Path] = {}
    for path in paths:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        if digest in digests:
            warnings.append(f"{path} is the same take as {digests[digest]}: it counts once "
                            "for the tolerances")
        digests.setdefault(digest, path)
    if len(digests) < 2:
        warnings.append("one take only: the tolerances come from the noise floors "
                        "(--floor-cm, --floor-deg), not from the expert's own variation; "
                        "record three takes or more for a fair reference")
    trainees = [str(p) for p, t in zip(paths, takes) if t.meta.role == "trainee"]
    if trainees:
        warnings.append(f"{', '.join(trainees)}: a trainee's take, not an expert's")
    return warnings


def _build(paths: list[Path], name: str, floor_cm: float, floor_deg: float, reject: bool,
           others: list[Path] | None = None, direction: str = "auto"):
    from vrtrainer.compare import Tolerance
    from vrtrainer.compare.reference import calibrate_reference, reference_template
    from vrtrainer.hands import sim
    from vrtrainer.hands.negatives import negative_takes
    from vrtrainer.takes.take import load_take

    if not paths:
        raise VrtrainerError("give at least one expert take")
    takes = [load_take(p) for p in paths]
    for warning in _take_warnings(paths, takes):
        typer.echo(f"warning: {warning}", err=True)
    kept = _distinct(paths)  # a take given twice counts once, as the warning says
    paths, takes = [paths[k] for k in kept], [takes[k] for k in kept]
    name = name or _gesture_of(takes) or Path(paths[0]).stem
    tpl = reference_template(takes, name=name, names=[str(p) for p in paths],
                             tolerance=Tolerance(floor_m=floor_cm / 100.0, floor_deg=floor_deg),
                             direction=direction)
    if reject:
        exclude = tuple(n for n in (name, _gesture_of(takes)) if n in sim.GESTURES)
        real = [load_take(p) for p in others or []]
        calibrate_reference(tpl, takes, real,
                            [] if real else negative_takes(tpl.handedness, exclude=exclude))
    return tpl


def build(
    takes: Annotated[list[Path], typer.Argument(help="Expert takes (.vrtake) of one gesture.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Reference file (.vrref).")],
    name: Annotated[str, typer.Option(help="Gesture name shown to trainees.")] = "",
    floor_cm: Annotated[float, typer.Option(help="Position noise floor (cm).")] = 1.0,
    floor_deg: Annotated[float, typer.Option(help="Angle noise floor (degrees).")] = 10.0,
    reject: Annotated[bool, typer.Option(
        help="Calibrate rejection of other gestures (on --other takes, else simulated).")
    ] = True,
    other: Annotated[list[Path] | None, typer.Option(
        "--other", help="A take of another gesture (e.g. from your other references), to "
                        "calibrate rejection on real motion; repeatable.")] = None,
    html: Annotated[Path | None, typer.Option(
        "--html", help="Write the consistency and variation report as HTML.")] = None,
    mirror: Annotated[bool, typer.Option(
        "--mirror", help="Also write the mirrored reference, REF-left.vrref (or -right).")
    ] = False,
    direction: Annotated[str, typer.Option(
        "--direction", help="Whether the way the hand moves, faces and points in the room "
                            "counts (a swipe up is not a swipe down): auto (when the experts "
                            "agree on it), keep, ignore.")] = "auto",
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an existing reference or expert take at the output.")] = False,
    lang: LangOption = DEFAULT_LANG,
) -> None:
    """Build a reference with tolerances from expert takes; flag inconsistent takes."""
    from vrtrainer.compare import save_template
    from vrtrainer.report.reference_words import calibration_text, handed, number, word

    output_file(output, force=force)
    if html is not None:
        output_file(html, option="--html")

    tpl = _build(list(takes), name, floor_cm, floor_deg, reject, list(other or []), direction)
    if mirror:
        from vrtrainer.report.reference_build import mirrored_path

        output_file(mirrored_path(output, tpl), force=force)
    save_template(tpl, output)
    from vrtrainer.report.reference_build import report_build, take_labels, take_table

    table = take_table(lang, word("mismatch", lang), word("used", lang))
    labels = take_labels([Path(e["name"]).name for e in tpl.experts], console)
    for e, label in zip(tpl.experts, labels):
        table.add_row(label, str(e["frames"]), number(e["mismatch"], 2, lang),
                      word("outlier_out" if e["outlier"] else "yes", lang))
    console.print(table)
    bounds = ", ".join(f"{number(float(tpl.times[b]), 2, lang)} s" for b in tpl.phases)
    say = lambda text: console.print(text, markup=False, highlight=False)  # noqa: E731
    say(word("built", lang, name=tpl.name, frames=tpl.n_frames,
             duration=number(tpl.duration, 2, lang), phases=tpl.n_phases,
             bounds=bounds or word("no_bounds", lang), hand=handed(tpl.handedness, lang)))
    calibration = tpl.info.get("rejection_calibration")
    if calibration:
        say(word("rejected_beyond", lang, threshold=number(tpl.rejection, 2, lang),
                 method=calibration_text(calibration["method"], lang),
                 source=calibration_text(calibration["negative_source"], lang),
                 share=number(100 * calibration["expected_expert_reject"], 1, lang)))
        for w in calibration["warnings"]:
            console.print(f"[yellow]{'attention :' if lang == 'fr' else 'warning:'}[/yellow] "
                          f"{calibration_text(w, lang)}", highlight=False)
    chosen = tpl.info.get("direction", {})
    if chosen.get("experts_spread_deg") is not None:
        say(word("direction", lang, counts=word("counts" if chosen["kept"] else "not_counts",
                                                lang),
                 deg=f"{chosen['experts_spread_deg']:.0f}", rule=chosen["rule"]))
    console.print(word("wrote", lang, path=output), markup=False, soft_wrap=True)
    report_build(tpl, list(takes), output, console, html_path=html, mirror=mirror, lang=lang)


def _load_reference(paths: list[Path]):
    from vrtrainer.compare import load_template

    if len(paths) == 1 and paths[0].suffix == ".vrref":
        return load_template(paths[0])
    return _build(paths, "", 1.0, 10.0, True)


def score(
    take: Annotated[Path, typer.Argument(help="The trainee's take (.vrtake).")],
    against: Annotated[list[Path], typer.Option(
        "--against", help="A reference (.vrref) or one or more expert takes.")],
    more: Annotated[list[Path] | None, typer.Argument(
        help="More expert takes after --against's first one.", show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Also write the result as JSON to this file (- for "
                               "standard output).")] = None,
) -> None:
    """Score a take 0-100 against a reference, with the breakdown and messages."""
    from vrtrainer.compare import score_take
    from vrtrainer.takes.take import load_take

    if output is not None:
        output_file(output, stdout_ok=True)
    tpl = _load_reference(list(against) + list(more or []))
    result = score_take(load_take(take), tpl)
    data = {"take": str(take), **result.to_dict()}
    text = json.dumps(data, indent=2)
    if output is not None:
        write_text(output, text + "\n")
        if is_stdout(output):
            return
    if as_json:
        print(text)
        return
    from vrtrainer.session.verdict import reasons, timing_note, verdict_word

    verdict = verdict_word(result.passed, result.rejected)
    console.print(f"[bold]{take}[/bold] against {tpl.name!r}"
                  + (" (mirrored for a left-handed trainee)" if result.mirrored else ""))
    console.print(f"score [bold]{result.total:.0f}[/bold]/100, {verdict}")
    data_ = result.to_dict()
    for why in reasons(result.total, result.passed, result.rejected, data_):
        console.print(f"  why: {why}", markup=False, highlight=False)
    table = Table("component", "score")
    for key in ("shape", "timing", "economy", "steadiness", "coverage"):
        table.add_row(key, f"{getattr(result, key):.1f}")
    console.print(table)
    if result.fingers:
        parts = Table("part", "shape")
        for part, value in result.fingers.items():
            parts.add_row(part, f"{value:.1f}")
        console.print(parts)
    if result.phases:
        phases = Table("phase", "from", "to", "shape")
        for p in result.phases:
            phases.add_row(str(p["phase"]), f"{p['start_s']:.2f} s", f"{p['end_s']:.2f} s",
                           "-" if p["shape"] is None else f"{p['shape']:.1f}")
        console.print(phases)
    pace = [f"tempo x{result.tempo:.2f} of the expert's"] if math.isfinite(result.tempo) else []
    if math.isfinite(result.mismatch):
        pace.append(f"mismatch {result.mismatch:.2f}")
    if pace:
        console.print("; ".join(pace))
    note = timing_note(data_)
    if note:
        console.print(f"  {note}", markup=False, highlight=False)
    for m in result.messages:
        console.print(f"  - {m}", markup=False, highlight=False)
    if output is not None:
        console.print(f"wrote {output}")
