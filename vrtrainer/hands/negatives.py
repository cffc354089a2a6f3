"""Synthetic negatives: simulated takes of the other built-in gestures.

A reference's rejection threshold is calibrated between its experts and takes
of gestures that are not it (:func:`vrtrainer.compare.calibrate_rejection`);
these are such takes, made by the simulator, featurised by the caller.
"""

from __future__ import annotations

from vrtrainer.hands.sim import GESTURES, simulate
from vrtrainer.takes.take import Take


def negative_takes(hand: str = "right", exclude: tuple[str, ...] = (),
                   seeds: tuple[int, ...] = (0, 1)) -> list[Take]:
    """Takes of every built-in gesture but ``exclude``, performed with ``hand``."""
    return [simulate(name, hand=hand, seed=1000 + seed)
            for name in GESTURES if name not in exclude for seed in seeds]
