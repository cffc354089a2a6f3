"""The xAPI statement of a trainer's action on a live session (cue, message, retry, end).

The actor is the trainer (an account on ``<base>/trainers``); the object is the step the
trainee is on; the trainee is named in the context as the ``team``'s member the trainer
acts for, and the action's kind and text go in the result. Cues and messages use the ADL
verb ``commented``; requests to retry or end a step use ``interacted``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import vrtrainer
from vrtrainer.results.statements import (
    ACTIVITY_EXERCISE,
    ADL_VERBS,
    EXT_SESSIONID,
    activity_base,
    scenario_iri,
)

VERBS = {
    "commented": {"en-US": "commented", "fr-FR": "a commenté"},
    "interacted": {"en-US": "interacted", "fr-FR": "a interagi"},
}
#: Which verb each kind of trainer action is told with.
KIND_VERB = {"cue": "commented", "message": "commented", "retry": "interacted",
             "end_step": "interacted"}


def trainer_action_statement(
    *,
    statement_id: str,
    trainer: str,
    kind: str,
    text: str,
    trainee: str,
    scenario_id: str,
    step: str,
    session_uuid: str,
    when: datetime,
    locale: str = "en-US",
    base: str | None = None,
) -> dict[str, Any]:
    """One statement telling an LRS that ``trainer`` did ``kind`` to a trainee's session."""
    base = activity_base(base)
    verb = KIND_VERB.get(kind, "interacted")
    scenario = scenario_iri(scenario_id or "unknown", "live", base)
    step_iri = f"{scenario}/steps/{step or '0'}"
    return {
        "id": statement_id,
        "actor": {"objectType": "Agent",
                  "account": {"homePage": f"{base}/trainers", "name": trainer}},
        "verb": {"id": ADL_VERBS + verb, "display": VERBS[verb]},
        "object": {"objectType": "Activity", "id": step_iri,
                   "definition": {"type": ACTIVITY_EXERCISE,
                                  "name": {locale: f"{scenario_id}: {step}"}}},
        "result": {"response": text[:2000],
                   "extensions": {f"{base}/extensions/trainer-action": kind}},
        "context": {
            "instructor": {"objectType": "Agent",
                           "account": {"homePage": f"{base}/trainers", "name": trainer}},
            "team": {"objectType": "Group",
                     "member": [{"objectType": "Agent",
                                 "account": {"homePage": f"{base}/trainees",
                                             "name": trainee}}]},
            "platform": f"vrtrainer {vrtrainer.__version__}",
            "language": locale,
            "extensions": {EXT_SESSIONID: session_uuid},
        },
        "timestamp": when.isoformat(timespec="milliseconds"),
    }
