"""What one scored attempt is, as the results store and the xAPI stream receive it.

The comparator's breakdown arrives as plain JSON-able data; these dataclasses check it
once, at the door, so that nothing malformed reaches the database or a learning platform.
Scores are points out of ``SCORE_MAX`` (100), for the attempt and for each criterion.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from vrtrainer.errors import VrtrainerError
from vrtrainer.files import sha256_file  # noqa: F401  (re-exported: callers' old name)

if TYPE_CHECKING:
    from vrtrainer.session.training import AttemptScore

SCORE_MAX = 100.0
SEVERITIES = ("success", "info", "warning", "error")
# Column widths of the schema; a longer value is refused rather than truncated.
MAX_ID = 200
MAX_TEXT = 2000
MAX_PATH = 4096
MAX_CRITERIA = 500
MAX_BREAKDOWN_BYTES = 4 * 1024 * 1024
#: Longest attempt accepted (seconds): a year, far beyond any real one.
MAX_DURATION_S = 366 * 24 * 3600.0
_SHA256 = re.compile(r"[0-9a-f]{64}")


class InvalidRecordError(VrtrainerError):
    """An attempt or criterion was refused before it reached the store."""


def _text(value: Any, what: str, limit: int, *, empty: bool = False) -> str:
    if not isinstance(value, str):
        raise InvalidRecordError(f"{what} must be text, not {type(value).__name__}")
    if not value.strip() and not empty:
        raise InvalidRecordError(f"{what} is empty")
    if len(value) > limit:
        raise InvalidRecordError(f"{what} is longer than {limit} characters")
    if "\x00" in value:
        raise InvalidRecordError(f"{what} contains a NUL character")
    return value


def _score(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRecordError(f"{what} must be a number, not {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value) or not 0.0 <= value <= SCORE_MAX:
        raise InvalidRecordError(f"{what} {value!r} is outside 0..{SCORE_MAX:g}")
    return value


def _utc(value: Any, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidRecordError(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidRecordError(f"{what} has no time zone; give an aware datetime")
    return value.astimezone(UTC)


def canonical_uuid(value: Any, what: str) -> str:
    """Return ``value`` as a lower-case hyphenated UUID string, or refuse it."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise InvalidRecordError(f"{what} {str(value)[:60]!r} is not a UUID") from None


@dataclass(frozen=True)
class Criterion:
    """One line of a score breakdown: how the trainee did on one thing the expert does.

    ``severity`` follows the learning-traces profile (success, info, warning, error); when
    not given it is ``success`` for a passed criterion and ``error`` for a failed one.
    """

    name: str
    score: float
    weight: float = 1.0
    passed: bool = True
    message: str = ""
    severity: str | None = None

    def __post_init__(self) -> None:
        _text(self.name, "criterion name", MAX_ID)
        object.__setattr__(self, "score", _score(self.score, f"criterion {self.name!r} score"))
        weight = self.weight
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise InvalidRecordError(f"criterion {self.name!r} weight must be a number")
        if not math.isfinite(weight) or weight < 0:
            raise InvalidRecordError(f"criterion {self.name!r} weight {weight!r} is not >= 0")
        object.__setattr__(self, "weight", float(weight))
        if not isinstance(self.passed, bool):
            raise InvalidRecordError(f"criterion {self.name!r} passed must be true or false")
        _text(self.message, f"criterion {self.name!r} message", MAX_TEXT, empty=True)
        if self.severity is None:
            object.__setattr__(self, "severity", "success" if self.passed else "error")
        elif self.severity not in SEVERITIES:
            raise InvalidRecordError(
                f"criterion {self.name!r} severity {self.severity!r} is not one of "
                + ", ".join(SEVERITIES)
            )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Criterion:
        """Build from the comparator's JSON form (keys as the field names)."""
        if not isinstance(data, Mapping):
            raise InvalidRecordError(f"a criterion must be an object, not {type(data).__name__}")
        unknown = set(data) - {"name", "score", "weight", "passed", "message", "severity"}
        known = {k: v for k, v in data.items() if k not in unknown}
        if "name" not in known or "score" not in known:
            raise InvalidRecordError("a criterion needs at least a name and a score")
        return cls(**known)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "score": self.score,
            "weight": self.weight,
            "passed": self.passed,
            "message": self.message,
            "severity": self.severity,
        }


