"""Alembic migrations of the results store, applied by :mod:`vrtrainer.results.migrate`."""
