"""Commands `vrtrainer trim` and `vrtrainer split`: cut takes to their motion or steps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from vrtrainer.cli.outputs import output_file, output_folder

console = Console()


def register(app: typer.Typer) -> None:
    """Add the trim and split commands to ``app``."""
    app.command("trim")(trim)
    app.command("split")(split)


def trim(
    file: Annotated[Path, typer.Argument(help="Take file.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write the trimmed take here.")
    ] = None,
    margin: Annotated[float, typer.Option(help="Seconds kept before and after.")] = 0.15,
    as_json: Annotated[bool, typer.Option("--json", help="Print the proposal as JSON.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an existing reference or expert take at the output.")] = False,
) -> None:
    """Propose trim points around the motion of a take (hands still before and after)."""
    from vrtrainer.takes.take import load_take, save_take
    from vrtrainer.takes.trim import propose_trim, trim_take

    if output is not None:
        output_file(output, force=force)
    take = load_take(file)
    proposal = propose_trim(take, margin=margin)
    if as_json:
        print(json.dumps(proposal.to_dict()))
    elif proposal.moving:
        console.print(
            f"motion {take.times[proposal.onset]:.2f}-{take.times[proposal.offset]:.2f} s; "
            f"keep frames {proposal.start}:{proposal.stop} "
            f"({proposal.start_time:.2f}-{proposal.stop_time:.2f} s of {take.duration:.2f} s)"
        )
    else:
        console.print("no motion found: the take is kept whole")
    if output is not None:
        save_take(trim_take(take, proposal), output)
        if not as_json:
            console.print(f"wrote {output}")


def split(
    file: Annotated[Path, typer.Argument(help="Take file holding several steps.")],
    steps: Annotated[int, typer.Option("--steps", "-n", help="Number of steps.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Directory to write to.")],
    no_trim: Annotated[
        bool, typer.Option("--no-trim", help="Keep the pauses in the segments.")
    ] = False,
) -> None:
    """Split a long take into the steps of a scenario at its stillest pauses."""
    from vrtrainer.takes.take import load_take, save_take
    from vrtrainer.takes.trim import split_take

    output_folder(output)
    take = load_take(file)
    segments = split_take(take, steps, trim=not no_trim)
    for seg in segments:
        path = output / f"{file.stem}_step{seg.meta.step}.vrtake"
        save_take(seg, path)
        console.print(
            f"step {seg.meta.step}: {seg.times[0]:.2f}-{seg.times[-1]:.2f} s -> {path}"
        )