def _new_uuid() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class AttemptRecord:
    """One trainee's scored try at one scenario step, ready to be stored once.

    ``attempt_uuid`` is made by the caller when the attempt starts: storing the same
    record twice (a retry after a crash or a lost reply) returns the first row.
    ``breakdown`` keeps the comparator's full output for reports; ``criteria`` is its
    per-criterion summary, stored as rows so that reports and queries can use it.
    """

    trainee: str
    scenario_id: str
    scenario_version: str
    step: str
    score: float
    passed: bool
    started_at: datetime
    ended_at: datetime
    criteria: tuple[Criterion, ...] = ()
    breakdown: Mapping[str, Any] = field(default_factory=dict)
    attempt_uuid: str = field(default_factory=_new_uuid)
    session_uuid: str | None = None
    trainee_name: str | None = None
    take_path: str | None = None
    take_sha256: str | None = None
    device: str | None = None
    reference_path: str | None = None
    reference_sha256: str | None = None
    runtime: str | None = None
    duration_s: float | None = None
    locale: str = "en-US"

    def __post_init__(self) -> None:
        _text(self.trainee, "trainee id", MAX_ID)
        _text(self.scenario_id, "scenario id", MAX_ID)
        _text(self.scenario_version, "scenario version", MAX_ID)
        if isinstance(self.step, int) and not isinstance(self.step, bool):
            object.__setattr__(self, "step", str(self.step))
        _text(self.step, "step", MAX_ID)
        object.__setattr__(self, "score", _score(self.score, "attempt score"))
        if not isinstance(self.passed, bool):
            raise InvalidRecordError("attempt passed must be true or false")
        started = _utc(self.started_at, "started_at")
        ended = _utc(self.ended_at, "ended_at")
        if ended < started:
            raise InvalidRecordError(f"attempt ends ({ended}) before it starts ({started})")
        object.__setattr__(self, "started_at", started)
        object.__setattr__(self, "ended_at", ended)
        criteria = tuple(
            c if isinstance(c, Criterion) else Criterion.from_dict(c) for c in self.criteria
        )
        if len(criteria) > MAX_CRITERIA:
            raise InvalidRecordError(f"more than {MAX_CRITERIA} criteria in one attempt")
        names = [c.name for c in criteria]
        if len(set(names)) != len(names):
            raise InvalidRecordError("two criteria share a name")
        object.__setattr__(self, "criteria", criteria)
        if not isinstance(self.breakdown, Mapping):
            raise InvalidRecordError("breakdown must be a JSON object")
        try:
            text = json.dumps(self.breakdown, allow_nan=False, sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise InvalidRecordError(f"breakdown is not plain JSON: {exc}") from None
        except RecursionError:
            raise InvalidRecordError("breakdown is nested too deeply to store") from None
        if len(text) > MAX_BREAKDOWN_BYTES:
            raise InvalidRecordError(f"breakdown is larger than {MAX_BREAKDOWN_BYTES} bytes")
        object.__setattr__(self, "breakdown", json.loads(text))
        object.__setattr__(self, "attempt_uuid", canonical_uuid(self.attempt_uuid, "attempt id"))
        if self.session_uuid is not None:
            object.__setattr__(
                self, "session_uuid", canonical_uuid(self.session_uuid, "session id")
            )
        for name, limit in (
            ("trainee_name", MAX_ID),
            ("device", MAX_ID),
            ("runtime", MAX_ID),
            ("take_path", MAX_PATH),
            ("reference_path", MAX_PATH),
        ):
            value = getattr(self, name)
            if value is not None:
                _text(value, name.replace("_", " "), limit)
        for name in ("take_sha256", "reference_sha256"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not _SHA256.fullmatch(value)):
                raise InvalidRecordError(f"{name} must be 64 lower-case hex digits")
        duration = self.duration_s
        if duration is None:
            duration = (ended - started).total_seconds()
        elif isinstance(duration, bool) or not isinstance(duration, int | float):
            raise InvalidRecordError("duration_s must be a number of seconds")
        if not math.isfinite(duration) or duration < 0:
            raise InvalidRecordError(f"duration_s {duration!r} is not a finite number >= 0")
        if duration > MAX_DURATION_S:
            raise InvalidRecordError(f"duration_s {duration!r} is over a year: a clock error?")
        object.__setattr__(self, "duration_s", float(duration))
        _text(self.locale, "locale", 35)

    @property
    def seconds(self) -> float:
        """How long the attempt lasted: ``duration_s`` as checked, or from its times."""
        if self.duration_s is None:  # never after __post_init__
            return (self.ended_at - self.started_at).total_seconds()
        return self.duration_s

    @classmethod
    def from_score(cls, score: AttemptScore, criteria: Sequence[Mapping[str, Any]],
                   **fields: Any) -> AttemptRecord:
        """Build from a session's scored attempt and its per-criterion rows.

        Its breakdown is kept as the attempt's JSON, with the score (to 0.01), passed,
        rejected and the criteria set on it; the other fields (trainee, scenario, step,
        times, take...) are given as keywords.
        """
        breakdown = dict(score.breakdown, score=round(score.score, 2), passed=score.passed,
                         rejected=score.rejected, criteria=list(criteria))
        return cls.from_breakdown(breakdown, **fields)

    @classmethod
    def from_breakdown(cls, breakdown: Mapping[str, Any], **fields: Any) -> AttemptRecord:
        """Build from a breakdown as stored: ``score`` (0-100), ``passed``, ``criteria``.

        The whole ``breakdown`` is kept as the attempt's JSON; the other fields (trainee,
        scenario, step, times, take...) are given as keywords.
        """
        if not isinstance(breakdown, Mapping):
            raise InvalidRecordError("breakdown must be a JSON object")
        score = breakdown.get("score")
        if score is None:
            raise InvalidRecordError("breakdown has no score")
        if "passed" not in breakdown:
            raise InvalidRecordError("breakdown has no passed")
        criteria = breakdown.get("criteria", ())
        if not isinstance(criteria, Sequence) or isinstance(criteria, str | bytes):
            raise InvalidRecordError("breakdown criteria must be a list")
        return cls(
            score=score,
            passed=breakdown["passed"],
            criteria=tuple(Criterion.from_dict(c) for c in criteria),
            breakdown=breakdown,
            **fields,
        )
