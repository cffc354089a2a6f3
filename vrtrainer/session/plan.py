"""Turn what the user names (a built-in gesture or a scenario pack) into training steps."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from vrtrainer.compare.reference import build_reference
from vrtrainer.compare.template import load_template
from vrtrainer.errors import VrtrainerError
from vrtrainer.hands import sim
from vrtrainer.hands.negatives import negative_takes
from vrtrainer.session.coach import ComparatorCoach
from vrtrainer.session.scenario_steps import scenario_steps
from vrtrainer.session.training import TrainingStep
from vrtrainer.takes.take import Take, load_take

#: Seeds of the simulated experts behind a built-in gesture's reference.
EXPERT_SEEDS = (101, 102, 103, 104)


@lru_cache(maxsize=16)
def gesture_reference(name: str) -> tuple[Any, tuple[Take, ...]]:
    """Template and expert takes for a built-in gesture (simulated experts)."""

    experts = tuple(sim.simulate(name, role="expert", seed=s) for s in EXPERT_SEEDS)
    # the other built-in gestures are this reference's library of other gestures
    template = build_reference(list(experts), name=name,
                               simulated=negative_takes("right", exclude=(name,)))
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
        reference=template,
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


@dataclass
class ReferenceStep(TrainingStep):
    """A step made of a trainer's own reference: its expert takes show the ghost."""

    gesture: str = ""

    def simulate_trainee(self, flaws=(), seed: int = 0, hand: str = "right",
                         fault: str | None = None) -> Take:
        """A simulated trainee, when the reference is of a built-in gesture."""
        if fault:
            raise VrtrainerError("--fault names a scenario's typical fault; for a reference "
                                 "use --flaw")
        if self.gesture not in sim.GESTURES:
            raise VrtrainerError(
                f"no simulated trainee for {self.gesture!r} (not a built-in gesture): train "
                "with --backend replay --take FILE, or in a headset (--backend openxr)")
        return sim.simulate(self.gesture, role="trainee", flaws=list(flaws), seed=seed,
                            hand=hand)


def reference_steps(path: Path, handedness: str = "right", language: str = "fr"
                    ) -> list[TrainingStep]:
    """One step against a trainer's own reference (``vrtrainer train my.vrref``).

    The ghost is the first of the reference's expert takes still found (where they were
    when it was built, or beside the reference).
    """
    if not path.is_file():
        raise VrtrainerError(f"{path}: no such reference file")
    template = load_template(path)
    ghost = None
    for expert in template.experts:
        name = Path(str(expert.get("name", "")))
        for candidate in (name, path.parent / name.name):
            if candidate.suffix == ".vrtake" and candidate.is_file():
                ghost = load_take(candidate)
                break
        if ghost is not None:
            break
    if ghost is None:
        raise VrtrainerError(f"{path}: none of its expert takes is found (the ghost shows "
                             "one); put them beside the reference")
    mirror = handedness != template.handedness
    title_fr, instruction_fr = GESTURES_FR.get(template.name, (template.name, ""))
    builtin = sim.GESTURES.get(template.name)
    return [ReferenceStep(
        title={"fr": title_fr, "en": template.name},
        instruction={"fr": instruction_fr or "Faites le geste comme l'expert.",
                     "en": builtin.description if builtin else "Do the gesture as the expert "
                                                               "does."},
        expert=ghost,
        coach=ComparatorCoach(template, mirror=mirror, language=language),
        scenario_id=f"reference/{template.name}",
        scenario_version=str(template.info.get("created", "")) or "0",
        time_limit=max(20.0, 4 * ghost.duration),
        reference=template,
        gesture=template.name,
    )]


def steps_for(target: str, handedness: str = "right", language: str = "fr"
              ) -> list[TrainingStep]:
    """Steps for a gesture name, a reference file (.vrref), a scenario id or pack path."""

    if target in sim.GESTURES and not Path(target).exists():
        return gesture_steps(target, handedness, language)
    if target.endswith(".vrref"):
        return reference_steps(Path(target), handedness, language)

    return scenario_steps(target, handedness, language)
