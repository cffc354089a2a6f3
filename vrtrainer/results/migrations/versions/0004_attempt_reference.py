"""The reference an attempt was scored against: its path and SHA-256, as for its take.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Attempts stored before this revision keep NULL here: their reports say so.
    with op.batch_alter_table("attempts") as batch:
        batch.add_column(sa.Column("reference_path", sa.String(4096)))
        batch.add_column(sa.Column("reference_sha256", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("reference_sha256")
        batch.drop_column("reference_path")
