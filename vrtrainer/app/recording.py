"""Run a trainer's recording session on a chosen backend: what `vrtrainer record` does.

Resolves what is recorded (a built-in gesture or a scenario's step), where the
takes go (``DIR/<scenario>/step<N>/``), the backend (a simulated expert, the
replay of takes, or an OpenXR headset), the cues (countdown beeps), the
optional desktop mirror window with its keys, and runs the frame loop.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vrtrainer.app.backends import backend_kind
from vrtrainer.app.runner import DEFAULT_EYE_SIZE, Stage, StageOptions, open_stage
from vrtrainer.backends.scripted import Performances, PersonScript
from vrtrainer.errors import VrtrainerError
from vrtrainer.hands import sim
from vrtrainer.scenario.loader import find_scenario, load_scenario
from vrtrainer.session.beeps import Beeper
from vrtrainer.session.loop import LoopResult
from vrtrainer.session.recording import RecordedTake, RecordingPlan, RecordingSession
from vrtrainer.takes.take import Take, load_take
from vrtrainer.trade import motions as trade_motions


@dataclass
class RecordOptions:
    """Everything a recording run can be asked for (the CLI's options)."""

    target: str
    step: int = 1
    backend: str = "simulated"
    takes: int = 3
    out_dir: Path = Path("takes")
    performer: str = "expert-1"
    hand: str = "right"
    language: str = "fr"
    replay: list[Path] = field(default_factory=list)
    seed: int = 1
    countdown: float = 3.0
    time_limit: float = 30.0
    trim: bool = False
    frames_dir: Path | None = None
    render: bool = True
    size: tuple[int, int] = DEFAULT_EYE_SIZE
    mirror: bool = False
    sound: bool | None = None  # None: on for headsets and the mirror window
    bell: bool = True
    script: PersonScript = field(default_factory=PersonScript)


@dataclass
class Subject:
    """What is recorded: scenario id and texts, and how a simulated expert performs it."""

    scenario_id: str
    scenario_version: str
    step: int
    title: dict[str, str]
    instruction: dict[str, str]
    gesture: str
    simulate: Callable[[int], Take]
    scene: Any = None


@dataclass
class RecordRun:
    takes: list[RecordedTake]
    loop: LoopResult
    folder: Path
    snapshots: list[Path]
    cues: list[str]
    session: RecordingSession


def step_folder(root: Path, scenario_id: str, step: int) -> Path:
    """``root/<scenario id as a folder name>/step<N>``."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", scenario_id).strip("-") or "scenario"
    return Path(root) / name / f"step{step}"


def resolve_subject(target: str, step: int, hand: str = "right") -> Subject:
    """A built-in gesture (one step) or a scenario id/pack and its step ``step`` (from 1)."""

    if target in sim.GESTURES and not Path(target).exists():
        if step != 1:
            raise VrtrainerError(f"the built-in gesture {target!r} has one step, not {step}")
        g = sim.GESTURES[target]
        return Subject(
            scenario_id=f"gesture/{target}", scenario_version="builtin", step=1,
            title={"fr": target, "en": target},
            instruction={"fr": g.description, "en": g.description},
            gesture=target,
            simulate=lambda seed: sim.simulate(target, role="expert", seed=seed, hand=hand),
        )

    path = find_scenario(target)
    scenario = load_scenario(path)
    if not 1 <= step <= len(scenario.steps):
        raise VrtrainerError(f"scenario {scenario.id!r} has steps 1-{len(scenario.steps)}, "
                             f"not {step}")
    s = scenario.steps[step - 1]

    def simulate(seed: int) -> Take:
        gesture = trade_motions.step_gesture(scenario, s.id, None, variation=seed)
        return sim.simulate(gesture, role="expert", seed=seed, hand=hand, rate=60.0)

    def scene() -> Any:
        from vrtrainer.render.scene import scene_of_pack

        return scene_of_pack(path)

    return Subject(
        scenario_id=scenario.id, scenario_version=scenario.version, step=step,
        title={"fr": s.title.fr, "en": s.title.en},
        instruction={"fr": s.instruction.fr, "en": s.instruction.en},
        gesture="", simulate=simulate, scene=scene,
    )


def run_recording(opts: RecordOptions,
                  progress: Callable[[str], None] | None = None) -> RecordRun:
    """Record ``opts.takes`` kept expert takes of one scenario step."""
    from vrtrainer.render.presenter import RecordingPresenter
    from vrtrainer.render.scene import neutral_scene

    kind = backend_kind(opts.backend)
    if opts.takes < 1:
        raise VrtrainerError(f"--takes must be at least 1, not {opts.takes}")
    if opts.hand not in ("right", "left"):
        raise VrtrainerError(f"--hand must be right or left, not {opts.hand!r}")
    if opts.countdown < 0 or opts.time_limit <= 0:
        raise VrtrainerError("the countdown must be >= 0 s and the time limit > 0 s")
    say = progress or (lambda _m: None)
    subject = resolve_subject(opts.target, opts.step, opts.hand)
    folder = step_folder(opts.out_dir, subject.scenario_id, subject.step)
    if opts.mirror and kind.headset:
        raise VrtrainerError("--mirror is for the simulated and replay backends; a headset "
                             "shows the session itself")
    sound = opts.sound if opts.sound is not None else (kind.headset or opts.mirror)
    beeper = Beeper(sound=sound, bell=opts.bell)
    stage: Stage | None = None
    session: RecordingSession | None = None

    def takes(what: str) -> Sequence[Take]:
        if what == "simulated":
            # one expert performance per take the person may give, kept or not
            # (made one at a time as the person starts each: --takes 1000 is fine)
            n = opts.takes + len(opts.script.discard_reviews) + 1
            return Performances(lambda k: subject.simulate(opts.seed + k), n)
        if not opts.replay:
            raise VrtrainerError("the replay backend needs --take FILE (one per take)")
        return [load_take(p) for p in opts.replay]

    try:
        tools = subject.simulate(opts.seed).tool_names if kind.headset else ()
        stage = open_stage(
            StageOptions(backend=opts.backend, render=opts.render, window=opts.mirror,
                         paced=opts.mirror, size=opts.size, frames_dir=opts.frames_dir,
                         script=opts.script, hand=opts.hand, title="vrtrainer record"),
            RecordingPresenter, lambda: subject.scene() if subject.scene else neutral_scene(),
            takes,
            tool_names=tools)
        backend = stage.backend
        plan = RecordingPlan(
            scenario_id=subject.scenario_id, step=subject.step, out_dir=folder,
            takes=opts.takes, performer=opts.performer, handedness=opts.hand,
            title=subject.title, instruction=subject.instruction,
            scenario_version=subject.scenario_version, gesture=subject.gesture,
            countdown=opts.countdown, time_limit=opts.time_limit, nominal_rate=backend.rate,
            trim=opts.trim, synthetic=kind.takes == "simulated",
            source=lambda: backend.describe().get("runtime", opts.backend),
        )

        def on_review(rec: RecordedTake) -> None:
            t = rec.trim
            where = ("no motion found" if t is None or not t.moving else
                     f"trim proposal: keep {t.start_time - rec.start_time:.2f}-"
                     f"{t.stop_time - rec.start_time:.2f} s (frames {t.start}:{t.stop} of "
                     f"{rec.frames})")
            say(f"take {rec.index}: {rec.frames} frames, {rec.duration:.2f} s "
                f"({rec.ended_by}); {where}")

        def on_take(rec: RecordedTake) -> None:
            verdict = ("kept" + (" (trimmed)" if rec.trimmed else "")) if rec.kept else \
                "discarded"
            say(f"take {rec.index} {verdict}: {rec.path}")

        session = RecordingSession(
            plan, language=opts.language, cue=beeper, on_take=on_take, on_review=on_review,
            renderer=stage.presenter, inputs=stage.inputs)
        say(f"recording {opts.takes} take(s) of {subject.scenario_id} step {subject.step} "
            f"into {folder}")
        loop = stage.run(session)
    finally:
        beeper.close()
        if stage is not None:
            stage.close()
    return RecordRun(takes=session.recorded, loop=loop, folder=folder,
                     snapshots=stage.snapshots(), cues=list(beeper.played), session=session)
