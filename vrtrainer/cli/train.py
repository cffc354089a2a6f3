"""`vrtrainer train`: a trainee's session on any backend."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from vrtrainer.cli.helptext import fault_help, flaw_help
from vrtrainer.cli.options import DEFAULT_LANG, LangOption
from vrtrainer.cli.outputs import output_folder
from vrtrainer.cli.render import parse_size
from vrtrainer.errors import VrtrainerError

console = Console()


def register(app: typer.Typer) -> None:
    app.command("train")(train)


def train(
    target: Annotated[str, typer.Argument(
        help="A built-in gesture, your own reference (.vrref), a scenario id or pack path.")],
    backend: Annotated[str, typer.Option(
        help="simulated, replay, openxr or openxr-headless.")] = "simulated",
    take: Annotated[list[Path] | None, typer.Option(
        "--take", help="Take to replay (replay backend); one per step.")] = None,
    flaw: Annotated[list[str] | None, typer.Option(
        "--flaw", help="Simulated trainee flaw NAME[=AMOUNT], repeatable; NAME=default "
                       f"(unit, range): {flaw_help()}.")] = None,
    fault: Annotated[str | None, typer.Option(
        help=f"A scenario's typical trade fault for the simulated trainee: {fault_help()}.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the simulated trainee.")] = 1,
    hand: Annotated[str, typer.Option(help="Trainee's dominant hand: right or left.")] = "right",
    trainee: Annotated[str, typer.Option(help="Pseudonymous trainee id.")] = "trainee-1",
    lang: LangOption = DEFAULT_LANG,
    out: Annotated[Path, typer.Option(help="Folder for the attempts' takes.")] = Path("out/train"),
    frames: Annotated[Path | None, typer.Option(
        help="Folder for PNG frames of the session.")] = None,
    size: Annotated[str, typer.Option(help="Offscreen eye size WxH.")] = "480x360",
    no_render: Annotated[bool, typer.Option(
        "--no-render", help="Score without drawing anything.")] = False,
    mirror: Annotated[bool, typer.Option(
        "--mirror", help="Real-time pace (for watching); headless otherwise.")] = False,
    retries: Annotated[int, typer.Option(help="Simulated trainee's retries per step.")] = 0,
    db: Annotated[str | None, typer.Option(help="Results database URL or SQLite path.")] = None,
    no_store: Annotated[bool, typer.Option(
        "--no-store", help="Do not store the attempts in the results database.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
    publish: Annotated[str | None, typer.Option(
        help="A trainer's server (vrtrainer serve) to publish the live session to.")] = None,
    publish_key: Annotated[str | None, typer.Option(
        envvar="VRTRAINER_PUBLISH_KEY",
        help="The server's publish key (default: the key file `vrtrainer serve` wrote).")
    ] = None,
    voice: Annotated[str, typer.Option(
        help="off or on: speak instructions and feedback (espeak-ng, offline).")] = "off",
    volume: Annotated[float, typer.Option(help="Voice volume, 0 to 1.")] = 0.8,
    simple: Annotated[str | None, typer.Option(
        help="on or off: simple mode (large text, one action per screen), remembered "
             "for the trainee; default: as remembered.")] = None,
) -> None:
    """Run a training session: watch the expert, try, get feedback, retry or go on."""
    from vrtrainer.app.training import TrainingOptions, run_training
    from vrtrainer.backends.scripted import PersonScript

    if hand not in ("right", "left"):
        raise VrtrainerError(f"--hand must be right or left, not {hand!r}")
    if voice not in ("off", "on"):
        raise VrtrainerError(f"--voice must be off or on, not {voice!r}")
    if not 0.0 <= volume <= 1.0:
        raise VrtrainerError(f"--volume must be between 0 and 1, not {volume}")
    if simple not in (None, "on", "off"):
        raise VrtrainerError(f"--simple must be on or off, not {simple!r}")
    output_folder(out)
    if frames is not None:
        output_folder(frames)
    from vrtrainer.session.verdict import speed_lines
    from vrtrainer.session.voice import VoiceOptions

    opts = TrainingOptions(
        target=target, backend=backend, takes=list(take or []), flaws=list(flaw or []),
        fault=fault, seed=seed, hand=hand, trainee=trainee, language=lang, out_dir=out,
        frames_dir=frames, render=not no_render, size=parse_size(size), mirror=mirror,
        script=PersonScript(retries=retries), db=db, store=not no_store,
        publish=publish, publish_key=publish_key,
        voice=VoiceOptions(enabled=voice == "on", volume=volume),
        simple=None if simple is None else simple == "on",
    )
    say = (lambda _m: None) if as_json else (
        lambda m: console.print(m, markup=False, highlight=False, soft_wrap=True))
    run = run_training(opts, progress=say)
    summary = run_summary(run)
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    loop = run.loop
    for line in speed_lines(loop, run.timings, lang):
        console.print(line, markup=False, highlight=False)
    if run.snapshots:
        console.print(f"frames: {run.snapshots[0].parent} ({len(run.snapshots)} PNG)")
    if run.voice_log:
        console.print(f"voice: {len(run.voice_log)} messages said"
                      + (f", WAVs in {opts.frames_dir / 'voice'}" if opts.frames_dir else ""))
    if run.db_url:
        from vrtrainer.results.engine import shown_url

        ids = ", ".join(map(str, run.attempt_ids))
        word = "attempts" if len(run.attempt_ids) > 1 else "attempt"
        console.print(f"results stored in {shown_url(run.db_url)} ({word} {ids})",
                      highlight=False, markup=False, soft_wrap=True)


def run_summary(run) -> dict:
    """A JSON-able account of a training run."""
    return {
        "attempts": [
            {
                "step": o.step + 1,
                "attempt": o.number,
                "take": str(o.take_path),
                "ended_by": o.ended_by,
                "score": None if o.score is None else round(o.score.score, 2),
                "passed": None if o.score is None else o.score.passed,
                "rejected": None if o.score is None else o.score.rejected,
                "messages": [] if o.score is None else o.score.messages,
            }
            for o in run.outcomes
        ],
        "frames": run.loop.frames,
        "session_seconds": run.loop.session_seconds,
        "wall_seconds": run.loop.wall_seconds,
        "compile_seconds": run.loop.compile_seconds,
        "frame_ms": run.timings,
        "snapshots": [str(p) for p in run.snapshots],
        "results_db": run.db_url,
        "attempt_ids": run.attempt_ids,
        "simple_mode": run.simple,
        "voice": run.voice_log,
        "published": None if run.published is None else asdict(run.published),
    }
