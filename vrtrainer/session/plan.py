"""Turn what the user names (a built-in gesture or a scenario pack) into training steps."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from vrtrainer.compare.features import take_features
from vrtrainer.compare.score import calibrate_rejection
from vrtrainer.compare.template import build_template
from vrtrainer.errors import VrtrainerError
from vrtrainer.hands import sim
from vrtrainer.hands.negatives import negative_takes
from vrtrainer.session.coach import ComparatorCoach
from vrtrainer.session.scenario_steps import scenario_steps
from vrtrainer.session.training import TrainingStep
from vrtrainer.takes.take import Take

#: Seeds of the simulated experts behind a built-in gesture's reference.
EXPERT_SEEDS = (101, 102, 103, 104)


@lru_cache(maxsize=16)
def gesture_reference(name: str) -> tuple[Any, tuple[Take, ...]]:
    """Template and expert takes for a built-in gesture (simulated experts)."""

    experts = tuple(sim.simulate(name, role="expert", seed=s) for s in EXPERT_SEEDS)
    template = build_template(list(experts), name=name)
    positives = [take_features(t, template.config, template.hands) for t in experts]
    negatives = [take_features(t, template.config, template.hands)
                 for t in negative_takes(template.handedness, exclude=(name,))]
    calibrate_rejection(template, positives, negatives)
    return template, experts


def gesture_steps(name: str, handedness: str = "right", language: str = "fr"
                  ) -> list[TrainingStep]:
    """One step practising the built-in gesture ``name`` against simulated experts."""

    if name not in sim.GESTURES:
        raise VrtrainerError(
            f"unknown gesture or scenario {name!r}; gestures: {', '.join(sim.GESTURES)}"
        )
    gesture = sim.GESTURES[name]
    template, experts = gesture_reference(name)
    mirror = handedness != template.handedness
    ghost = experts[0]
    if mirror:
        ghost = sim.simulate(name, role="expert", seed=EXPERT_SEEDS[0], hand=handedness)
    title_fr, instruction_fr = GESTURES_FR.get(name, (name, gesture.description))
    return [TrainingStep(
        title={"fr": title_fr, "en": name},
        instruction={"fr": instruction_fr, "en": gesture.description},
        expert=ghost,
        coach=ComparatorCoach(template, mirror=mirror, language=language),
        scenario_id=f"gesture/{name}",
        scenario_version="builtin",
        time_limit=max(20.0, 4 * ghost.duration),
    )]


#: The built-in gestures' names and instructions in French (the simulator's are English).
GESTURES_FR: dict[str, tuple[str, str]] = {
    "pinch": ("pince", "Saisissez un petit objet entre le bout du pouce et celui de l'index."),
    "grab": ("saisie", "Saisissez un objet de la taille d'une bouteille, soulevez-le, "
                       "reposez-le, lâchez-le."),
    "point": ("pointer", "Montrez une cible devant vous avec l'index, puis revenez."),
    "wave": ("salut", "Levez la main ouverte et agitez-la de gauche à droite."),
    "clap": ("applaudir", "Frappez trois fois dans vos mains."),
    "screw": ("vissage", "Vissez une vis avec un tournevis à cliquet : trois tours."),
}


def steps_for(target: str, handedness: str = "right", language: str = "fr"
              ) -> list[TrainingStep]:
    """Steps for a gesture name, a scenario id, or a scenario pack path."""

    if target in sim.GESTURES and not Path(target).exists():
        return gesture_steps(target, handedness, language)

    return scenario_steps(target, handedness, language)
