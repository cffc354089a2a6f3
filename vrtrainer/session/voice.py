"""The session's voice: instruction, countdown, verdict and first advice, spoken offline.

:class:`VoiceCoach` watches a :class:`~vrtrainer.session.training.TrainingSession`
once a frame (a few comparisons), queues what to say in the session's
language and lets :class:`~vrtrainer.speech.SpeechQueue` say it, one message at
a time. Every fixed text (instructions, countdown, verdicts, a scenario's
advice) is synthesised in :meth:`VoiceCoach.prepare`, before the first frame;
the comparator's own advice, known only when an attempt is scored, is
synthesised on a worker thread, so the frame loop never waits for the engine.
Audio goes through the same command-line players as the recording beeps.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vrtrainer.scenario.packfiles import PackFiles
from vrtrainer.session.advice import VERDICT_TEXT
from vrtrainer.session.beeps import find_player
from vrtrainer.session.machine import Phase
from vrtrainer.session.scenario_steps import ScenarioStep
from vrtrainer.session.training import TrainingStep
from vrtrainer.speech import Priority, SpeechQueue, Synthesiser
from vrtrainer.speech.synth import MAX_WAV_BYTES, wav_duration

#: Fixed spoken texts besides each step's instruction and advice.
SPOKEN = {
    "fr": {"countdown": "Trois, deux, un. À vous !", "tracking": "Je ne vois plus vos mains.",
           "done": "C'est terminé. Bravo pour votre travail !"},
    "en": {"countdown": "Three, two, one. Your turn!", "tracking": "I cannot see your hands.",
           "done": "That's the end. Well done!"},
}
#: Seconds between two live remarks during an attempt, and how long one stays worth saying.
LIVE_EVERY = 4.0
LIVE_TTL = 1.5
#: Seconds without a tracked hand during an attempt before saying so.
TRACKING_LOST_AFTER = 1.0

ESPEAK_MISSING = ("voice: espeak-ng is not installed, the session goes on without speech "
                  "(Debian/Ubuntu: sudo apt install espeak-ng; see docs/accessibility.md)")


@dataclass
class VoiceOptions:
    """``--voice`` and its volume (0-1); ``cache_dir`` None uses the user's cache."""

    enabled: bool = False
    volume: float = 0.8
    cache_dir: Path | None = None
    play: bool = True


