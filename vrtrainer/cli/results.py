"""Commands on stored results: results list/show/export, and xapi send/status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vrtrainer.cli.outputs import is_stdout, output_file
from vrtrainer.errors import VrtrainerError

console = Console()

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="VRTRAINER_DB",
        help="Database URL or SQLite file (default: the user's data folder).",
        show_envvar=True,
    ),
]


def register(app: typer.Typer) -> None:
    """Add the ``results`` and ``xapi`` command groups to ``app``."""
    results = typer.Typer(help="Stored attempts: list, show, export.", no_args_is_help=True)
    results.command("list")(list_)
    results.command("show")(show)
    results.command("export")(export)
    app.add_typer(results, name="results")
    xapi = typer.Typer(help="Report attempts to a Learning Record Store.", no_args_is_help=True)
    xapi.command("send")(send)
    xapi.command("status")(status)
    app.add_typer(xapi, name="xapi")


def _open(db: str | None, read_only: bool = False):
    from vrtrainer.results import ResultsStore

    return ResultsStore.open(db, read_only=read_only)


def _verdict(passed: bool) -> str:
    from vrtrainer.session.verdict import verdict_word

    word = verdict_word(passed)
    return f"[green]{word}[/green]" if passed else f"[red]{word}[/red]"


def list_(
    db: DbOption = None,
    trainee: Annotated[str | None, typer.Option(help="Only this trainee (pseudonym).")] = None,
    scenario: Annotated[str | None, typer.Option(help="Only this scenario id.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many, newest.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List stored attempts, oldest first."""
    with _open(db, read_only=True) as store:
        rows = store.list_attempts(
            trainee=trainee, scenario_id=scenario, limit=limit, newest_first=limit is not None
        )
    if limit is not None:
        rows.reverse()
    if as_json:
        summary = [{k: v for k, v in a.to_dict().items() if k != "breakdown"} for a in rows]
        typer.echo(json.dumps(summary, indent=2, ensure_ascii=False))
        return
    table = Table("id", "started (UTC)", "trainee", "scenario", "step", "score", "result")
    for a in rows:
        table.add_row(
            str(a.id),
            a.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            a.trainee,
            f"{a.scenario_id} {a.scenario_version}",
            a.step,
            f"{a.score:.0f}",
            _verdict(a.passed),
        )
    console.print(table)


