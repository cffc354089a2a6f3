"""Short fuzzing of every loader of outside data (a few seconds each; `make fuzz` runs
100,000+ inputs per loader). Only a load or the project's own error is acceptable: no
other exception, no input over 1 s, no memory past the cap, no file touched outside."""

from __future__ import annotations

import os

import pytest
from engine import HARNESSES, mutation_loop

SECONDS = float(os.environ.get("VRTRAINER_FUZZ_SECONDS", "3"))


@pytest.mark.parametrize("name", HARNESSES)
def test_loader_survives_mutated_inputs(name: str) -> None:
    report = mutation_loop(name, seconds=SECONDS, seed=0)
    assert report.inputs > 0
    assert report.findings == [], report.findings
