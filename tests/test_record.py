"""`vrtrainer record`: expert takes in a row through the frame loop, kept or discarded."""

import json
import wave

import numpy as np
import pytest

from vrtrainer.app.recording import RecordOptions, run_recording
from vrtrainer.backends.scripted import PersonScript
from vrtrainer.cli import main
from vrtrainer.session.beeps import TONES, Beeper, write_tone
from vrtrainer.takes.take import load_take


def record(tmp_path, **kw):
    opts = RecordOptions(target=kw.pop("target", "pinch"), out_dir=tmp_path / "takes",
                         render=kw.pop("render", False), countdown=kw.pop("countdown", 1.0),
                         sound=False, bell=False, **kw)
    return run_recording(opts)


def test_cli_keeps_k_takes_and_moves_the_discarded_one_aside(tmp_path, capsys):
    out = tmp_path / "takes"
    code = main(["record", "pinch", "--step", "1", "--takes", "2", "-o", str(out),
                 "--performer", "anna", "--discard", "2", "--no-render", "--countdown", "1",
                 "--no-sound", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    folder = out / "gesture-pinch" / "step1"
    kept = sorted(folder.glob("*.vrtake"))
    discarded = sorted((folder / "discarded").glob("*.vrtake"))
    assert len(kept) == 2 and len(discarded) == 1
    assert [r["kept"] for r in summary["takes"]] == [True, False, True]
    assert discarded[0].name.startswith("take-2-anna-")
    assert {p.name.split("-")[1] for p in kept} == {"1", "3"}
    assert not list(folder.rglob("*.partial"))
    takes = [load_take(p) for p in kept]
    for t in takes:
        m = t.meta
        assert (m.role, m.performer, m.scenario, m.step) == ("expert", "anna", "gesture/pinch", 1)
        assert m.extra["gesture"] == "pinch" and m.synthetic and m.handedness == "right"
        assert m.extra["ended_by"] == "done" and m.source == "vrtrainer simulated"
        assert t.n_frames > 100
    # different seeds: the kept takes are different performances
    n = min(t.n_frames for t in takes)
    assert not np.allclose(takes[0].poses[:n], takes[1].poses[:n])
    # countdown ticks, start and stop beeps for each of the three takes
    assert summary["cues"].count("start") == 3 and summary["cues"].count("stop") == 3
    assert summary["cues"].count("tick") == 3  # one per countdown second (1 s countdown)


def test_second_session_numbers_takes_after_the_existing_ones(tmp_path):
    record(tmp_path, takes=1)
    run = record(tmp_path, takes=1, seed=7)
    assert [r.index for r in run.takes] == [2]
    assert run.takes[0].path.name.startswith("take-2-")


def test_quit_while_recording_keeps_the_take_aside(tmp_path):
    run = record(tmp_path, takes=2, script=PersonScript(quit_in="attempt", quit_after=0.5))
    assert run.session.quit and run.loop.ended_by == "application"
    [rec] = run.takes
    assert not rec.kept and rec.ended_by == "quit" and rec.path.parent.name == "discarded"
    take = load_take(rec.path)
    assert take.duration == pytest.approx(0.5, abs=0.05)


def test_trim_option_cuts_kept_takes_to_their_motion(tmp_path):
    from vrtrainer.hands import sim

    # a still second before the gesture: the trim proposal must cut it
    script = PersonScript(done_wait=1.0)
    run = record(tmp_path, takes=1, trim=True, script=script)
    [rec] = run.takes
    take = load_take(rec.path)
    assert rec.trimmed and "trim" in take.meta.extra
    assert rec.trim.moving and rec.frames == rec.trim.stop - rec.trim.start
    untrimmed = sim.simulate("pinch", seed=1).duration + 1.0
    assert take.duration < untrimmed - 0.5


def test_rendered_recording_writes_countdown_and_review_frames(tmp_path):
    run = record(tmp_path, takes=1, render=True, size=(160, 120), frames_dir=tmp_path / "png",
                 countdown=2.0)
    names = [p.name for p in run.snapshots]
    assert sum("countdown" in n for n in names) == 2  # one per second: "2", "1"
    assert any("recording" in n for n in names) and any("review" in n for n in names)
    from PIL import Image

    img = np.asarray(Image.open(run.snapshots[0]))
    assert img.shape == (120, 320, 3) and img.std() > 5


def test_beeps_are_real_wav_tones_and_silence_never_fails(tmp_path, monkeypatch):
    path = write_tone(tmp_path / "t.wav", 880.0, 0.1)
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        data = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(float)
        rate = w.getframerate()
    crossings = np.count_nonzero(np.diff(np.signbit(data)))
    assert crossings / 2 / (len(data) / rate) == pytest.approx(880.0, rel=0.05)
    monkeypatch.setenv("PATH", str(tmp_path))  # no player anywhere
    b = Beeper(sound=True, bell=False, directory=tmp_path / "beeps")
    assert b.player is None and set(b.files) == set(TONES)
    for cue in ("tick", "start", "stop"):
        b(cue)
    b.close()
    assert b.played == ["tick", "start", "stop"]


def test_bad_requests_are_refused_with_a_message(tmp_path, capsys):
    assert main(["record", "pinch", "--step", "2", "-o", str(tmp_path)]) == 2
    assert "one step" in capsys.readouterr().err
    assert main(["record", "pinch", "--backend", "replay", "--no-render",
                 "-o", str(tmp_path)]) == 2
    assert "--take" in capsys.readouterr().err


def test_simulated_takes_are_made_one_at_a_time(tmp_path, monkeypatch):
    # Issue 14: `record --takes N` built all N simulated performances before the first.
    from vrtrainer.hands import sim

    saved_before: list[int] = []  # takes on disk when each performance was made
    real = sim.simulate

    def counting(*args, **kwargs):
        saved_before.append(len(list((tmp_path / "takes").rglob("*.vrtake"))))
        return real(*args, **kwargs)

    monkeypatch.setattr(sim, "simulate", counting)
    run = record(tmp_path, takes=3)
    assert sum(r.kept for r in run.takes) == 3
    # performance k is made once the person reaches it: after take k-1 was saved
    assert saved_before[:3] == [0, 1, 2], saved_before


def test_performances_keep_one_take_in_memory():
    from vrtrainer.backends.scripted import Performances
    from vrtrainer.hands import sim

    made: list[int] = []

    def make(k):
        made.append(k)
        return sim.simulate("pinch", seed=k, rate=30.0)

    perf = Performances(make, 1000)
    assert len(perf) == 1000 and made == []
    first = perf[0]
    assert perf[0] is first and made == [0]
    perf[999]
    assert made == [0, 999]
