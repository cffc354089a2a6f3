"""Where the results store lives and how to connect to it safely from many processes.

SQLite (the default, a file in the user's data folder) is set up for several headsets
writing at once: write-ahead log, a long busy timeout, and every transaction opened with
``BEGIN IMMEDIATE`` so that two writers queue instead of failing half-way. PostgreSQL is
reached through a URL (``postgresql://...``) and needs nothing special.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from typing import overload

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from vrtrainer.errors import VrtrainerError

ENV_DB = "VRTRAINER_DB"
BUSY_TIMEOUT_S = 60.0


class StoreError(VrtrainerError):
    """The results store cannot be opened or used."""


def default_path() -> Path:
    """The SQLite file used when no URL is given: ``$XDG_DATA_HOME/vrtrainer/results.sqlite``."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(base) / "vrtrainer" / "results.sqlite"


def resolve_url(url: str | os.PathLike[str] | None = None) -> str:
    """The database URL to use: ``url``, else ``$VRTRAINER_DB``, else the default file.

    A plain file path (no ``scheme://``) means a SQLite file; ``postgresql://`` URLs use
    the psycopg 3 driver.
    """
    raw = os.fspath(url) if url is not None else os.environ.get(ENV_DB) or ""
    if not raw:
        raw = str(default_path())
    if "://" not in raw:
        return "sqlite:///" + str(Path(raw).expanduser().resolve())
    if raw.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + raw.split("://", 1)[1]
    return raw


def public_url(url: str) -> str:
    """The URL with any password masked, for messages and ``vrtrainer doctor``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable database URL>"


def shown_url(url: str) -> str:
    """How messages name a store: a SQLite file by its path, anything else as public_url."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "<unparsable database URL>"
    if parsed.get_backend_name() == "sqlite":
        return parsed.database if parsed.database not in (None, "", ":memory:") else "in-memory"
    return public_url(url)


def _sqlite_connect(dbapi_connection, _record) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite would defer it).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


READ_ONLY = {"vrtrainer_read_only": True}
#: Execution option set on engines opened by ``make_engine(read_only=True)``.
OPENED_READ_ONLY = "vrtrainer_opened_read_only"


def _sqlite_begin(connection) -> None:
    # Writers queue for the write lock up front; readers (marked READ_ONLY) never take
    # it, so a report being read does not hold up a headset storing an attempt.
    if connection.get_execution_options().get("vrtrainer_read_only"):
        connection.exec_driver_sql("BEGIN DEFERRED")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_connect_read_only(dbapi_connection, _record) -> None:
    # No journal-mode change: that is a write, refused on a read-only file or folder.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA query_only = ON")
    cursor.close()


def _read_only_sqlite(parsed, database: str) -> Engine:
    """An engine that opens the SQLite file read-only (``mode=ro``), for reading commands.

    Where neither the file nor its folder may be written (a read-only share, another
    user's store), SQLite cannot make the shared-memory file a WAL database needs, so
    the file is opened as ``immutable``: it must not change while we read, which nobody
    can make it do from here anyway.
    """
    path = Path(database)
    writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
    uri = "file:" + urllib.parse.quote(str(path)) + "?mode=ro" + ("" if writable
                                                                  else "&immutable=1")

    def connect():
        return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False)

    engine = create_engine(parsed, creator=connect)
    event.listen(engine, "connect", _sqlite_connect_read_only)
    event.listen(engine, "begin", _sqlite_begin)
    return engine.execution_options(**{OPENED_READ_ONLY: True})


def make_engine(url: str | os.PathLike[str] | None = None, *, read_only: bool = False
                ) -> Engine:
    """Create the SQLAlchemy engine for ``url`` (see :func:`resolve_url`).

    ``read_only`` opens an existing SQLite file without ever writing to it or its folder
    (PostgreSQL is unaffected: its server enforces permissions).
    """
    resolved = resolve_url(url)
    try:
        parsed = make_url(resolved)
    except ArgumentError:
        raise StoreError(f"{public_url(resolved)}: not a database URL") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            raise StoreError(
                f"{resolved}: the results store must be a SQLite file that several "
                "processes can share, not an in-memory database"
            )
        if read_only and Path(database).is_file():
            return _read_only_sqlite(parsed, database)
        folder = Path(database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{folder}: cannot create the results folder ({exc})") from None
        engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_S})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if backend == "postgresql":
        return create_engine(parsed, pool_pre_ping=True)
    raise StoreError(f"{public_url(resolved)}: only SQLite and PostgreSQL are supported")


def utc_now() -> datetime:
    """Now, in UTC: the only time zone the store writes."""
    return datetime.now(UTC)


@overload
def as_utc(moment: datetime) -> datetime: ...
@overload
def as_utc(moment: datetime | None) -> datetime | None: ...
def as_utc(moment: datetime | None) -> datetime | None:
    """Datetimes read back from SQLite are naive; the store writes UTC only."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
