"""Real services for the results and xAPI tests: a PostgreSQL server and a Ralph LRS.

Both run on loopback from private folders and are stopped at the end. PostgreSQL comes from
Debian's ``postgresql`` package (run as the ``postgres`` user when the tests run as root,
since the server refuses root); Ralph from the separate virtual environment ``.venv-ralph``
that ``make test-services`` builds. A service that cannot start fails the test: these
tests are the proof that the store and the outbox work against the real things.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LRS_USER = "vrtrainer-tests"
LRS_PASSWORD = "not-a-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(check, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"{what} did not come up within {timeout:.0f} s")


class PostgresServer:
    """A throw-away PostgreSQL cluster listening on 127.0.0.1."""

    def __init__(self) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not bins:
            pytest.fail("PostgreSQL is not installed (make test-services installs it)")
        self.bindir = Path(bins[-1]).parent
        self.datadir = Path(tempfile.mkdtemp(prefix="vrtrainer-pg-"))
        self.port = free_port()
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.datadir, account.pw_uid, account.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            [*self.prefix, *args], capture_output=True, text=True, cwd="/", timeout=120
        )
        if done.returncode != 0:
            pytest.fail(f"{args[0]} failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.datadir / "data"),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} "
            f"-c unix_socket_directories={self.datadir} -c fsync=off -c max_connections=200"
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.datadir / "data"),
            "-l",
            str(self.datadir / "log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def new_database(self) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        subprocess.run(
            [
                *self.prefix,
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.datadir / "data"),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
            capture_output=True,
            cwd="/",
            timeout=120,
        )
        shutil.rmtree(self.datadir, ignore_errors=True)


def ralph_binary() -> Path:
    path = Path(os.environ.get("VRTRAINER_RALPH", REPO / ".venv-ralph" / "bin" / "ralph"))
    if not path.exists():
        pytest.fail(f"{path}: Ralph is not installed (make test-services installs it)")
    return path


class RalphLRS:
    """Ralph's development server with its file backend, stoppable and restartable."""

    def __init__(self) -> None:
        self.ralph = ralph_binary()
        self.home = Path(tempfile.mkdtemp(prefix="vrtrainer-ralph-"))
        self.port = free_port()
        self.env = {
            **os.environ,
            "RALPH_APP_DIR": str(self.home / "app"),
            "RALPH_RUNSERVER_BACKEND": "fs",
            "PYTHONPATH": str(Path(__file__).with_name("ralph_hooks")),
        }
        self.process: subprocess.Popen | None = None
        done = subprocess.run(
            [
                str(self.ralph),
                "auth",
                "-u",
                LRS_USER,
                "-p",
                LRS_PASSWORD,
                "-s",
                "all",
                "-A",
                LRS_USER,
                "http://localhost",
                "-w",
            ],
            env=self.env,
            capture_output=True,
            text=True,
            cwd=self.home,
            timeout=120,
        )
        if done.returncode != 0:
            pytest.fail(f"ralph auth failed: {done.stdout}{done.stderr}")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/xAPI/"

    @property
    def store_file(self) -> Path:
        """The JSON-lines file Ralph's fs backend writes every stored statement to."""
        return self.home / "data" / "fs_lrs.jsonl"

    def _alive(self) -> bool:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/__heartbeat__")
        try:
            with urllib.request.urlopen(request, timeout=1) as reply:
                return reply.status == 200
        except OSError:
            return False

    def start(self) -> None:
        log = open(self.home / "server.log", "ab")
        # Its own session: runserver has a reloader parent and a server child to stop.
        self.process = subprocess.Popen(
            [
                str(self.ralph),
                "runserver",
                "-b",
                "fs",
                "--fs-default-directory-path",
                str(self.home / "data"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
            ],
            env=self.env,
            cwd=self.home,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

        def up() -> bool:
            if self.process.poll() is not None:
                tail = (self.home / "server.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"Ralph exited at start:\n{tail}")
            return self._alive()

        _wait_for(up, "Ralph")

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None
        _wait_for(lambda: not self._alive(), "Ralph's shutdown", 20)

    def stored_statements(self) -> list[dict]:
        """Every statement in the backend file, duplicates included (read straight off disk)."""
        if not self.store_file.exists():
            return []
        statements = []
        lines = self.store_file.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            try:
                statements.append(json.loads(line))
            except ValueError:
                if number != len(lines):  # only the line being written may be partial
                    raise
        return statements

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)


def running_postgres():
    """Generator for a session fixture: a PostgreSQL server, stopped at the end."""
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


def running_ralph():
    """Generator for a session fixture: a running Ralph LRS, removed at the end.

    Tests that stop it start it again before they end.
    """
    lrs = RalphLRS()
    try:
        lrs.start()
        yield lrs
    finally:
        lrs.close()
