"""Spoken instructions and feedback: real espeak-ng synthesis, the cache, the queue, sessions."""

from __future__ import annotations

import json
import threading
from concurrent.futures import Future
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from packmaker import make_pack

from vrtrainer.app import runner as run_module
from vrtrainer.app.training import TrainingOptions, run_training
from vrtrainer.errors import InvalidFileError
from vrtrainer.session.advice import VERDICT_TEXT as PASSED_TEXT
from vrtrainer.session.beeps import write_tone
from vrtrainer.session.voice import (
    ESPEAK_MISSING,
    SPOKEN,
    VoiceCoach,
    VoiceOptions,
    make_voice,
)
from vrtrainer.speech import Priority, SpeechQueue, Synthesiser, wav_stats
from vrtrainer.speech.synth import find_espeak, load_recorded_wav, write_wav

needs_espeak = pytest.mark.skipif(find_espeak() is None,
                                  reason="espeak-ng is installed by `make setup` (apt)")


# --- synthesis and its cache -----------------------------------------------------------

@needs_espeak
def test_espeak_speaks_french_into_a_non_silent_wav_of_plausible_length(tmp_path):
    synth = Synthesiser("fr", pack="t", cache_dir=tmp_path)
    short = synth.wav_for("À vous !")
    long = synth.wav_for("Tenez la torche de la main droite, inclinée à quarante-cinq degrés "
                         "entre les deux tôles, puis avancez à vitesse régulière.")
    d_short, rms_short = wav_stats(short)
    d_long, rms_long = wav_stats(long)
    assert 0.3 < d_short < 3.0
    assert 4.0 < d_long < 15.0  # ~25 words at 150 words a minute
    assert rms_short > 0.02 and rms_long > 0.02
    assert synth.voice == "fr-fr" and short.parent == tmp_path / "t" / "fr"


@needs_espeak
def test_volume_scales_the_synthesised_level(tmp_path):
    loud = Synthesiser("fr", cache_dir=tmp_path, volume=1.0).wav_for("Réussi")
    quiet = Synthesiser("fr", cache_dir=tmp_path, volume=0.3).wav_for("Réussi")
    assert loud != quiet
    ratio = wav_stats(quiet)[1] / wav_stats(loud)[1]
    assert 0.15 < ratio < 0.5


@needs_espeak
def test_cache_is_hit_by_the_same_text_and_missed_by_a_new_one(tmp_path):
    a = Synthesiser("fr", pack="welding-fillet-1.0.0", cache_dir=tmp_path)
    first = a.wav_for("Plus lentement")
    stamp = first.stat().st_mtime_ns
    assert (a.made, a.hits) == (1, 0)
    assert a.wav_for("Plus lentement") == first and (a.made, a.hits) == (1, 1)
    b = Synthesiser("fr", pack="welding-fillet-1.0.0", cache_dir=tmp_path)  # next session
    assert b.wav_for("  Plus   lentement ") == first and (b.made, b.hits) == (0, 1)
    assert first.stat().st_mtime_ns == stamp
    other = b.wav_for("Un peu plus vite")
    assert other != first and b.made == 1
    en = Synthesiser("en", pack="welding-fillet-1.0.0", cache_dir=tmp_path)
    assert en.path_for("Plus lentement").parent != first.parent  # per language


def test_no_engine_means_no_file_and_a_clear_line(tmp_path, monkeypatch):
    import vrtrainer.speech.synth as synth_module

    synth = Synthesiser("fr", cache_dir=tmp_path, exe="")
    assert not synth.available and synth.wav_for("Bonjour") is None
    monkeypatch.setattr(synth_module.shutil, "which", lambda name: None)
    step = SimpleNamespace(instruction={"fr": "x"}, title={"fr": "x"})
    lines: list[str] = []
    voice = make_voice([step], "fr", VoiceOptions(enabled=True, cache_dir=tmp_path),
                       say=lines.append)
    assert voice is None and lines == [ESPEAK_MISSING]
    assert make_voice([step], "fr", VoiceOptions(enabled=False), say=lines.append) is None
    assert len(lines) == 1