class WavPlayer:
    """Plays WAV files with the first command-line player found (as the beeps do)."""

    def __init__(self) -> None:
        self.cmd = find_player()
        self._proc: subprocess.Popen | None = None

    def play(self, path: Path) -> None:
        if self.cmd is None:
            return
        try:
            self._proc = subprocess.Popen([*self.cmd, str(path)], stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError:
            self.cmd = None  # the player vanished or cannot run: stay silent

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._proc = None


def recorded_audio(step: TrainingStep, language: str) -> tuple[bytes, str] | None:
    """The pack's recorded instruction for ``step`` (``audio/<step id>.<lang>.wav``), if any.

    Read through the pack's bounded file access (inside the pack, size-capped);
    the WAV itself is checked when it is cached.
    """
    pack_path, step_id = step.pack_path, step.step_id
    if not pack_path or not step_id:
        return None
    rel = f"audio/{step_id}.{language}.wav"
    with PackFiles(pack_path) as files:
        if not files.exists(rel):
            return None
        return files.read_bytes(rel, MAX_WAV_BYTES), f"{pack_path}/{rel}"


def step_advice_texts(step: TrainingStep, language: str) -> list[str]:
    """A scenario step's trade advice in ``language``: known ahead, so synthesised ahead."""
    if not isinstance(step, ScenarioStep) or step.scenario is None:
        return []
    scenario = step.scenario
    metrics = next((s.metrics for s in scenario.steps if s.id == step.step_id), ())
    out = []
    for name in metrics:
        spec = scenario.metrics.get(name)
        if spec is None:
            continue
        for advice in (spec.advice_low, spec.advice_high):
            text = advice.get(language) if advice is not None else ""
            if text:
                out.append(text)
    return out


class VoiceCoach:
    """Says a session's instructions and feedback through a :class:`SpeechQueue`.

    ``synth`` makes the WAVs of the session's language (others are made on
    demand, on the worker thread); ``player`` plays them (None: files only,
    as in headless runs); ``keep_dir`` receives a copy of every WAV said and
    a ``voice.json`` log, for inspection (``--frames``).
    """

    def __init__(self, steps: list[Any], synth: Synthesiser, player: WavPlayer | None = None,
                 keep_dir: str | Path | None = None) -> None:
        self.steps = steps
        self.synths = {synth.language: synth}
        self._base = synth
        self.player = player
        self.queue = SpeechQueue(play=None if player is None else player.play,
                                 stop=None if player is None else player.stop)
        self.keep_dir = None if keep_dir is None else Path(keep_dir)
        self._ready: dict[tuple[str, str], Path] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._seen: tuple | None = None
        self._last_live = -1e9
        self._lost_since: float | None = None
        self._said_lost = False
        self._kept = 0
        self.log: list[dict[str, Any]] = []

    # --- ahead of the session ---------------------------------------------------

    def prepare(self, language: str | None = None) -> int:
        """Synthesise every fixed text of ``language`` now; the number of files ready."""
        language = language or self._base.language
        synth = self._synth(language)
        texts = list(SPOKEN[language].values()) + list(VERDICT_TEXT[language])
        for step in self.steps:
            recorded = recorded_audio(step, language)
            if recorded is not None:
                self._ready[(language, self._instruction(step, language))] = \
                    synth.recorded(*recorded)
            else:
                texts.append(self._instruction(step, language))
            texts += step_advice_texts(step, language)
        for text in texts:
            path = synth.wav_for(text)
            if path is not None:
                self._ready[(language, text)] = path
        return len(self._ready)

    def _synth(self, language: str) -> Synthesiser:
        synth = self.synths.get(language)
        if synth is None:
            b = self._base
            synth = self.synths[language] = Synthesiser(
                language, pack=b.folder.parent.name, cache_dir=b.folder.parent.parent,
                volume=b.volume, rate_wpm=b.rate_wpm, exe=b.exe)
        return synth

    @staticmethod
    def _instruction(step: Any, language: str) -> str:
        return step.instruction.get(language, "") or step.title.get(language, "")

    # --- each frame -------------------------------------------------------------

    def busy_with(self, kind: str, now: float) -> bool:
        """True while a message of ``kind`` is being said or waits to be."""
        q = self.queue
        current = q.current is not None and q.current.kind == kind and q.speaking(now)
        return current or any(u.kind == kind for u in q.pending)

    def observe(self, session: Any, now: float, hands_tracked: bool = True) -> None:
        """Queue what the session's state calls for and start the next message if due."""
        phase, lang = session.phase, session.language
        # the score arrives some frames into the feedback (scored off the frame loop)
        scored = phase is Phase.FEEDBACK and session.last_score is not None
        seen = (phase, session.machine.step, session.machine.attempts[session.machine.step],
                lang, scored)
        if seen != self._seen:
            self._seen = seen
            self._on_phase(session, phase, lang, now)
        if phase is Phase.ATTEMPT:
            self._live(session, lang, now, hands_tracked)
        started = self.queue.tick(now)
        if started is not None:
            self._keep(started, now)

    def _on_phase(self, session: Any, phase: Phase, lang: str, now: float) -> None:
        q = self.queue
        if phase is Phase.WATCH:
            q.drop(("countdown", "live", "alert"))
            q.hold(now)  # the expert demonstration (and its own audio cues) has the floor
            return
        q.release()
        if phase is Phase.INTRO:
            self._say(self._instruction(session.step, lang), Priority.INSTRUCTION,
                      "instruction", lang)
        elif phase is Phase.ATTEMPT:
            self._lost_since, self._said_lost = None, False
            self._say(SPOKEN[lang]["countdown"], Priority.COUNTDOWN, "countdown", lang)
        elif phase is Phase.FEEDBACK:
            q.drop(("countdown", "live", "alert", "instruction"))
            result = session.last_score
            if result is None:
                return
            verdict = VERDICT_TEXT[lang][2 if result.rejected else 0 if result.passed else 1]
            self._say(verdict, Priority.VERDICT, "verdict", lang)
            if result.messages:
                self._say(result.messages[0], Priority.ADVICE, "advice", lang)
        elif phase is Phase.DONE:
            q.drop(("countdown", "live", "alert", "instruction"))
            self._say(SPOKEN[lang]["done"], Priority.INSTRUCTION, "done", lang)

    def _live(self, session: Any, lang: str, now: float, tracked: bool) -> None:
        if not tracked:
            self._lost_since = now if self._lost_since is None else self._lost_since
            if not self._said_lost and now - self._lost_since >= TRACKING_LOST_AFTER:
                self._said_lost = True
                self._say(SPOKEN[lang]["tracking"], Priority.ALERT, "alert", lang,
                          expires=now + 3.0)
        else:
            self._lost_since, self._said_lost = None, False
        text = session.live.message
        if text and now - self._last_live >= LIVE_EVERY and (lang, text) in self._ready:
            self._last_live = now
            self._say(text, Priority.LIVE, "live", lang, expires=now + LIVE_TTL)

    def _say(self, text: str, priority: Priority, kind: str, lang: str,
             expires: float = float("inf")) -> None:
        if not text:
            return
        path = self._ready.get((lang, text))
        future: Future | None = None
        if path is None:
            future = self._worker().submit(self._synth(lang).wav_for, text)
        self.queue.say(text, priority, path=path, future=future, kind=kind, expires=expires)

    def _worker(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vrtrainer-voice")
        return self._pool

    def _keep(self, u: Any, now: float) -> None:
        entry = {"at_s": round(now, 3), "kind": u.kind, "priority": int(u.priority),
                 "text": u.text, "seconds": round(u.duration or wav_duration(u.path), 3)}
        if self.keep_dir is not None:
            self.keep_dir.mkdir(parents=True, exist_ok=True)
            self._kept += 1
            name = f"{self._kept:03d}-{u.kind}.wav"
            shutil.copyfile(u.path, self.keep_dir / name)
            entry["file"] = name
        self.log.append(entry)

    def close(self) -> None:
        """Stop speaking, let the worker go, write the log next to the kept WAVs."""
        if self.player is not None:
            self.player.stop()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self.keep_dir is not None and self.log:
            (self.keep_dir / "voice.json").write_text(
                json.dumps(self.log, indent=2, ensure_ascii=False), encoding="utf-8")


def make_voice(steps: list[Any], language: str, options: VoiceOptions, pack: str = "builtin",
               keep_dir: str | Path | None = None, say=None) -> VoiceCoach | None:
    """A prepared :class:`VoiceCoach`, or None (voice off, or no engine: one line said)."""
    if not options.enabled:
        return None
    synth = Synthesiser(language, pack=pack, cache_dir=options.cache_dir, volume=options.volume)
    if not synth.available:
        (say or (lambda m: print(m, file=sys.stderr)))(ESPEAK_MISSING)
        return None
    coach = VoiceCoach(steps, synth, player=WavPlayer() if options.play else None,
                       keep_dir=keep_dir)
    coach.prepare(language)
    return coach
