"""Run a whole training session on a chosen backend: what `vrtrainer train` does."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from vrtrainer.app.backends import backend_kind
from vrtrainer.app.runner import DEFAULT_EYE_SIZE, Stage, StageOptions, open_stage
from vrtrainer.backends.scripted import PersonScript
from vrtrainer.compare.score import PASS_MARK, WEIGHTS
from vrtrainer.errors import VrtrainerError
from vrtrainer.hands import sim
from vrtrainer.language import default_language
from vrtrainer.session.assisted import AssistedSession
from vrtrainer.session.listeners import SessionListener
from vrtrainer.session.loop import Application, LoopResult
from vrtrainer.session.plan import steps_for
from vrtrainer.session.published import PublishedSession, result_of
from vrtrainer.session.publisher import Publisher, resolve_key
from vrtrainer.session.simple import SimpleFlow, choose_simple_mode
from vrtrainer.session.training import AttemptOutcome, AttemptScore, TrainingSession, TrainingStep
from vrtrainer.session.verdict import attempt_lines, criterion_messages, phase_line, words
from vrtrainer.session.voice import VoiceOptions, make_voice
from vrtrainer.takes.take import Take, load_take


@dataclass
class TrainingOptions:
    """Everything a training run can be asked for (the CLI's options)."""

    target: str
    backend: str = "simulated"
    takes: list[Path] = field(default_factory=list)
    flaws: list[str] = field(default_factory=list)
    fault: str | None = None
    seed: int = 1
    hand: str = "right"
    trainee: str = "trainee-1"
    language: str = field(default_factory=default_language)
    out_dir: Path = Path("out/train")
    frames_dir: Path | None = None
    render: bool = True
    size: tuple[int, int] = DEFAULT_EYE_SIZE
    mirror: bool = False
    script: PersonScript = field(default_factory=PersonScript)
    db: str | None = None
    store: bool = True
    publish: str | None = None  # a trainer's server (vrtrainer serve) to publish to
    publish_key: str | None = None
    publish_flush_s: float = 5.0  # how long the end waits for results to reach the server
    voice: VoiceOptions = field(default_factory=VoiceOptions)
    simple: bool | None = None  # None: as remembered for the trainee
    finish_inline: bool = False  # finish attempts on the loop's thread (comparisons, tools)


@dataclass
class TrainingRun:
    outcomes: list[AttemptOutcome]
    loop: LoopResult
    snapshots: list[Path]
    timings: dict[str, Any]
    attempt_ids: list[int]
    db_url: str | None
    session: TrainingSession
    published: Any = None  # the publisher's report when --publish was given
    voice_log: list[dict[str, Any]] = field(default_factory=list)
    simple: bool = False


def simulated_performances(opts: TrainingOptions, steps: list[TrainingStep]) -> list[Take]:
    """The simulated trainee's take for each step, with the requested flaws."""

    flaws = [sim.parse_flaw(f) for f in opts.flaws]
    takes = []
    for k, step in enumerate(steps):
        takes.append(step.simulate_trainee(flaws=flaws, seed=opts.seed + k, hand=opts.hand,
                                           fault=opts.fault))
    return takes


class _Progress(SessionListener):
    """Says each phase change and each attempt's verdict, stores and publishes attempts."""

    def __init__(self, opts: TrainingOptions, say: Callable[[str], None], store: Any,
                 publisher: Publisher | None, session_uuid: str,
                 device: Callable[[], dict[str, str]]) -> None:
        self.opts, self.say, self.store, self.publisher = opts, say, store, publisher
        self.session_uuid, self.device = session_uuid, device
        self.attempt_ids: list[int] = []
        self._last_phase = ""

    def phase_changed(self, session: TrainingSession, transition: Any) -> None:
        phase = f"{session.phase.value}:{session.machine.step}"
        if phase != self._last_phase:
            self._last_phase = phase
            self.say(phase_line(session.machine.step + 1, session.phase.value,
                                self.opts.language))

    def attempt_finished(self, session: TrainingSession, outcome: AttemptOutcome) -> None:
        opts, s = self.opts, outcome.score
        for line in attempt_lines(outcome.step + 1, outcome.number, s, opts.language,
                                  outcome.ended_by):
            self.say(line)
        if outcome.error:
            self.say(f"  {outcome.error}")
        colon = " :" if opts.language == "fr" else ":"
        self.say(f"  {words(opts.language)['take']}{colon} {outcome.take_path}")
        attempt_id = None
        if self.store is not None and s is not None:
            attempt_id = store_attempt(self.store, outcome, s, session.steps, opts,
                                self.session_uuid, self.device())
            self.attempt_ids.append(attempt_id)
        if self.publisher is not None:
            self.publisher.add_result(f"{outcome.step}:{outcome.number}",
                                      result_of(outcome, attempt_id, self.session_uuid))


def run_training(opts: TrainingOptions,
                 progress: Callable[[str], None] | None = None) -> TrainingRun:
    """Build the steps, the backend and the session, run the loop, store the attempts."""
    from vrtrainer.render.presenter import SessionPresenter

    backend_kind(opts.backend)
    say = progress or (lambda _msg: None)
    steps = steps_for(opts.target, opts.hand, opts.language)
    session_uuid = str(uuid.uuid4())
    store = None
    if opts.store:
        from vrtrainer.results import ResultsStore

        store = ResultsStore.open(opts.db)
    publisher = published = None
    if opts.publish:
        publisher = Publisher(opts.publish, resolve_key(opts.publish_key), session_uuid, {
            "trainee": opts.trainee, "language": opts.language, "backend": opts.backend,
            "scenario": steps[0].scenario_id,
            "steps": [s.title.get(opts.language, "") for s in steps]})
    stage: Stage | None = None
    try:
        stage = open_stage(
            StageOptions(backend=opts.backend, render=opts.render, paced=opts.mirror,
                         size=opts.size, frames_dir=opts.frames_dir, script=opts.script,
                         hand=opts.hand),
            SessionPresenter, lambda: _scene_for(steps),
            lambda kind: _performances(opts, steps, kind),
            tool_names=steps[0].expert.tool_names)
        backend = stage.backend
        listener = _Progress(opts, say, store, publisher, session_uuid, backend.describe)
        session = TrainingSession(steps, opts.out_dir, trainee=opts.trainee,
                                  language=opts.language,
                                  source=lambda: backend.describe()["runtime"],
                                  renderer=stage.presenter, listeners=[listener],
                                  finish_inline=opts.finish_inline)
        assisted = _assisted(session, steps, opts, store)
        app: Application = assisted
        if publisher is not None:
            app = PublishedSession(assisted, publisher.start())
        loop = stage.run(app)
    finally:
        if publisher is not None:
            published = publisher.close(opts.publish_flush_s)
            if published.results_pending:
                say(f"{published.results_pending} result(s) not delivered to {opts.publish} "
                    "(they are in the results database)")
        if stage is not None:
            stage.close()
    voice = assisted.voice if isinstance(assisted, AssistedSession) else None
    run = TrainingRun(
        outcomes=session.outcomes, loop=loop, snapshots=stage.snapshots(),
        timings=session.timings.summary(), attempt_ids=listener.attempt_ids,
        db_url=None if store is None else store.url, session=session, published=published,
        voice_log=list(voice.log) if voice is not None else [],
        simple=isinstance(assisted, AssistedSession) and assisted.simple is not None,
    )
    if store is not None:
        store.close()
    return run


def _assisted(session: TrainingSession, steps, opts: TrainingOptions, store
              ) -> TrainingSession | AssistedSession:
    """The session with voice and simple mode when asked for (or remembered), else itself."""
    simple = choose_simple_mode(store, opts.trainee, opts.simple)
    voice = None
    if opts.voice.enabled:
        real_time = opts.mirror or opts.backend.startswith("openxr")
        voice = make_voice(
            steps, opts.language, replace(opts.voice, play=opts.voice.play and real_time),
            pack=f"{steps[0].scenario_id}-{steps[0].scenario_version}",
            keep_dir=None if opts.frames_dir is None else opts.frames_dir / "voice")
    if voice is None and not simple:
        return session
    return AssistedSession(session, voice, SimpleFlow() if simple else None)


def _performances(opts: TrainingOptions, steps: list[TrainingStep], kind: str) -> list[Take]:
    """The takes a scripted backend plays: simulated trainees, or the takes given."""
    if kind == "simulated":
        return simulated_performances(opts, steps)
    if not opts.takes:
        raise VrtrainerError("the replay backend needs --take FILE (one per step)")
    return [load_take(p) for p in opts.takes]


def _scene_for(steps) -> Any:
    from vrtrainer.render.scene import neutral_scene, scene_of_pack

    path = steps[0].pack_path
    return neutral_scene() if path is None else scene_of_pack(path)


def store_attempt(store, outcome: AttemptOutcome, s: AttemptScore, steps,
                  opts: TrainingOptions, session_uuid: str, device: dict[str, str]) -> int:
    """Store one scored attempt of a training run (with the reference it was scored
    against); returns its attempt id. Public for the benchmarks that run sessions."""
    from vrtrainer.results import AttemptRecord
    from vrtrainer.results.records import sha256_file

    step = steps[outcome.step]
    ref = outcome.reference_path
    record = AttemptRecord.from_score(
        s, criteria_from_breakdown(s.breakdown, opts.language),
        trainee=opts.trainee,
        scenario_id=step.scenario_id,
        scenario_version=step.scenario_version or "0",
        step=str(outcome.step + 1),
        started_at=datetime.fromisoformat(outcome.started),
        ended_at=datetime.fromisoformat(outcome.ended),
        session_uuid=session_uuid,
        take_path=str(outcome.take_path.resolve()),
        take_sha256=sha256_file(outcome.take_path),
        reference_path=None if ref is None else str(ref.resolve()),
        reference_sha256=None if ref is None else sha256_file(ref),
        device=device.get("device"),
        runtime=device.get("runtime"),
        duration_s=outcome.take.duration,
        locale="fr-FR" if opts.language == "fr" else "en-US",
    )
    return store.record_attempt(record)


#: The comparator's criteria and their share of the gesture score.
GESTURE_CRITERIA = ("shape", "timing", "economy", "steadiness", "coverage")


def criteria_from_breakdown(breakdown: dict[str, Any], lang: str = "en"
                            ) -> list[dict[str, Any]]:
    """Per-criterion rows (0-100) for the results store, from a step's breakdown.

    The comparator's parts (shape, timing, economy, steadiness, coverage) with their
    weights and the comparator's first explanation about each, then each trade
    metric of a scenario step with its verdict.
    """

    messages = criterion_messages(breakdown, lang)
    rows: list[dict[str, Any]] = []
    for name in GESTURE_CRITERIA:
        value = breakdown.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            rows.append({"name": name, "score": max(0.0, min(100.0, float(value))),
                         "weight": WEIGHTS.get(name, 0.0),
                         "passed": bool(value >= PASS_MARK),
                         "message": messages.get(name, "")})
    trade = breakdown.get("trade") or {}
    for name, m in (trade.get("metrics") or {}).items():
        score = m.get("score")
        if not isinstance(score, int | float):
            continue
        rows.append({"name": f"metric:{name}", "score": max(0.0, min(100.0, 100.0 * score)),
                     "weight": 1.0, "passed": m.get("verdict") in ("ok", "unsteady"),
                     "message": str(m.get("message") or "")})
    return rows