def test_session_runs_without_espeak_and_says_so_once(tmp_path, monkeypatch, capsys):
    """`vrtrainer train --voice on` with no espeak-ng: one line on stderr, the session runs."""
    import vrtrainer.speech.synth as synth_module
    from vrtrainer.cli import main

    monkeypatch.setattr(synth_module.shutil, "which", lambda name: None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    code = main(["train", "pinch", "--voice", "on", "--no-render", "--no-store", "--json",
                 "--out", str(tmp_path / "takes")])
    captured = capsys.readouterr()
    assert code == 0
    assert captured.err.count("espeak-ng is not installed") == 1
    voice_lines = [ln for ln in captured.err.splitlines() if ln.startswith("voice:")]
    assert voice_lines == [ESPEAK_MISSING]
    summary = json.loads(captured.out)
    assert summary["attempts"][0]["ended_by"] == "done" and summary["voice"] == []
    for args, words in ((["--voice", "loud"], "--voice"), (["--volume", "3"], "--volume"),
                        (["--simple", "maybe"], "--simple")):
        assert main(["train", "pinch", "--no-store", "--out", str(tmp_path), *args]) == 2
        assert words in capsys.readouterr().err


# --- pack recordings ---------------------------------------------------------------------

def _wav_bytes(path: Path, seconds: float = 0.5, channels: int = 1) -> bytes:
    import wave

    rate = 16000
    t = np.arange(int(rate * seconds)) / rate
    x = (0.3 * 32767 * np.sin(2 * np.pi * 220 * t)).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.repeat(x, channels).tobytes())
    return path.read_bytes()


def test_recorded_wav_checks(tmp_path):
    good = _wav_bytes(tmp_path / "g.wav")
    rate, samples = load_recorded_wav(good, "g.wav")
    assert rate == 16000 and len(samples) == 8000
    stereo = _wav_bytes(tmp_path / "s.wav", channels=2)
    assert len(load_recorded_wav(stereo, "s.wav")[1]) == 8000
    with pytest.raises(InvalidFileError, match="not a WAV"):
        load_recorded_wav(b"#!/bin/sh\n" + good, "x.wav")
    with pytest.raises(InvalidFileError, match="cap"):
        load_recorded_wav(good + b"\0" * (9 * 1024 * 1024), "big.wav")
    six = _wav_bytes(tmp_path / "six.wav", channels=6)
    with pytest.raises(InvalidFileError, match="channels"):
        load_recorded_wav(six, "six.wav")
    long = _wav_bytes(tmp_path / "long.wav", seconds=61)
    with pytest.raises(InvalidFileError, match="lasts"):
        load_recorded_wav(long, "long.wav")


@needs_espeak
def test_a_pack_recording_replaces_the_synthesised_instruction(tmp_path):
    pack = make_pack(tmp_path / "pack")
    (pack / "audio").mkdir()
    _wav_bytes(pack / "audio" / "weld.fr.wav", seconds=1.25)
    step = SimpleNamespace(instruction={"fr": "Soudez.", "en": "Weld."}, title={},
                           pack_path=pack, step_id="weld")
    synth = Synthesiser("fr", pack="mini", cache_dir=tmp_path / "cache")
    coach = VoiceCoach([step], synth)
    coach.prepare()
    path = coach._ready[("fr", "Soudez.")]
    assert path.name.startswith("rec-") and path.parent == synth.folder
    assert wav_stats(path)[0] == pytest.approx(1.25, abs=0.01)
    assert synth.path_for("Soudez.").exists() is False  # not synthesised
    (pack / "audio" / "weld.fr.wav").write_bytes(b"RIFF\0\0\0\0WAVEjunk")
    with pytest.raises(InvalidFileError):
        VoiceCoach([step], Synthesiser("fr", cache_dir=tmp_path / "c2")).prepare()


# --- the queue -----------------------------------------------------------------------------

@pytest.fixture
def tones(tmp_path):
    """WAV files of known lengths standing for synthesised messages."""
    return {s: write_tone(tmp_path / f"{s}.wav", 440.0, s) for s in (0.5, 1.0, 2.0)}


def _run(queue: SpeechQueue, until: float, step: float = 1 / 90):
    for k in range(int(until / step)):
        queue.tick(k * step)


def test_most_important_first_and_never_two_at_once(tones):
    played = []
    q = SpeechQueue(play=played.append, gap=0.25)
    q.say("instruction", Priority.INSTRUCTION, path=tones[2.0], kind="instruction")
    q.say("countdown", Priority.COUNTDOWN, path=tones[1.0], kind="countdown")
    q.say("verdict", Priority.VERDICT, path=tones[0.5], kind="verdict")
    q.say("verdict", Priority.VERDICT, path=tones[0.5], kind="verdict")  # duplicate: dropped
    _run(q, 6.0)
    assert [u.text for u in q.spoken] == ["verdict", "countdown", "instruction"]
    assert played == [tones[0.5], tones[1.0], tones[2.0]]
    for a, b in zip(q.spoken, q.spoken[1:]):
        assert b.started >= a.started + a.duration + 0.25 - 1e-9
    assert q.spoken[0].duration == pytest.approx(0.5, abs=0.01)


def test_holding_for_the_demonstration_stops_speech_and_says_nothing(tones):
    stopped = []
    q = SpeechQueue(play=lambda p: None, stop=lambda: stopped.append(True))
    q.say("instruction", Priority.INSTRUCTION, path=tones[2.0])
    q.tick(0.0)
    q.hold(0.5)  # the demonstration starts while the instruction is said
    assert stopped == [True] and not q.speaking(0.6)
    q.say("countdown", Priority.COUNTDOWN, path=tones[1.0])
    for t in np.arange(0.5, 5.0, 0.1):
        assert q.tick(t) is None
    q.release()
    assert q.tick(5.0).text == "countdown"


