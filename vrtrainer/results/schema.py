"""Tables of the results store (SQLAlchemy Core), the same on SQLite and PostgreSQL.

The Alembic migrations in ``migrations/versions`` create exactly these tables; a test
compares the two so that they cannot drift apart.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from vrtrainer.results.records import MAX_ID, MAX_PATH, MAX_TEXT

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# A trainee is known by a pseudonym chosen by the organisation; the name is optional.
trainees = Table(
    "trainees",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("pseudonym", String(MAX_ID), nullable=False, unique=True),
    Column("display_name", String(MAX_ID)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# What a trainee chose and is remembered for next time (simple mode, issue 19).
trainee_preferences = Table(
    "trainee_preferences",
    metadata,
    Column("trainee_id", Integer, ForeignKey("trainees.id", ondelete="CASCADE"),
           primary_key=True),
    Column("simple_mode", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# One headset run by one trainee; its attempts hang off it.
sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uuid", String(36), nullable=False, unique=True),
    Column("trainee_id", Integer, ForeignKey("trainees.id"), nullable=False),
    Column("device", String(MAX_ID)),
    Column("runtime", String(MAX_ID)),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=False),
)

attempts = Table(
    "attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uuid", String(36), nullable=False, unique=True),
    Column("trainee_id", Integer, ForeignKey("trainees.id"), nullable=False),
    Column("session_id", Integer, ForeignKey("sessions.id")),
    Column("scenario_id", String(MAX_ID), nullable=False),
    Column("scenario_version", String(MAX_ID), nullable=False),
    Column("step", String(MAX_ID), nullable=False),
    Column("score", Float, nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("breakdown", JSON, nullable=False),
    Column("take_path", String(MAX_PATH)),
    Column("take_sha256", String(64)),
    Column("device", String(MAX_ID)),
    Column("runtime", String(MAX_ID)),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=False),
    Column("duration_s", Float, nullable=False),
    Column("locale", String(35), nullable=False),
    Column("vrtrainer_version", String(40), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    # The reference (.vrref) the attempt was scored against, kept with the session (0004).
    Column("reference_path", String(MAX_PATH)),
    Column("reference_sha256", String(64)),
    Index("ix_attempts_trainee_started", "trainee_id", "started_at"),
    Index("ix_attempts_scenario", "scenario_id", "scenario_version", "step"),
)

criteria = Table(
    "criteria",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("attempt_id", Integer, ForeignKey("attempts.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", String(MAX_ID), nullable=False),
    Column("score", Float, nullable=False),
    Column("weight", Float, nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("severity", String(10), nullable=False),
    Column("message", String(MAX_TEXT), nullable=False),
    UniqueConstraint("attempt_id", "position", name="uq_criteria_attempt_position"),
)

# Statements written with their attempt, in the same transaction, then sent to an LRS.
# A sender leases rows (lease_owner, lease_until) so that several can run at once and a
# killed one's rows come back after the lease ends.
xapi_outbox = Table(
    "xapi_outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("statement_id", String(36), nullable=False, unique=True),
    # NULL for statements about no attempt (a trainer's action, see trainers below).
    Column("attempt_id", Integer, ForeignKey("attempts.id", ondelete="CASCADE")),
    Column("seq", Integer, nullable=False),
    Column("endpoint", String(MAX_PATH)),
    Column("statement", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("tries", Integer, nullable=False, default=0),
    Column("next_try_at", DateTime(timezone=True), nullable=False),
    Column("lease_owner", String(80)),
    Column("lease_until", DateTime(timezone=True)),
    Column("sent_at", DateTime(timezone=True)),
    Column("rejected_at", DateTime(timezone=True)),
    Column("last_error", String(MAX_TEXT)),
    Index("ix_xapi_outbox_due", "sent_at", "rejected_at", "next_try_at"),
)

# Trainers who watch and coach live sessions (`vrtrainer serve`); the password is kept only
# as a salted scrypt hash (vrtrainer.results.trainers).
trainers = Table(
    "trainers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(MAX_ID), nullable=False, unique=True),
    Column("password_hash", String(400), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
)

# Everything a trainer did to a live session (sign-in, cue, message, retry, end of step),
# written with its xAPI statement in the same transaction.
trainer_actions = Table(
    "trainer_actions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uuid", String(36), nullable=False, unique=True),
    Column("trainer_id", Integer, ForeignKey("trainers.id"), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("session_uuid", String(36)),
    Column("trainee", String(MAX_ID)),
    Column("scenario_id", String(MAX_ID)),
    Column("step", String(MAX_ID)),
    Column("text", String(MAX_TEXT), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_trainer_actions_session", "session_uuid", "created_at"),
)
