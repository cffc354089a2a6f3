"""The `render` command: PNG snapshots of a take, with an expert's ghost if given."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vrtrainer.cli.outputs import output_folder
from vrtrainer.errors import VrtrainerError


def register(app: typer.Typer) -> None:
    """Add the render command to ``app``."""
    app.command("render")(render)


def parse_size(text: str) -> tuple[int, int]:
    """An image size from ``WxH`` (16 to 8192 pixels each way)."""
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise VrtrainerError(f"--size must look like 640x480, not {text!r}") from None
    if not (16 <= width <= 8192 and 16 <= height <= 8192):
        raise VrtrainerError(f"--size {text} is out of range (16 to 8192 pixels)")
    return width, height


def render(
    take: Annotated[Path, typer.Argument(help="Take file (.vrtake) to draw.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for the PNGs.")] = Path(
        "frames"),
    ghost: Annotated[Path | None, typer.Option(
        help="Expert take shown as a translucent ghost at the matching moment (aligned in "
             "time as replay does); joints coloured by distance to it.")
    ] = None,
    every: Annotated[float, typer.Option(help="Seconds between snapshots.")] = 0.5,
    size: Annotated[str, typer.Option(help="Image size WxH.")] = "640x480",
    eye: Annotated[str, typer.Option(help="left, right or both.")] = "left",
    tolerance: Annotated[float, typer.Option(help="Joint tolerance in metres.")] = 0.015,
    view: Annotated[str, typer.Option(
        help="hands: a close view of the hands; head: the performer's recorded view.")
    ] = "hands",
) -> None:
    """Draw a take offscreen (EGL) and write PNG snapshots of it."""
    from vrtrainer.render.snapshots import render_take
    from vrtrainer.takes.take import load_take

    width, height = parse_size(size)
    output_folder(out)
    live = load_take(take)
    expert = load_take(ghost) if ghost is not None else None
    paths = render_take(live, out, ghost=expert, every=every, size=(width, height), eyes=eye,
                        tolerance=tolerance, view=view)
    typer.echo(f"wrote {len(paths)} PNG files to {out}")
