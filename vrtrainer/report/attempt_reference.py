"""What a stored attempt was scored against: its take on disk and the step's expert reference.

A report is often made long after the attempt, on another machine: the take may have
moved or changed, the scenario may be another version. Each of these is refused with a
:class:`ReferenceUnavailable` whose message says which, and the report then leaves out
only the parts that need it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vrtrainer.errors import VrtrainerError
from vrtrainer.session.plan import steps_for
from vrtrainer.takes.take import load_take

#: Scenario ids of the built-in gestures carry this prefix (see vrtrainer.session.plan).
GESTURE_PREFIX = "gesture/"


class ReferenceUnavailable(VrtrainerError):
    """The take or the expert reference of an attempt cannot be used for its report.

    ``key`` names the report text that explains it (see :mod:`vrtrainer.report.texts`):
    'no_take', 'take_missing', 'take_changed' or 'no_reference' (with ``detail``).
    """

    def __init__(self, key: str, path: str = "", detail: str = "") -> None:
        self.key, self.path, self.detail = key, path, detail
        super().__init__(f"{key.replace('_', ' ')}: {path or detail}".rstrip(": "))


@dataclass
class AttemptSources:
    """The attempt's take, and the step it was scored on (expert ghost, template, scenario)."""

    take: Any
    step: Any
    template: Any
    mirror: bool

    @property
    def ghost(self) -> Any:
        return self.step.expert

    @property
    def scenario(self) -> Any:
        """The scenario pack's model when the step came from one (for trade metrics)."""
        return getattr(self.step, "scenario", None)


def load_attempt_take(attempt) -> Any:
    """The attempt's take, checked against the SHA-256 stored when it was scored."""
    from vrtrainer.results.records import sha256_file

    if not attempt.take_path:
        raise ReferenceUnavailable("no_take")
    path = Path(attempt.take_path)
    if not path.is_file():
        raise ReferenceUnavailable("take_missing", str(path))
    if attempt.take_sha256 and sha256_file(path) != attempt.take_sha256:
        raise ReferenceUnavailable("take_changed", str(path))
    return load_take(path)


def _template_of(coach: Any) -> tuple[Any, bool]:
    # a pack step's TradeCoach wraps the ComparatorCoach that holds the template
    comparator = getattr(coach, "comparator", coach)
    template = getattr(comparator, "template", None)
    if template is None:
        raise ReferenceUnavailable("no_reference", detail="the step has no comparator template")
    return template, bool(getattr(comparator, "mirror", False))


def attempt_sources(attempt, take=None, language: str = "fr") -> AttemptSources:
    """Rebuild the step the attempt was scored on, for the take's handedness.

    ``take`` defaults to :func:`load_attempt_take`. Refuses a scenario whose installed
    version is not the one the attempt was scored against.
    """

    if take is None:
        take = load_attempt_take(attempt)
    scenario = attempt.scenario_id
    target = scenario.removeprefix(GESTURE_PREFIX)
    try:
        steps = steps_for(target, take.meta.handedness, language)
    except (VrtrainerError, ImportError) as exc:
        raise ReferenceUnavailable("no_reference", detail=str(exc)) from None
    try:
        number = int(attempt.step)
    except ValueError:
        raise ReferenceUnavailable(
            "no_reference", detail=f"step {attempt.step!r} is not a step number") from None
    if not 1 <= number <= len(steps):
        raise ReferenceUnavailable(
            "no_reference", detail=f"{scenario} has no step {number} (it has {len(steps)})")
    step = steps[number - 1]
    version = step.scenario_version or "0"
    if version != attempt.scenario_version:
        raise ReferenceUnavailable(
            "no_reference", detail=f"{scenario} is version {version} here; the attempt "
            f"was scored against version {attempt.scenario_version}")
    template, mirror = _template_of(step.coach)
    return AttemptSources(take=take, step=step, template=template, mirror=mirror)