def test_expired_and_still_synthesising_messages(tones):
    q = SpeechQueue()
    q.say("live", Priority.LIVE, path=tones[0.5], expires=1.0)
    assert q.tick(2.0) is None and not q.pending  # stale live advice is not said late
    pending: Future = Future()
    q.say("advice", Priority.ADVICE, future=pending)
    q.say("instruction", Priority.INSTRUCTION, path=tones[0.5])
    assert q.tick(3.0) is None  # the more important one is not ready: wait for it
    pending.set_result(tones[1.0])
    assert q.tick(3.1).text == "advice"
    failed: Future = Future()
    failed.set_exception(RuntimeError("engine crashed"))
    q.say("other", Priority.VERDICT, future=failed)
    assert q.tick(10.0).text == "instruction"  # a failed synthesis is skipped


# --- whole sessions --------------------------------------------------------------------

def _voiced(tmp_path, monkeypatch, **kw):
    """A headless training run with voice on, noting every synthesis made on the frame loop."""
    made_in_loop: list[str] = []
    in_loop = threading.Event()
    original_loop, original_wav = run_module.run_loop, Synthesiser.wav_for

    def loop(*a, **k):
        in_loop.set()
        try:
            return original_loop(*a, **k)
        finally:
            in_loop.clear()

    def wav_for(self, text):
        before = self.made
        path = original_wav(self, text)
        if in_loop.is_set() and self.made > before:
            made_in_loop.append(threading.current_thread().name)
        return path

    monkeypatch.setattr(run_module, "run_loop", loop)
    monkeypatch.setattr(Synthesiser, "wav_for", wav_for)
    opts = TrainingOptions(target=kw.pop("target", "welding-fillet"), out_dir=tmp_path / "t",
                           store=False, render=False, frames_dir=tmp_path / "frames",
                           voice=VoiceOptions(enabled=True, cache_dir=tmp_path / "cache"),
                           **kw)
    return run_training(opts), made_in_loop


@needs_espeak
def test_french_session_speaks_instruction_countdown_verdict_and_first_advice(
        tmp_path, monkeypatch):
    run, made_in_loop = _voiced(tmp_path, monkeypatch, fault="work-angle-high", language="fr")
    log = run.voice_log
    kinds = [e["kind"] for e in log]
    first = run.outcomes[0].score
    assert kinds[:4] == ["instruction", "countdown", "verdict", "advice"]
    steps = run.session.steps
    assert log[0]["text"] == steps[0].instruction["fr"]
    assert log[1]["text"] == SPOKEN["fr"]["countdown"]
    assert log[2]["text"] == PASSED_TEXT["fr"][1] and not first.passed
    assert log[3]["text"] == first.messages[0]  # the panel's first advice, said
    assert "Angle" in log[3]["text"]  # the pack's French, not its English
    # Every message said is kept as a WAV for inspection, not silent, of its length.
    for entry in log:
        seconds, rms = wav_stats(tmp_path / "frames" / "voice" / entry["file"])
        assert seconds == pytest.approx(entry["seconds"], abs=0.01) and rms > 0.02
    # Only the comparator's scored advice was synthesised once the loop ran, off its thread.
    assert made_in_loop and all(name.startswith("vrtrainer-voice") for name in made_in_loop)
    # The instruction was heard in full before the demonstration began.
    watch = next(t for t in run.session.transitions if t.after.value == "watch")
    assert watch.cause.value == "next"
    assert log[1]["at_s"] >= log[0]["at_s"] + log[0]["seconds"]


@needs_espeak
def test_english_session_speaks_english(tmp_path, monkeypatch):
    run, _ = _voiced(tmp_path, monkeypatch, target="pinch", language="en")
    texts = [e["text"] for e in run.voice_log]
    assert SPOKEN["en"]["countdown"] in texts
    assert PASSED_TEXT["en"][0] in texts
    assert not any(t in texts for t in SPOKEN["fr"].values())


def test_french_spoken_texts_are_french():
    accents = "éèàùçêô"
    for key, text in SPOKEN["fr"].items():
        assert text != SPOKEN["en"][key]
        assert any(c in text for c in accents) or any(
            w in text.lower().split() for w in ("je", "vous", "c'est", "vos", "un")), text


def test_write_wav_round_trip(tmp_path):
    x = (np.sin(np.linspace(0, 100, 8000)) * 10000).astype(np.int16)
    path = write_wav(tmp_path / "x.wav", x, 16000)
    rate, back = load_recorded_wav(path.read_bytes(), "x.wav")
    assert rate == 16000 and np.array_equal(back, x)
