"""`vrtrainer replay`: a take beside the expert ghost, aligned, as PNG frames or in a window."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from vrtrainer.cli.options import DEFAULT_LANG, LangOption
from vrtrainer.cli.outputs import output_folder
from vrtrainer.errors import VrtrainerError

console = Console()


def register(app: typer.Typer) -> None:
    app.command("replay")(replay)


def replay(
    take: Annotated[Path, typer.Argument(help="The take to replay (.vrtake).")],
    against: Annotated[Path, typer.Option(
        "--against", help="A reference (.vrref) or an expert take (.vrtake).")],
    frames: Annotated[Path | None, typer.Option(
        help="Write PNG frames here (headless).")] = None,
    mirror: Annotated[bool, typer.Option(
        "--mirror", help="Play in a desktop window in real time (space pauses, escape "
                         "closes).")] = False,
    ghost: Annotated[Path | None, typer.Option(
        help="Expert take to show as the ghost (default: the reference's own).")] = None,
    every: Annotated[float, typer.Option(help="Seconds of take between PNG frames.")] = 0.25,
    size: Annotated[str, typer.Option(help="Image size WxH.")] = "480x360",
    lang: LangOption = DEFAULT_LANG,
) -> None:
    """Replay a take against the expert: ghost aligned by DTW, joints coloured by error."""
    from vrtrainer.cli.train import parse_size
    from vrtrainer.compare.aligned import align
    from vrtrainer.render.replay import load_against, play_in_window, write_frames
    from vrtrainer.takes.take import load_take

    if (frames is None) == (not mirror):
        raise VrtrainerError("give either --frames DIR or --mirror")
    if frames is not None:
        output_folder(frames)
    performance = load_take(take)
    template, expert = load_against(performance, against, ghost)
    aligned = align(performance, template, expert)
    s = aligned.score
    console.print(f"{take} against {template.name!r}: score {s.total:.1f}/100"
                  + (" (mirrored reference)" if s.mirrored else ""))
    for m in s.messages[:3]:
        console.print(f"  - {m}")
    if mirror:
        shown = play_in_window(aligned, parse_size(size), lang)
        console.print(f"{shown} frames shown")
    elif frames is not None:  # one of the two, checked above
        paths = write_frames(aligned, frames, every=every, size=parse_size(size),
                             language=lang)
        console.print(f"wrote {len(paths)} PNG frames to {frames}")
