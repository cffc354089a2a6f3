"""Command `vrtrainer import`: captures from other hand trackers into take files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from vrtrainer.cli.outputs import output_file

console = Console()


def register(app: typer.Typer) -> None:
    """Add the import command to ``app``."""
    app.command("import")(import_capture)


def import_capture(
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help="shrec17 or sfinge3d.")],
    file: Annotated[Path, typer.Argument(help="Capture file in that format.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Take file to write.")],
    handedness: Annotated[
        str, typer.Option(help="Which hand the capture shows: right or left.")
    ] = "right",
    rate: Annotated[
        float | None, typer.Option(help="Frame rate in Hz (default: the format's).")
    ] = None,
    role: Annotated[str, typer.Option(help="expert or trainee.")] = "expert",
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an existing reference or expert take at the output.")] = False,
) -> None:
    """Import a hand capture from another tracker as a take with OpenXR's 26 joints."""
    from vrtrainer.errors import VrtrainerError
    from vrtrainer.takes.importers import import_take
    from vrtrainer.takes.take import save_take

    if role not in ("expert", "trainee"):
        raise VrtrainerError(f"--role must be expert or trainee, not {role!r}")
    output_file(output, force=force)
    take = import_take(fmt, file, handedness=handedness, rate=rate)
    take.meta.role = role
    save_take(take, output)
    console.print(
        f"wrote {output} ({take.n_frames} frames, {take.duration:.2f} s, "
        f"{take.meta.handedness} hand)"
    )
