"""Trainer accounts and their actions on live sessions; outbox rows about no attempt.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "trainers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(400), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.UniqueConstraint("name", name="uq_trainers_name"),
    )
    op.create_table(
        "trainer_actions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("trainer_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("session_uuid", sa.String(36)),
        sa.Column("trainee", sa.String(200)),
        sa.Column("scenario_id", sa.String(200)),
        sa.Column("step", sa.String(200)),
        sa.Column("text", sa.String(2000), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("uuid", name="uq_trainer_actions_uuid"),
        sa.ForeignKeyConstraint(
            ["trainer_id"], ["trainers.id"], name="fk_trainer_actions_trainer_id_trainers"
        ),
    )
    op.create_index("ix_trainer_actions_session", "trainer_actions",
                    ["session_uuid", "created_at"])
    # A trainer's action has an xAPI statement but no attempt.
    with op.batch_alter_table("xapi_outbox") as batch:
        batch.alter_column("attempt_id", existing_type=sa.Integer, nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("xapi_outbox") as batch:
        batch.alter_column("attempt_id", existing_type=sa.Integer, nullable=False)
    op.drop_index("ix_trainer_actions_session", table_name="trainer_actions")
    op.drop_table("trainer_actions")
    op.drop_table("trainers")
