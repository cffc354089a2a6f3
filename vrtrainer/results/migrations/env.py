"""Alembic environment: runs on the connection the store already holds (and has locked)."""

from alembic import context

from vrtrainer.results.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
