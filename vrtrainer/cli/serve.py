"""`vrtrainer serve` and `vrtrainer trainer`: the trainer's live view and its accounts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from vrtrainer.cli.results import DbOption
from vrtrainer.errors import VrtrainerError

console = Console()


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    trainer = typer.Typer(help="Trainer accounts of `vrtrainer serve`.", no_args_is_help=True)
    trainer.command("add")(trainer_add)
    trainer.command("list")(trainer_list)
    app.add_typer(trainer, name="trainer")


def serve(
    host: Annotated[str, typer.Option(
        help="Address to listen on; 127.0.0.1 keeps it on this machine (docs/live.md "
             "for a local network, behind TLS).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8765,
    db: DbOption = None,
    key_file: Annotated[Path | None, typer.Option(
        help="File holding the site's publish key (made if absent).")] = None,
    tls_cert: Annotated[Path | None, typer.Option(help="TLS certificate (PEM).")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
    secure_cookies: Annotated[bool, typer.Option(
        "--secure-cookies", help="Sign-in cookies only over HTTPS (behind a TLS proxy).")
    ] = False,
) -> None:
    """Serve the trainer's page: live sessions, their hands and ghost, cues to trainees."""
    # without the [serve] extra the CLI says which to install (vrtrainer.extras)
    from vrtrainer.results import ResultsStore
    from vrtrainer.results.trainers import TrainerAccounts
    from vrtrainer.serve.app import make_app
    from vrtrainer.serve.server import ensure_publish_key, uvicorn_server

    if (tls_cert is None) != (tls_key is None):
        raise VrtrainerError("--tls-cert and --tls-key go together")
    key, key_path = ensure_publish_key(key_file)
    store = ResultsStore.open(db)
    try:
        if not TrainerAccounts(store.engine).names():
            console.print("[yellow]no trainer account yet: add one with "
                          "`vrtrainer trainer add NAME`[/yellow]")
        tls = {}
        if tls_cert is not None:
            tls = {"ssl_certfile": str(tls_cert), "ssl_keyfile": str(tls_key)}
        scheme = "https" if tls else "http"
        console.print(f"trainer page: {scheme}://{host}:{port}/   (results: {store.url})")
        console.print(f"sessions publish with: vrtrainer train ... --publish "
                      f"{scheme}://{host}:{port}   (publish key in {key_path})")
        app = make_app(store, key, secure_cookies=secure_cookies or bool(tls))
        server = uvicorn_server(app, host, port, log_level="warning", **tls)
        try:
            server.run()
        except SystemExit as exc:  # uvicorn exits when it cannot bind
            raise VrtrainerError(f"cannot listen on {host}:{port}") from exc
    finally:
        store.close()


def trainer_add(
    name: Annotated[str, typer.Argument(help="The trainer's sign-in name.")],
    db: DbOption = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input.")] = False,
) -> None:
    """Create a trainer account (the password is stored as a scrypt hash)."""
    from vrtrainer.results import ResultsStore
    from vrtrainer.results.trainers import TrainerAccounts

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with ResultsStore.open(db) as store:
        TrainerAccounts(store.engine).add(name, password)
        console.print(f"trainer {name!r} added to {store.url}")


def trainer_list(db: DbOption = None) -> None:
    """List the trainer accounts."""
    from vrtrainer.results import ResultsStore
    from vrtrainer.results.trainers import TrainerAccounts

    with ResultsStore.open(db) as store:
        for name in TrainerAccounts(store.engine).names():
            print(name)
