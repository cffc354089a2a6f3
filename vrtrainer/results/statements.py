"""The xAPI statement stream of one attempt, shaped after the Prometheus-X VR learning traces.

Per attempt: ``initialized`` (the scenario), ``attempted`` (the step), one ``interacted``
per scored criterion carrying its feedback severity, ``completed`` (with the per-criterion
"sensor" scores) and ``passed`` or ``failed`` (score scaled and raw, success, ISO 8601
duration). The identifiers below are those of the Prometheus-X learning-traces building
block (github.com/Prometheus-X-association/learning-traces, docs/design-document.md):
ADL verbs, the ``https://w3id.org/xapi/simulation/v1.0`` category, the
``http://id.tincanapi.com/extension/severity`` result extension and a
``<activity>/sensors/score`` result extension mapping criterion to score. Activity ids are
derived from the scenario id and version under a base IRI (``$VRTRAINER_XAPI_BASE``).

Under a cmi5 launch the actor, registration and activity id come from the LMS; the
cmi5-defined statements (initialized, completed, passed, failed) carry the cmi5 category
and omit what cmi5 forbids there (score and success on completed).
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import vrtrainer
from vrtrainer.results.records import SCORE_MAX, AttemptRecord

if TYPE_CHECKING:
    from vrtrainer.results.cmi5 import Cmi5Launch

ENV_BASE = "VRTRAINER_XAPI_BASE"
# ".invalid" never resolves (RFC 2606): an organisation sets its own base IRI.
DEFAULT_BASE = "https://vrtrainer.invalid/xapi"

ADL_VERBS = "http://adlnet.gov/expapi/verbs/"
VERB_DISPLAY = {
    "initialized": {"en-US": "initialized", "fr-FR": "a initialisé"},
    "attempted": {"en-US": "attempted", "fr-FR": "a tenté"},
    "interacted": {"en-US": "interacted", "fr-FR": "a interagi"},
    "completed": {"en-US": "completed", "fr-FR": "a terminé"},
    "passed": {"en-US": "passed", "fr-FR": "a réussi"},
    "failed": {"en-US": "failed", "fr-FR": "a échoué"},
}
ACTIVITY_SIMULATION = "http://adlnet.gov/expapi/activities/simulation"
ACTIVITY_EXERCISE = "http://adlnet.gov/expapi/activities/exercise"
ACTIVITY_INTERACTION = "http://adlnet.gov/expapi/activities/interaction"
CATEGORY_SIMULATION = "https://w3id.org/xapi/simulation/v1.0"
CATEGORY_TYPE = "http://id.tincanapi.com/activitytype/category"
CATEGORY_CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
EXT_SEVERITY = "http://id.tincanapi.com/extension/severity"
EXT_SESSIONID = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
CMI5_DEFINED = ("initialized", "completed", "passed", "failed")


def activity_base(base: str | None = None) -> str:
    """The base IRI of vrtrainer's activity ids (argument, else env, else the default)."""
    return (base or os.environ.get(ENV_BASE) or DEFAULT_BASE).rstrip("/")


def _segment(value: str) -> str:
    return quote(value, safe="")


def scenario_iri(scenario_id: str, version: str, base: str | None = None) -> str:
    """Activity id of one version of a scenario: ``<base>/scenarios/<id>/<version>``."""
    return f"{activity_base(base)}/scenarios/{_segment(scenario_id)}/{_segment(version)}"


def iso_duration(seconds: float) -> str:
    """ISO 8601 duration as xAPI wants it, to the centisecond: ``PT1M2.35S``."""
    centis = round(seconds * 100)
    hours, rest = divmod(centis, 360000)
    minutes, rest = divmod(rest, 6000)
    text = "PT"
    if hours:
        text += f"{hours}H"
    if minutes:
        text += f"{minutes}M"
    if rest or text == "PT":
        whole, frac = divmod(rest, 100)
        text += f"{whole}.{frac:02d}".rstrip("0") + "S" if frac else f"{whole}S"
    return text


def _timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def _activity(iri: str, kind: str, name: str, locale: str) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": iri,
        "definition": {"type": kind, "name": {locale: name}},
    }


