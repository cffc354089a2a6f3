"""The ``report`` commands: HTML reports of one attempt, one trainee or a group."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vrtrainer.cli.options import DEFAULT_LANG, LangOption
from vrtrainer.cli.outputs import output_file
from vrtrainer.cli.results import DbOption
from vrtrainer.errors import VrtrainerError

HtmlOption = Annotated[Path, typer.Option("--html", help="Write the report to this HTML file.")]


def register(app: typer.Typer) -> None:
    """Add the ``report`` command group to ``app``."""
    report = typer.Typer(help="HTML reports of stored attempts.", no_args_is_help=True)
    report.command("attempt")(attempt)
    report.command("trainee")(trainee)
    report.command("group")(group)
    app.add_typer(report, name="report")


def _open(db: str | None):
    from vrtrainer.results import ResultsStore

    return ResultsStore.open(db)


def attempt(
    html: HtmlOption,
    attempt_id: Annotated[str | None, typer.Argument(
        metavar="ID|UUID", help="The attempt's number or UUID.")] = None,
    latest: Annotated[bool, typer.Option("--latest", help="The newest stored attempt.")] = False,
    lang: LangOption = DEFAULT_LANG,
    no_snapshots: Annotated[bool, typer.Option(
        "--no-snapshots", help="Leave out the pictures of the worst moments (no rendering).")
    ] = False,
    db: DbOption = None,
) -> None:
    """One attempt: score breakdown, trade metrics, hand map, worst moments."""
    from vrtrainer.report import write_attempt_report

    if (attempt_id is None) == (not latest):
        raise VrtrainerError("give either an attempt ID|UUID or --latest")
    output_file(html, option="--html")
    with _open(db) as store:
        if latest:
            newest = store.list_attempts(limit=1, newest_first=True)
            if not newest:
                raise VrtrainerError(f"{store.where}: no attempt stored yet")
            attempt_id = str(newest[0].id)
        out = write_attempt_report(store, attempt_id, html, lang, snapshots=not no_snapshots)
    typer.echo(str(out))


def trainee(
    name: Annotated[str, typer.Argument(metavar="TRAINEE", help="The trainee's pseudonym.")],
    html: HtmlOption,
    lang: LangOption = DEFAULT_LANG,
    db: DbOption = None,
) -> None:
    """One trainee: learning curve across attempts, per scenario step."""
    from vrtrainer.report import write_trainee_report

    output_file(html, option="--html")

    with _open(db) as store:
        out = write_trainee_report(store, name, html, lang)
    typer.echo(str(out))


def group(
    html: HtmlOption,
    scenario: Annotated[str | None, typer.Option(help="Only this scenario id.")] = None,
    lang: LangOption = DEFAULT_LANG,
    db: DbOption = None,
) -> None:
    """All trainees: best and last score per scenario step, and whether they passed."""
    from vrtrainer.report import write_group_report

    output_file(html, option="--html")

    with _open(db) as store:
        out = write_group_report(store, html, scenario, lang)
    typer.echo(str(out))
