"""Commands on takes: simulate, info, export-csv, gestures, take recover."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vrtrainer.cli.helptext import flaw_help
from vrtrainer.cli.outputs import is_stdout, output_file
from vrtrainer.errors import VrtrainerError

console = Console()


def register(app: typer.Typer) -> None:
    """Add the take commands to ``app``."""
    app.command("simulate")(simulate)
    app.command("info")(info)
    app.command("export-csv")(export_csv)
    app.command("gestures")(gestures)
    take_app = typer.Typer(help="Repair and inspect take files.", no_args_is_help=True)
    take_app.command("recover")(recover)
    app.add_typer(take_app, name="take")


def simulate(
    gesture: Annotated[str, typer.Option("--gesture", "-g", help="Built-in gesture name.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Take file to write.")],
    role: Annotated[str, typer.Option(help="expert or trainee.")] = "expert",
    flaw: Annotated[
        list[str] | None,
        typer.Option("--flaw", help="Trainee flaw NAME[=AMOUNT], repeatable; NAME=default "
                                    f"(unit, range): {flaw_help()}."),
    ] = None,
    hand: Annotated[str, typer.Option(help="right or left (dominant hand).")] = "right",
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same take.")] = 0,
    rate: Annotated[float, typer.Option(help="Frame rate in Hz.")] = 90.0,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an existing reference or expert take at the output.")] = False,
) -> None:
    """Simulate a take of a built-in gesture, optionally with trainee flaws."""
    from vrtrainer.hands import sim
    from vrtrainer.takes.take import save_take

    if role not in ("expert", "trainee"):
        raise VrtrainerError(f"--role must be expert or trainee, not {role!r}")
    if hand not in ("right", "left"):
        raise VrtrainerError(f"--hand must be right or left, not {hand!r}")
    flaws = [sim.parse_flaw(f) for f in flaw or []]
    output_file(output, force=force)
    take = sim.simulate(gesture, role=role, flaws=flaws, hand=hand, seed=seed, rate=rate)
    save_take(take, output)
    console.print(f"wrote {output} ({take.n_frames} frames, {take.duration:.2f} s)")


def info(
    file: Annotated[Path, typer.Argument(help="Take file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Summarise a take: duration, rate, tracking coverage, hand size."""
    from vrtrainer.takes.take import load_take, summarize

    summary = summarize(load_take(file))
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    meta = summary["meta"]
    console.print(f"[bold]{file}[/bold]")
    console.print(
        f"  {summary['frames']} frames, {summary['duration_s']:.2f} s at "
        f"{summary['rate_hz']:.1f} Hz; role {meta['role']}, {meta['handedness']}-handed, "
        f"source {meta['source'] or '?'}"
        + (" (synthetic)" if meta["synthetic"] else "")
    )
    if meta["scenario"]:
        console.print(f"  scenario {meta['scenario']} step {meta['step']}")
    if meta["notes"]:
        console.print(f"  notes: {meta['notes']}")
    table = Table("hand", "active", "valid joints", "hand length")
    for name, h in summary["hands"].items():
        length = f"{h['hand_length_m'] * 100:.1f} cm" if h["hand_length_m"] else "-"
        table.add_row(
            name, f"{h['active_share']:.0%}", f"{h['valid_joint_share']:.1%}", length
        )
    console.print(table)
    if summary["tools"]:
        console.print(f"  tools: {', '.join(summary['tools'])}")


def export_csv(
    file: Annotated[Path, typer.Argument(help="Take file.")],
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="CSV file to write; - for standard output.")],
) -> None:
    """Export joint positions (metres) to CSV, one row per frame."""
    import sys

    from vrtrainer.takes.take import export_csv as _export
    from vrtrainer.takes.take import load_take, write_csv

    output_file(output, stdout_ok=True)
    take = load_take(file)
    if is_stdout(output):
        write_csv(take, sys.stdout)
        return
    _export(take, output)
    console.print(f"wrote {output}")


def gestures() -> None:
    """List the built-in gestures."""
    from vrtrainer.hands import sim

    table = Table("gesture", "hands", "duration", "description")
    for name, g in sim.GESTURES.items():
        table.add_row(name, ", ".join(g.hands), f"{g.duration:.1f} s", g.description)
    console.print(table)


def recover(
    journal: Annotated[Path, typer.Argument(help="The .partial journal of a recording.")],
    output: Annotated[Path | None, typer.Option(
        "-o", "--output", help="Take file to write (default: the journal's name without "
                               ".partial, beside it).")] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an existing reference or expert take at the output.")] = False,
) -> None:
    """Rebuild a take from an interrupted recording's journal."""
    from vrtrainer.takes.take import recover_take

    if output is not None:
        output_file(output, force=force)
    take, path = recover_take(journal, output)
    console.print(f"recovered {take.n_frames} frames ({take.duration:.2f} s) into {path}")
