"""Trainer accounts and the record of what trainers do to live sessions.

Passwords are kept only as salted scrypt hashes (``hashlib.scrypt``, memory-hard, in the
standard library), written ``scrypt$n$r$p$salt$hash`` so that the cost can be raised later
and old hashes still verify. Every trainer action is stored with its xAPI statement in one
transaction, like an attempt.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from vrtrainer.errors import VrtrainerError
from vrtrainer.results.engine import READ_ONLY, StoreError, public_url
from vrtrainer.results.records import MAX_ID, MAX_TEXT
from vrtrainer.results.schema import trainer_actions, trainers, xapi_outbox
from vrtrainer.results.trainer_statements import trainer_action_statement

#: scrypt cost: 2**15 x 8 x 1 takes ~32 MiB and ~0.1 s per check on a laptop core.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
MIN_PASSWORD = 10
ACTION_KINDS = ("sign_in", "cue", "message", "retry", "end_step")


class TrainerError(VrtrainerError):
    """A trainer account cannot be made or used as asked."""


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R,
                  p: int = SCRYPT_P) -> str:
    """A salted scrypt hash of ``password`` in the ``scrypt$n$r$p$salt$hash`` form."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32,
                            maxmem=256 * 1024 * 1024)
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (constant-time compare of the hashes)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n),
                             r=int(r), p=int(p), dklen=len(expected),
                             maxmem=256 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


@dataclass(frozen=True)
class Trainer:
    id: int
    name: str


@dataclass(frozen=True)
class TrainerAction:
    """One recorded action, as read back."""

    uuid: str
    trainer: str
    kind: str
    session_uuid: str | None
    trainee: str | None
    scenario_id: str | None
    step: str | None
    text: str
    created_at: datetime


class TrainerAccounts:
    """Trainer accounts and actions in a results store's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, name: str, password: str) -> int:
        """Create the account ``name``; refuses a taken name or a short password."""
        name = name.strip()
        if not name or len(name) > MAX_ID or any(c.isspace() or not c.isprintable()
                                                 for c in name):
            raise TrainerError("a trainer name is 1-200 printable characters, no spaces")
        if len(password) < MIN_PASSWORD:
            raise TrainerError(f"a trainer password needs at least {MIN_PASSWORD} characters")
        try:
            with self.engine.begin() as conn:
                return conn.execute(
                    trainers.insert().values(name=name, password_hash=hash_password(password),
                                             created_at=datetime.now(UTC), disabled=False)
                    .returning(trainers.c.id)
                ).scalar_one()
        except IntegrityError:
            raise TrainerError(f"a trainer named {name!r} already exists") from None
        except SQLAlchemyError as exc:
            raise StoreError(f"{public_url(str(self.engine.url))}: {exc}") from None

    def names(self) -> list[str]:
        with self.engine.connect().execution_options(**READ_ONLY) as conn:
            return list(conn.execute(select(trainers.c.name).order_by(trainers.c.name))
                        .scalars())

    def authenticate(self, name: str, password: str) -> Trainer | None:
        """The trainer whose name and password these are, or None.

        An unknown name still costs one hash, so that timing does not tell which names
        exist.
        """
        with self.engine.connect().execution_options(**READ_ONLY) as conn:
            row = conn.execute(
                select(trainers.c.id, trainers.c.name, trainers.c.password_hash,
                       trainers.c.disabled).where(trainers.c.name == name[:MAX_ID])
            ).first()
        if row is None:
            verify_password(password, _dummy_hash())
            return None
        if row.disabled or not verify_password(password, row.password_hash):
            return None
        return Trainer(row.id, row.name)

    def record_action(self, trainer: Trainer, kind: str, text: str = "", *,
                      session_uuid: str | None = None, trainee: str | None = None,
                      scenario_id: str | None = None, step: str | None = None,
                      locale: str = "en-US") -> str:
        """Store one action and its xAPI statement; return the action's UUID."""
        if kind not in ACTION_KINDS:
            raise TrainerError(f"unknown trainer action {kind!r}")
        action_id = str(uuid.uuid4())
        now = datetime.now(UTC)
        text = text[:MAX_TEXT]
        with self.engine.begin() as conn:
            conn.execute(trainer_actions.insert().values(
                uuid=action_id, trainer_id=trainer.id, kind=kind, session_uuid=session_uuid,
                trainee=trainee, scenario_id=scenario_id, step=step, text=text,
                created_at=now))
            if kind != "sign_in" and session_uuid is not None:
                statement = trainer_action_statement(
                    statement_id=action_id, trainer=trainer.name, kind=kind, text=text,
                    trainee=trainee or "unknown", scenario_id=scenario_id or "",
                    step=step or "", session_uuid=session_uuid, when=now, locale=locale)
                conn.execute(xapi_outbox.insert().values(
                    statement_id=action_id, attempt_id=None, seq=0, endpoint=None,
                    statement=json.dumps(statement, sort_keys=True, ensure_ascii=False),
                    created_at=now, tries=0, next_try_at=now))
        return action_id

    def actions(self, session_uuid: str | None = None) -> list[TrainerAction]:
        """Recorded actions, oldest first (of one session when given)."""
        query = (select(trainer_actions, trainers.c.name.label("trainer"))
                 .join(trainers, trainers.c.id == trainer_actions.c.trainer_id)
                 .order_by(trainer_actions.c.id))
        if session_uuid is not None:
            query = query.where(trainer_actions.c.session_uuid == session_uuid)
        with self.engine.connect().execution_options(**READ_ONLY) as conn:
            rows = conn.execute(query).all()
        return [TrainerAction(r.uuid, r.trainer, r.kind, r.session_uuid, r.trainee,
                              r.scenario_id, r.step, r.text, r.created_at) for r in rows]


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the name is unknown (its password is random, thrown away)."""
    return hash_password(os.urandom(12).hex())
