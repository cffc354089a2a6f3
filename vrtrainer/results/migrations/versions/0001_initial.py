"""First schema: trainees, sessions, attempts, per-criterion results, xAPI outbox.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "trainees",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("pseudonym", sa.String(200), nullable=False),
        sa.Column("display_name", sa.String(200)),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("pseudonym", name="uq_trainees_pseudonym"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("trainee_id", sa.Integer, nullable=False),
        sa.Column("device", sa.String(200)),
        sa.Column("runtime", sa.String(200)),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("ended_at", TZ, nullable=False),
        sa.UniqueConstraint("uuid", name="uq_sessions_uuid"),
        sa.ForeignKeyConstraint(
            ["trainee_id"], ["trainees.id"], name="fk_sessions_trainee_id_trainees"
        ),
    )
    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("trainee_id", sa.Integer, nullable=False),
        sa.Column("session_id", sa.Integer),
        sa.Column("scenario_id", sa.String(200), nullable=False),
        sa.Column("scenario_version", sa.String(200), nullable=False),
        sa.Column("step", sa.String(200), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("breakdown", sa.JSON, nullable=False),
        sa.Column("take_path", sa.String(4096)),
        sa.Column("take_sha256", sa.String(64)),
        sa.Column("device", sa.String(200)),
        sa.Column("runtime", sa.String(200)),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("ended_at", TZ, nullable=False),
        sa.Column("duration_s", sa.Float, nullable=False),
        sa.Column("locale", sa.String(35), nullable=False),
        sa.Column("vrtrainer_version", sa.String(40), nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.UniqueConstraint("uuid", name="uq_attempts_uuid"),
        sa.ForeignKeyConstraint(
            ["trainee_id"], ["trainees.id"], name="fk_attempts_trainee_id_trainees"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"], ["sessions.id"], name="fk_attempts_session_id_sessions"
        ),
    )
    op.create_index("ix_attempts_trainee_started", "attempts", ["trainee_id", "started_at"])
    op.create_index("ix_attempts_scenario", "attempts", ["scenario_id", "scenario_version", "step"])
    op.create_table(
        "criteria",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("attempt_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("weight", sa.Float, nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("message", sa.String(2000), nullable=False),
        sa.UniqueConstraint("attempt_id", "position", name="uq_criteria_attempt_position"),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name="fk_criteria_attempt_id_attempts",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "xapi_outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("statement_id", sa.String(36), nullable=False),
        sa.Column("attempt_id", sa.Integer, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("endpoint", sa.String(4096)),
        sa.Column("statement", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("tries", sa.Integer, nullable=False),
        sa.Column("next_try_at", TZ, nullable=False),
        sa.Column("lease_owner", sa.String(80)),
        sa.Column("lease_until", TZ),
        sa.Column("sent_at", TZ),
        sa.Column("rejected_at", TZ),
        sa.Column("last_error", sa.String(2000)),
        sa.UniqueConstraint("statement_id", name="uq_xapi_outbox_statement_id"),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name="fk_xapi_outbox_attempt_id_attempts",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_xapi_outbox_due", "xapi_outbox", ["sent_at", "rejected_at", "next_try_at"])


def downgrade() -> None:
    op.drop_table("xapi_outbox")
    op.drop_table("criteria")
    op.drop_index("ix_attempts_scenario", table_name="attempts")
    op.drop_index("ix_attempts_trainee_started", table_name="attempts")
    op.drop_table("attempts")
    op.drop_table("sessions")
    op.drop_table("trainees")
