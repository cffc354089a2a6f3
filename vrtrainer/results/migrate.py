"""Bring a results store's schema to the newest revision, safely from many processes at once.

Several headsets may open a brand-new store in the same second. The upgrade runs inside
one transaction that first takes the store's write lock (SQLite: ``BEGIN IMMEDIATE``;
PostgreSQL: a transaction-scoped advisory lock), so one process migrates while the others
wait, then find the schema current and do nothing. Both databases roll DDL back with the
transaction, so a process killed mid-migration leaves the store as it was.
"""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, text

from vrtrainer.results.engine import READ_ONLY, StoreError, public_url

MIGRATIONS = Path(__file__).with_name("migrations")
# Arbitrary constant naming this store's migration lock among PostgreSQL advisory locks.
_PG_LOCK_KEY = 0x7672_7472_6E72  # "vrtrnr"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@functools.cache
def head_revision() -> str:
    """The newest schema revision this vrtrainer ships (read once: parsing the migration
    scripts cost 4 ms at every read-only open)."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "the package ships no migration"
    return head


def current_revision(engine: Engine) -> str | None:
    """The store's schema revision, or None for an empty database."""
    with engine.connect().execution_options(**READ_ONLY) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> str:
    """Migrate the store to :func:`head_revision`; return the revision it is now at."""
    config = _config()
    scripts = ScriptDirectory.from_config(config)
    head = scripts.get_current_head()
    if head is None:
        raise StoreError("the installed package has no migrations of the results store")
    current = current_revision(engine)
    if current == head:
        return head
    _refuse_unknown(engine, scripts, current)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        config.attributes["connection"] = connection
        try:
            command.upgrade(config, "head")
        except CommandError as exc:
            raise StoreError(f"{public_url(str(engine.url))}: cannot migrate ({exc})") from None
    return head


def _refuse_unknown(engine: Engine, scripts: ScriptDirectory, current: str | None) -> None:
    if current is None:
        return
    try:
        scripts.get_revision(current)
    except CommandError:
        raise StoreError(
            f"{public_url(str(engine.url))}: the store's schema revision {current!r} is "
            "newer than this vrtrainer knows; upgrade vrtrainer"
        ) from None