def attempt_statements(
    record: AttemptRecord,
    *,
    launch: Cmi5Launch | None = None,
    base: str | None = None,
    homepage: str | None = None,
) -> list[dict[str, Any]]:
    """The statements telling an LRS about ``record``, each with a new fixed UUID ``id``.

    Call once per attempt and store the result: the ids are what makes a resend harmless.
    The actor is the trainee's pseudonym as an account on ``homepage`` (default
    ``<base>/trainees``); a cmi5 launch replaces it with the LMS's actor.
    """
    base = activity_base(base)
    locale = record.locale
    if launch is not None:
        actor = dict(launch.actor)
        scenario = launch.activity_id
        registration = launch.registration
    else:
        actor = {
            "objectType": "Agent",
            "account": {"homePage": homepage or f"{base}/trainees", "name": record.trainee},
        }
        scenario = scenario_iri(record.scenario_id, record.scenario_version, base)
        registration = record.attempt_uuid
    step = f"{scenario}/steps/{_segment(record.step)}"
    scenario_activity = _activity(
        scenario,
        ACTIVITY_SIMULATION,
        f"{record.scenario_id} {record.scenario_version}",
        locale,
    )
    step_activity = _activity(
        step,
        ACTIVITY_EXERCISE,
        f"{record.scenario_id} {record.scenario_version}: {record.step}",
        locale,
    )
    context_extensions: dict[str, Any] = {
        EXT_SESSIONID: record.session_uuid or record.attempt_uuid,
        f"{base}/extensions/attempt": record.attempt_uuid,
    }
    for key in ("device", "runtime", "take_sha256"):
        value = getattr(record, key)
        if value is not None:
            context_extensions[f"{base}/extensions/{key.replace('_', '-')}"] = value

    def context(verb: str, parent: dict[str, Any] | None) -> dict[str, Any]:
        categories = [
            {
                "objectType": "Activity",
                "id": CATEGORY_SIMULATION,
                "definition": {"type": CATEGORY_TYPE, "name": {"en-US": "VR Exercises"}},
            }
        ]
        if launch is not None and verb in CMI5_DEFINED:
            categories.append({"objectType": "Activity", "id": CATEGORY_CMI5})
        activities: dict[str, Any] = {"category": categories}
        if parent is not None:
            activities["parent"] = [parent]
        return {
            "registration": registration,
            "contextActivities": activities,
            "platform": f"vrtrainer {vrtrainer.__version__}",
            "language": locale,
            "extensions": dict(context_extensions),
        }

    def statement(verb: str, obj: dict[str, Any], when: datetime, parent=None, result=None):
        made: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "actor": actor,
            "verb": {"id": ADL_VERBS + verb, "display": VERB_DISPLAY[verb]},
            "object": obj,
            "context": context(verb, parent),
            "timestamp": _timestamp(when),
        }
        if result is not None:
            made["result"] = result
        return made

    scaled = round(record.score / SCORE_MAX, 6)
    score = {"scaled": scaled, "raw": record.score, "min": 0.0, "max": SCORE_MAX}
    duration = iso_duration(record.seconds)
    sensors = {c.name: round(c.score / SCORE_MAX, 6) for c in record.criteria}
    result_extensions = {
        f"{step}/sensors/score": sensors,
        f"{base}/extensions/criteria": [c.to_dict() for c in record.criteria],
    }
    parent_ref = {"objectType": "Activity", "id": scenario}
    step_ref = {"objectType": "Activity", "id": step}

    stream = [
        statement("initialized", scenario_activity, record.started_at),
        statement("attempted", step_activity, record.started_at, parent_ref),
    ]
    for criterion in record.criteria:
        event = _activity(
            f"{step}/criteria/{_segment(criterion.name)}",
            ACTIVITY_INTERACTION,
            criterion.name,
            locale,
        )
        if criterion.message:
            event["definition"]["description"] = {locale: criterion.message}
        stream.append(
            statement(
                "interacted",
                event,
                record.ended_at,
                step_ref,
                {
                    "success": criterion.passed,
                    "score": {
                        "scaled": round(criterion.score / SCORE_MAX, 6),
                        "raw": criterion.score,
                        "min": 0.0,
                        "max": SCORE_MAX,
                    },
                    "extensions": {EXT_SEVERITY: criterion.severity},
                },
            )
        )
    completed: dict[str, Any] = {
        "completion": True,
        "duration": duration,
        "extensions": result_extensions,
    }
    if launch is None:
        completed.update(score=score, success=record.passed)
    # Under cmi5 the completed/passed/failed object is the launched activity itself.
    final_object = scenario_activity if launch is not None else step_activity
    final_parent = None if launch is not None else parent_ref
    stream.append(statement("completed", final_object, record.ended_at, final_parent, completed))
    stream.append(
        statement(
            "passed" if record.passed else "failed",
            final_object,
            record.ended_at,
            final_parent,
            {
                "score": score,
                "success": record.passed,
                "duration": duration,
                "extensions": result_extensions,
            },
        )
    )
    return stream
