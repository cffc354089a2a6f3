"""Scenario packs: an open, versioned format for training content, loaded safely.

A pack is a folder (or a .zip of one) with ``scenario.toml`` at its root, its
meshes (glTF/GLB) and its expert reference takes. See docs/scenarios.md for
the format and the caps; the JSON Schema is vrtrainer/schemas/scenario.schema.json.

Typical use::

    with open_pack("scenarios/welding-fillet") as pack:
        scenario = pack.scenario
        for step in scenario.steps:
            experts = pack.reference_takes(step)
"""

from vrtrainer.scenario.loader import (
    SCHEMA_VERSIONS,
    Pack,
    Problem,
    ScenarioError,
    find_packs,
    find_scenario,
    load_scenario,
    open_pack,
    scenario_dirs,
    scenario_schema,
    validate_pack,
)
from vrtrainer.scenario.model import (
    MetricSpec,
    MotionSpec,
    Scenario,
    SceneObject,
    Step,
    Text,
    ToolSpec,
    Transform,
    WorkFrame,
)

__all__ = [
    "SCHEMA_VERSIONS", "MetricSpec", "MotionSpec", "Pack", "Problem", "Scenario", "ScenarioError",
    "SceneObject", "Step", "Text", "ToolSpec", "Transform", "WorkFrame", "find_packs",
    "find_scenario", "load_scenario", "open_pack", "scenario_dirs", "scenario_schema",
    "validate_pack",
]
