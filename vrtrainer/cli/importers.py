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
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help="shrec17, sfinge3d or jigsaws.")],
    file: Annotated[Path, typer.Argument(help="Capture file in that format.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Take file to write.")],
    handedness: Annotated[
        str, typer.Option(help="Which hand the capture shows (jigsaws: the dominant hand).")
    ] = "right",
    rate: Annotated[
        float | None, typer.Option(help="Frame rate in Hz (default: the format's).")
    ] = None,
    role: Annotated[str, typer.Option(help="expert or trainee.")] = "expert",
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an existing reference or expert take at the output.")] = False,
    ratings: Annotated[
        Path | None, typer.Option(help="jigsaws: meta_file_<Task>.txt whose ratings of this "
                                       "trial go into the take's meta.extra.")
    ] = None,
) -> None:
    """Import a capture from another tracker as a take (OpenXR's 26 joints, or tools)."""
    from vrtrainer.errors import VrtrainerError
    from vrtrainer.takes.importers import import_take
    from vrtrainer.takes.take import save_take

    if role not in ("expert", "trainee"):
        raise VrtrainerError(f"--role must be expert or trainee, not {role!r}")
    output_file(output, force=force)
    take = import_take(fmt, file, handedness=handedness, rate=rate)
    take.meta.role = role
    if ratings is not None:
        if fmt != "jigsaws":
            raise VrtrainerError("--ratings is for the jigsaws format only")
        from vrtrainer.takes.importers import read_jigsaws_meta

        table = read_jigsaws_meta(ratings)
        if file.stem not in table:
            raise VrtrainerError(f"{ratings}: no ratings for trial {file.stem}")
        r = table[file.stem]
        take.meta.extra.update({"skill": r.skill, "grs": r.grs, "osats": list(r.osats)})
    save_take(take, output)
    what = (f"tools {', '.join(take.tool_names)}" if take.tool_names
            else f"{take.meta.handedness} hand")
    console.print(f"wrote {output} ({take.n_frames} frames, {take.duration:.2f} s, {what})")
