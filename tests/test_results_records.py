"""Attempt records: what the store accepts from the comparator, and what it refuses."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest
from attempt_factory import T0, make_record
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vrtrainer.errors import VrtrainerError
from vrtrainer.results import AttemptRecord, Criterion, InvalidRecordError


def test_from_breakdown_keeps_everything():
    record = make_record(5)
    assert record.score == 35.0 + 85 % 60
    assert [c.name for c in record.criteria] == ["timing", "finger shape", "wrist path"]
    assert record.criteria[2].severity == "warning"
    assert record.breakdown["per_joint_error_m"][3] == pytest.approx(0.03)
    assert record.duration_s == pytest.approx(15.0)
    assert record.started_at.tzinfo is not None


def test_the_score_has_one_key_and_step_numbers_become_text():
    fields = dict(trainee="t", scenario_id="s", scenario_version="1", step=2,
                  started_at=T0, ended_at=T0)
    record = AttemptRecord.from_breakdown({"score": 50, "passed": False, "criteria": []},
                                          **fields)
    assert record.score == 50.0 and record.step == "2" and record.criteria == ()
    with pytest.raises(InvalidRecordError, match="no score"):
        AttemptRecord.from_breakdown({"total": 50, "passed": False}, **fields)


def test_a_sessions_score_goes_to_the_record_typed():
    from vrtrainer.session.training import AttemptScore

    score = AttemptScore(score=71.234, passed=True, rejected=False,
                         breakdown={"shape": 80.0, "score": 1.0}, messages=[])
    criteria = [{"name": "shape", "score": 80.0, "weight": 0.5, "passed": True}]
    record = AttemptRecord.from_score(score, criteria, trainee="t", scenario_id="s",
                                      scenario_version="1", step="1", started_at=T0,
                                      ended_at=T0)
    assert record.score == 71.23 and record.passed is True
    assert record.breakdown["score"] == 71.23 and record.breakdown["rejected"] is False
    assert record.breakdown["shape"] == 80.0 and [c.name for c in record.criteria] == ["shape"]
    assert score.breakdown["score"] == 1.0  # the session's own breakdown is left as it was


def test_default_severity_follows_passed():
    assert Criterion("a", 90).severity == "success"
    assert Criterion("a", 10, passed=False).severity == "error"
    assert Criterion("a", 10, passed=False, severity="info").severity == "info"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"score": 101}, "outside 0..100"),
        ({"score": math.nan}, "outside 0..100"),
        ({"score": "80"}, "must be a number"),
        ({"passed": 1}, "passed must be true or false"),
        ({"trainee": " "}, "trainee id is empty"),
        ({"trainee": "x" * 201}, "longer than 200"),
        ({"scenario_id": "a\x00b"}, "NUL"),
        ({"started_at": datetime(2026, 1, 1)}, "no time zone"),
        ({"ended_at": T0 - timedelta(seconds=1)}, "ends .* before it starts"),
        ({"attempt_uuid": "42"}, "not a UUID"),
        ({"session_uuid": "x"}, "not a UUID"),
        ({"take_sha256": "ABC"}, "64 lower-case hex"),
        ({"duration_s": -1.0}, "finite number >= 0"),
        ({"breakdown": {"x": math.inf}}, "not plain JSON"),
        ({"breakdown": {"x": object()}}, "not plain JSON"),
        ({"breakdown": [1]}, "must be a JSON object"),
        ({"criteria": ({"name": "a", "score": 1}, {"name": "a", "score": 2})}, "share a name"),
        (
            {
                "criteria": ({"name": "a"},),
            },
            "needs at least a name and a score",
        ),
        ({"criteria": ({"name": "a", "score": 5, "weight": -1},)}, "weight"),
        ({"criteria": ({"name": "a", "score": 5, "severity": "fatal"},)}, "severity"),
        ({"criteria": ("timing",)}, "must be an object"),
    ],
)
def test_bad_records_are_refused(change, problem):
    fields = dict(
        trainee="t",
        scenario_id="pinch",
        scenario_version="1",
        step="1",
        score=50.0,
        passed=False,
        started_at=T0,
        ended_at=T0 + timedelta(seconds=5),
    )
    fields.update(change)
    with pytest.raises(InvalidRecordError, match=problem):
        AttemptRecord(**fields)


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    breakdown=st.dictionaries(
        st.sampled_from(["score", "total", "passed", "criteria", "x"]), json_values, max_size=5
    )
)
def test_any_breakdown_is_accepted_or_refused_clearly(breakdown):
    try:
        AttemptRecord.from_breakdown(
            breakdown,
            trainee="t",
            scenario_id="s",
            scenario_version="1",
            step="1",
            started_at=T0,
            ended_at=T0,
        )
    except VrtrainerError:
        pass
