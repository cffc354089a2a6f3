"""`vrtrainer record`: a trainer records expert takes of a scenario step, several in a row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from vrtrainer.cli.options import DEFAULT_LANG, LangOption
from vrtrainer.cli.outputs import output_folder

console = Console()


def register(app: typer.Typer) -> None:
    app.command("record")(record)


def record(
    target: Annotated[str, typer.Argument(help="A built-in gesture, a scenario id or pack path.")],
    step: Annotated[int, typer.Option(help="Scenario step to record (from 1).")] = 1,
    backend: Annotated[str, typer.Option(
        help="simulated, replay, openxr or openxr-headless.")] = "simulated",
    takes: Annotated[int, typer.Option(help="How many takes to keep.")] = 3,
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="Root folder; takes go to FOLDER/SCENARIO/stepN/.")
    ] = Path("takes"),
    performer: Annotated[str, typer.Option(help="Pseudonymous id of the expert.")] = "expert-1",
    hand: Annotated[str, typer.Option(help="The expert's dominant hand.")] = "right",
    take: Annotated[list[Path] | None, typer.Option(
        "--take", help="Replay backend: a take to play, one per take recorded.")] = None,
    seed: Annotated[int, typer.Option(help="Simulated expert: seed of the first take.")] = 1,
    discard: Annotated[list[int] | None, typer.Option(
        help="Simulated expert: discard the Nth take reviewed (repeatable).")] = None,
    countdown: Annotated[float, typer.Option(help="Countdown before each take (s).")] = 3.0,
    time_limit: Annotated[float, typer.Option(help="Longest take (s).")] = 30.0,
    trim: Annotated[bool, typer.Option(
        "--trim", help="Cut each kept take to its motion (the proposal shown).")] = False,
    lang: LangOption = DEFAULT_LANG,
    frames: Annotated[Path | None, typer.Option(help="Folder for PNG frames.")] = None,
    size: Annotated[str, typer.Option(help="Offscreen eye size WxH.")] = "480x360",
    no_render: Annotated[bool, typer.Option("--no-render", help="Draw nothing.")] = False,
    mirror: Annotated[bool, typer.Option(
        "--mirror", help="Desktop mirror window in real time, with keys: space/n next, "
                         "r retry, escape quit.")] = False,
    sound: Annotated[bool | None, typer.Option(
        "--sound/--no-sound", help="Countdown beeps (default: on with a headset or the "
                                   "mirror window).", show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Record expert takes with a countdown; keep (NEXT) or discard (RETRY) each one."""
    from vrtrainer.app.recording import RecordOptions, run_recording
    from vrtrainer.backends.scripted import PersonScript
    from vrtrainer.cli.train import parse_size

    output_folder(output)
    if frames is not None:
        output_folder(frames)
    opts = RecordOptions(
        target=target, step=step, backend=backend, takes=takes, out_dir=output,
        performer=performer, hand=hand, language=lang, replay=list(take or []), seed=seed,
        countdown=countdown, time_limit=time_limit, trim=trim, frames_dir=frames,
        render=not no_render, size=parse_size(size), mirror=mirror, sound=sound,
        bell=not as_json, script=PersonScript(discard_reviews=tuple(discard or ())),
    )
    run = run_recording(opts, progress=(lambda _m: None) if as_json else console.print)
    kept = [r for r in run.takes if r.kept]
    summary: dict[str, Any] = {
        "folder": str(run.folder),
        "kept": [str(r.path) for r in kept],
        "discarded": [str(r.path) for r in run.takes if not r.kept],
        "takes": [{"take": r.index, "path": str(r.path), "kept": r.kept,
                   "ended_by": r.ended_by, "frames": r.frames,
                   "duration_s": round(r.duration, 3), "trimmed": r.trimmed,
                   "trim": None if r.trim is None else r.trim.to_dict()} for r in run.takes],
        "frames": run.loop.frames,
        "snapshots": [str(p) for p in run.snapshots],
        "cues": run.cues,
    }
    if as_json:
        print(json.dumps(summary, indent=2))
    else:
        console.print(f"{len(kept)} take(s) kept in {run.folder}"
                      + (f", {len(summary['discarded'])} discarded in {run.folder / 'discarded'}"
                         if summary["discarded"] else ""))
        if run.snapshots:
            console.print(f"frames: {run.snapshots[0].parent} ({len(run.snapshots)} PNG)")
    if len(kept) < takes:
        raise typer.Exit(1)
