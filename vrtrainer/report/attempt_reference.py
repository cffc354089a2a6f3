"""What a stored attempt was scored against: its take and the reference kept with it.

A report is often made long after the attempt, on another machine: the take or the
reference may have moved or changed. The attempt stores both files' paths and SHA-256
(the session keeps each step's reference in its folder, see
:mod:`vrtrainer.session.references`); each is read only if it is still there and
unchanged, else refused with a :class:`ReferenceUnavailable` whose message says which,
and the report leaves out only the parts that need it. Nothing is rebuilt in its place:
a reference rebuilt today from a pack or the simulator may not be the one that scored.

The trade metrics over time also need the scenario's metric definitions: they come from
the installed pack when it is at the attempt's version, else the report shows the
metrics as stored with the attempt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vrtrainer.compare.template import Template, load_template
from vrtrainer.errors import VrtrainerError
from vrtrainer.files import sha256_file
from vrtrainer.scenario import Scenario, find_scenario, load_scenario
from vrtrainer.takes.take import Take, load_take

#: Scenario ids of the built-in gestures and trainers' own references carry these prefixes.
GESTURE_PREFIX = "gesture/"
REFERENCE_PREFIX = "reference/"


class ReferenceUnavailable(VrtrainerError):
    """The take or the expert reference of an attempt cannot be used for its report.

    ``key`` names the report text that explains it (see :mod:`vrtrainer.report.texts`):
    'no_take', 'take_missing', 'take_changed', 'reference_missing', 'reference_changed'
    or 'no_reference' (with ``detail``).
    """

    def __init__(self, key: str, path: str = "", detail: str = "") -> None:
        self.key, self.path, self.detail = key, path, detail
        super().__init__(f"{key.replace('_', ' ')}: {path or detail}".rstrip(": "))


@dataclass
class AttemptSources:
    """The attempt's take, the reference it was scored against and the ghost it showed."""

    take: Take
    template: Template
    ghost: Take
    mirror: bool
    title: dict[str, str] = field(default_factory=dict)
    #: The pack's scenario at the attempt's version (its trade metrics), when installed.
    scenario: Scenario | None = None
    step_id: str = ""
    pack_path: Path | None = None


def _checked(path_text: str | Path | None, sha256: str | None, missing: str, changed: str) -> Path:
    path = Path(str(path_text))
    if not path.is_file():
        raise ReferenceUnavailable(missing, str(path))
    if sha256 and sha256_file(path) != sha256:
        raise ReferenceUnavailable(changed, str(path))
    return path


def load_attempt_take(attempt: Any) -> Take:
    """The attempt's take, checked against the SHA-256 stored when it was scored."""
    if not attempt.take_path:
        raise ReferenceUnavailable("no_take")
    return load_take(_checked(attempt.take_path, attempt.take_sha256, "take_missing",
                              "take_changed"))


def load_attempt_reference(attempt: Any) -> tuple[Template, Take]:
    """The template the attempt was scored against and the expert ghost kept beside it.

    Both are checked against the SHA-256 stored with the attempt (the ghost's is in the
    template's info, which the template's own hash covers).
    """
    if not attempt.reference_path:
        raise ReferenceUnavailable(
            "no_reference", detail="the attempt was stored without its reference "
            "(before vrtrainer kept them, or the session could not write it)")
    path = _checked(attempt.reference_path, attempt.reference_sha256, "reference_missing",
                    "reference_changed")
    try:
        template = load_template(path)
    except VrtrainerError as exc:
        raise ReferenceUnavailable("no_reference", detail=str(exc)) from None
    name = str(template.info.get("ghost", ""))
    if not name:
        raise ReferenceUnavailable("no_reference", detail=f"{path} names no expert ghost")
    ghost_path = _checked(path.parent / Path(name).name, str(template.info.get(
        "ghost_sha256", "")), "reference_missing", "reference_changed")
    try:
        return template, load_take(ghost_path)
    except VrtrainerError as exc:
        raise ReferenceUnavailable("no_reference", detail=str(exc)) from None


def _scenario_of(attempt: Any) -> tuple[Scenario | None, Path | None]:
    """The installed pack of the attempt's scenario, if it is at the attempt's version."""
    scenario_id = str(attempt.scenario_id)
    if scenario_id.startswith((GESTURE_PREFIX, REFERENCE_PREFIX)):
        return None, None
    try:
        path = find_scenario(scenario_id)
        scenario = load_scenario(path)
    except (VrtrainerError, OSError):
        return None, None
    if scenario.version != attempt.scenario_version:
        return None, path  # its scene still draws; its metrics may not be the ones used
    return scenario, path


def attempt_sources(attempt: Any, take: Take | None = None) -> AttemptSources:
    """The attempt's take (``take`` defaults to :func:`load_attempt_take`), its stored
    reference and ghost, and its scenario when installed at the same version."""
    if take is None:
        take = load_attempt_take(attempt)
    template, ghost = load_attempt_reference(attempt)
    title = template.info.get("title")
    scenario, pack = _scenario_of(attempt)
    return AttemptSources(
        take=take, template=template, ghost=ghost,
        mirror=take.meta.handedness != template.handedness,
        title={str(k): str(v) for k, v in title.items()} if isinstance(title, dict) else {},
        scenario=scenario, step_id=str(template.info.get("step_id", "")), pack_path=pack)