def show(
    attempt: Annotated[str, typer.Argument(help="Attempt number or UUID.")],
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show one attempt with its per-criterion results."""
    with _open(db, read_only=True) as store:
        a = store.get_attempt(attempt)
    if as_json:
        typer.echo(json.dumps(a.to_dict(), indent=2, ensure_ascii=False))
        return
    verdict = _verdict(a.passed)
    console.print(
        f"attempt {a.id} ({a.uuid})\n"
        f"trainee {a.trainee}" + (f" ({a.trainee_name})" if a.trainee_name else "") + "\n"
        f"scenario {a.scenario_id} {a.scenario_version}, step {a.step}\n"
        f"{a.started_at:%Y-%m-%d %H:%M:%S} UTC, {a.duration_s:.1f} s, "
        f"device {a.device or '-'}, runtime {a.runtime or '-'}\n"
        f"score {a.score:.0f}/100, {verdict}\n"
        f"take {a.take_path or '-'}" + (f" (sha256 {a.take_sha256})" if a.take_sha256 else ""),
        highlight=False, soft_wrap=True,
    )
    table = Table("criterion", "score", "weight", "result", "message")
    for c in a.criteria:
        table.add_row(
            c.name,
            f"{c.score:.1f}",
            f"{c.weight:g}",
            _verdict(c.passed),
            c.message,
        )
    if a.criteria:
        console.print(table)


def export(
    csv_out: Annotated[Path, typer.Option(
        "--csv", help="CSV file to write; - for standard output.")],
    db: DbOption = None,
    trainee: Annotated[str | None, typer.Option(help="Only this trainee (pseudonym).")] = None,
    scenario: Annotated[str | None, typer.Option(help="Only this scenario id.")] = None,
) -> None:
    """Export attempts to a CSV file (one row per attempt)."""
    output_file(csv_out, option="--csv", stdout_ok=True)
    with _open(db, read_only=True) as store:
        if is_stdout(csv_out):
            import sys

            from vrtrainer.results.store import write_csv_rows

            write_csv_rows(sys.stdout, store.list_attempts(trainee=trainee, scenario_id=scenario))
            return
        count = store.export_csv(csv_out, trainee=trainee, scenario_id=scenario)
    console.print(f"{count} attempt(s) written to {csv_out}", highlight=False)


def send(
    db: DbOption = None,
    endpoint: Annotated[
        str | None,
        typer.Option(envvar="VRTRAINER_LRS_ENDPOINT", help="LRS xAPI endpoint URL."),
    ] = None,
    user: Annotated[
        str | None, typer.Option(envvar="VRTRAINER_LRS_USER", help="LRS Basic-auth user.")
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(envvar="VRTRAINER_LRS_PASSWORD", help="LRS Basic-auth password."),
    ] = None,
    cmi5: Annotated[
        str | None,
        typer.Option(
            envvar="VRTRAINER_CMI5_LAUNCH",
            help="cmi5 launch URL: send to its endpoint with the token from its fetch URL.",
        ),
    ] = None,
    wait: Annotated[
        float, typer.Option(min=0, help="Keep retrying for up to this many seconds.")
    ] = 0.0,
    batch: Annotated[int, typer.Option(min=1, max=500, help="Statements per request.")] = 50,
    lease: Annotated[
        float, typer.Option(min=0.1, help="Seconds a claimed batch stays ours.")
    ] = 120.0,
    max_backoff: Annotated[
        float, typer.Option(min=0.1, help="Longest delay between retries, seconds.")
    ] = 300.0,
) -> None:
    """Send the statements waiting in the outbox to the LRS (safe to run several at once)."""
    from vrtrainer.results.cmi5 import Cmi5Launch
    from vrtrainer.xapi.lrs import LrsClient, basic_auth
    from vrtrainer.xapi.sender import Backoff, OutboxSender

    if endpoint is not None:
        if not user or password is None:
            raise VrtrainerError("xapi send: --endpoint needs --user and --password")
        client = LrsClient(endpoint, basic_auth(user, password))
    elif cmi5:
        launch = Cmi5Launch.from_url(cmi5)
        client = LrsClient(launch.endpoint, f"Basic {launch.fetch_auth_token()}")
    else:
        raise VrtrainerError(
            "xapi send: give --endpoint/--user/--password or a cmi5 launch (--cmi5 or "
            "$VRTRAINER_CMI5_LAUNCH)"
        )
    with _open(db) as store:
        sender = OutboxSender(
            store.outbox,
            client,
            batch=batch,
            lease_s=lease,
            backoff=Backoff(base_s=min(1.0, max_backoff), cap_s=max_backoff),
        )
        report = sender.run(wait_s=wait)
    console.print(
        f"sent {report.sent}, rejected {report.rejected}, still waiting {report.pending}",
        highlight=False,
    )
    if report.last_error:
        lead = "nothing sent" if report.sent == 0 else "last error"
        console.print(f"{lead}: {report.last_error}", highlight=False, markup=False)
    if report.pending or report.rejected:
        raise typer.Exit(1)


def status(db: DbOption = None) -> None:
    """How many statements wait in the outbox, went out, or were refused by the LRS."""
    with _open(db, read_only=True) as store:
        counts = store.outbox.counts()
        last = store.outbox.last_error()
        where = store.where
    typer.echo(f"{where}: {counts.pending} waiting, {counts.sent} sent, "
               f"{counts.rejected} rejected")
    if last is not None:
        error, retry_at = last
        when = f" (next try after {retry_at:%Y-%m-%d %H:%M:%S} UTC)" if retry_at else ""
        console.print(f"last error: {error}{when}", highlight=False, markup=False)
