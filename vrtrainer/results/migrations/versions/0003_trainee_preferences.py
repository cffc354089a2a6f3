"""Per-trainee preferences remembered between sessions (simple mode for a first session).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trainee_preferences",
        sa.Column("trainee_id", sa.Integer, primary_key=True),
        sa.Column("simple_mode", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["trainee_id"], ["trainees.id"],
            name="fk_trainee_preferences_trainee_id_trainees", ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("trainee_preferences")
