"""A newcomer's first hour, through the CLI: output paths, usage errors, help texts.

Each class of mistake a new user makes is driven through ``vrtrainer.cli.main`` and
must give one ``error:`` line (plus at most a hint line), exit code 2, no traceback
and nothing half-written.
"""

from __future__ import annotations

import json
import os
import re
import stat

import pytest

from vrtrainer.cli import app, main
from vrtrainer.cli.helptext import EXAMPLES, command_paths
from vrtrainer.hands import sim
from vrtrainer.takes.take import save_take


def _refused(capsys, argv: list[str], *words: str) -> str:
    """Run ``argv``; it must fail with exit 2 and one error line naming ``words``."""
    code = main(argv)
    captured = capsys.readouterr()
    err = captured.err
    assert code == 2, (argv, captured.out, err)
    assert "Traceback" not in err and "Traceback" not in captured.out
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and lines[0].startswith("error: "), err
    assert len(lines) <= 2, err  # the error, and at most a hint
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def expert(tmp_path_factory):
    d = tmp_path_factory.mktemp("newcomer")
    return save_take(sim.simulate("pinch", seed=1), d / "expert.vrtake")


@pytest.fixture
def somefile(tmp_path):
    f = tmp_path / "somefile"
    f.write_text("not a folder\n")
    return f


# --- item 1: output paths ------------------------------------------------------------------

def test_missing_parent_folders_are_created_and_files_get_the_usual_mode(tmp_path, expert,
                                                                          capsys):
    old = os.umask(0o022)
    try:
        take = tmp_path / "new" / "deeper" / "t.vrtake"
        assert main(["simulate", "-g", "pinch", "--role", "trainee", "-o", str(take)]) == 0
        csv_out = tmp_path / "csv" / "t.csv"
        assert main(["export-csv", str(expert), "-o", str(csv_out)]) == 0
    finally:
        os.umask(old)
    capsys.readouterr()
    assert stat.S_IMODE(take.stat().st_mode) == 0o644  # not mkstemp's 0600
    assert stat.S_IMODE(csv_out.stat().st_mode) == 0o644


@pytest.mark.parametrize("argv", [
    ["simulate", "-g", "pinch", "-o", "{somefile}/x.vrtake"],
    ["export-csv", "{expert}", "-o", "{somefile}/x.csv"],
    ["score", "{expert}", "--against", "{expert}", "-o", "{somefile}/s.json"],
    ["render", "{expert}", "-o", "{somefile}"],
    ["split", "{expert}", "--steps", "2", "-o", "{somefile}/steps"],
    ["trim", "{expert}", "-o", "{somefile}/t.vrtake"],
    ["reference", "build", "{expert}", "-o", "{somefile}/r.vrref"],
    ["reference", "build", "{expert}", "-o", "{tmp}/r.vrref", "--html", "{somefile}/r.html"],
    ["train", "pinch", "--no-render", "--no-store", "--out", "{somefile}/takes"],
    ["record", "pinch", "--no-render", "-o", "{somefile}"],
    ["results", "export", "--db", "{tmp}/r.sqlite", "--csv", "{somefile}/x.csv"],
    ["report", "attempt", "--latest", "--db", "{tmp}/r.sqlite", "--html", "{somefile}/a.html"],
])
def test_a_file_used_as_a_folder_is_one_error_line(argv, tmp_path, somefile, expert, capsys):
    argv = [a.format(somefile=somefile, expert=expert, tmp=tmp_path) for a in argv]
    _refused(capsys, argv, f"{somefile} is a file, not a folder")
    assert not (tmp_path / "r.vrref").exists()  # nothing written before the refusal


@pytest.mark.parametrize("argv", [
    ["simulate", "-g", "pinch", "-o", "{tmp}"],
    ["export-csv", "{expert}", "-o", "{tmp}"],
    ["score", "{expert}", "--against", "{expert}", "-o", "{tmp}"],
    ["reference", "build", "{expert}", "-o", "{tmp}"],
    ["report", "trainee", "t-1", "--db", "{tmp}/r.sqlite", "--html", "{tmp}"],
])
def test_a_folder_given_as_the_output_file_is_one_error_line(argv, tmp_path, expert, capsys):
    argv = [a.format(expert=expert, tmp=tmp_path) for a in argv]
    _refused(capsys, argv, "is a folder")


def test_an_unwritable_folder_is_one_error_line(capsys):
    # /proc takes no new files, even for root (permission bits would not stop root)
    _refused(capsys, ["simulate", "-g", "pinch", "-o", "/proc/x.vrtake"], "/proc")
    _refused(capsys, ["render", "/nonexistent.vrtake", "-o", "/proc/frames"], "/proc")


def test_an_expert_take_or_reference_is_not_replaced_without_force(tmp_path, capsys):
    take = tmp_path / "expert.vrtake"
    assert main(["simulate", "-g", "pinch", "-o", str(take)]) == 0
    before = take.read_bytes()
    _refused(capsys, ["simulate", "-g", "pinch", "--seed", "5", "-o", str(take)],
             "already holds an expert take", "--force")
    assert take.read_bytes() == before
    assert main(["simulate", "-g", "pinch", "--seed", "5", "-o", str(take), "--force"]) == 0
    assert take.read_bytes() != before
    ref = tmp_path / "pinch.vrref"
    ref.write_bytes(b"an existing reference")
    _refused(capsys, ["reference", "build", str(take), "-o", str(ref)], "a reference", "--force")
    assert ref.read_bytes() == b"an existing reference"
    # a trainee's take is the user's scratch work: replaced like any output file
    trainee = tmp_path / "trainee.vrtake"
    for seed in ("1", "2"):
        assert main(["simulate", "-g", "pinch", "--role", "trainee", "--seed", seed,
                     "-o", str(trainee)]) == 0


def test_dash_means_standard_output_for_text(expert, capsys):
    assert main(["export-csv", str(expert), "-o", "-"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("time_s,left_active,right_active,") and "wrote" not in out
    assert main(["score", str(expert), "--against", str(expert), "-o", "-"]) == 0
    assert '"total"' in capsys.readouterr().out
    _refused(capsys, ["simulate", "-g", "pinch", "-o", "-"], "not text")


def test_results_list_on_a_file_that_is_no_database(somefile, capsys):
    line = _refused(capsys, ["results", "list", "--db", str(somefile)], str(somefile))
    assert "sqlite:" not in line and "not a database" in line


# --- item 2: usage errors, --version, help ----------------------------------------------

@pytest.mark.parametrize("argv, words, hint", [
    (["simulate", "--bogus"], ["no such option: --bogus"], "vrtrainer simulate --help"),
    (["train", "pinch", "--sed", "3"], ["--sed", "--seed"], "vrtrainer train --help"),
    (["simulate", "-g", "pinch"], ["missing option", "--output"], "vrtrainer simulate --help"),
    (["info"], ["missing argument", "FILE"], "vrtrainer info --help"),
    (["nope"], ["no such command 'nope'"], "vrtrainer --help"),
    (["reference", "biuld"], ["'biuld'", "build"], "vrtrainer reference --help"),
    (["results", "list", "--limit", "0"], ["--limit"], "vrtrainer results list --help"),
    (["render", "x.vrtake", "--size"], ["--size", "requires an argument"],
     "vrtrainer render --help"),
])
def test_usage_errors_are_one_line_and_a_hint(argv, words, hint, capsys):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 2 and lines[0].startswith("error: "), err
    assert "╭" not in err and "Usage:" not in err
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert lines[1].strip() == f"see: {hint}"


def test_version(capsys):
    from vrtrainer import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"vrtrainer {__version__}"


def _help(capsys, path: str) -> str:
    assert main([*path.split(), "--help"]) == 0
    return capsys.readouterr().out


def test_every_help_has_an_example_and_no_type_placeholders(capsys):
    paths = command_paths(app)
    assert {"simulate", "reference build", "scenario try", "take recover"} <= set(paths)
    assert set(paths) <= set(EXAMPLES), set(paths) - set(EXAMPLES)
    for path in ["", *paths]:
        text = _help(capsys, path)
        assert "Example" in text, path
        for placeholder in ("<str>", "<path>", "<int>", "<float>", "<bool>", "list[", "{"):
            assert placeholder not in text, (path, placeholder)
    assert "Take file to write" in _help(capsys, "take recover")


def test_simulate_and_train_help_name_every_flaw_and_fault_with_units(capsys):
    from vrtrainer.scenario import find_packs, load_scenario

    faults_of = {sc.id: sc.motion.faults for sc in map(load_scenario, find_packs())
                 if sc.motion is not None}
    assert {"welding-fillet", "spray-panel", "hand-rub", "cpr-compressions"} <= set(faults_of)
    for path in ("simulate", "train"):
        text = " ".join(_help(capsys, path).split())
        for name in sim.FLAW_NAMES:
            assert name in text.replace("- ", "-"), (path, name)
        assert "jitter=5 (millimetres" in text
    text = " ".join(_help(capsys, "train").split()).replace("- ", "-")  # wrapped at hyphens
    for faults in faults_of.values():
        for fault in faults:
            assert fault in text
    assert "work angle 70°" in text and "compression depth 35 mm" in text


def test_group_help_lists_every_subcommand(capsys):
    for group in ("scenario", "reference", "results", "report", "take", "xapi"):
        text = _help(capsys, group)
        subs = [p.split()[1] for p in command_paths(app) if p.startswith(group + " ")]
        first_line = text.split("\n\n")[1]
        for sub in subs:
            assert f"  {sub} " in text, (group, sub)
        if group == "scenario":
            assert all(sub in first_line for sub in subs), first_line


# --- item 3: verdicts that explain themselves ------------------------------------------------

def test_train_says_why_an_attempt_did_not_pass(tmp_path, capsys):
    db = tmp_path / "r.sqlite"
    argv = ["train", "pinch", "--flaw", "wrong-finger=40", "--no-render", "--out",
            str(tmp_path / "takes"), "--db", str(db), "--lang", "en"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "step 1, attempt 1: 69/100, not passed (pass mark 70)" in out
    assert "why: the right ring was off for 0.5 s or more in phase 2" in out
    assert re.search(r"why: shape \d+ is below 70 \(the shape must pass too\)", out)
    assert re.search(r"> right ring finger 2\d degrees too open during phase 2", out)  # advice
    assert "sqlite:" not in out and "[1]" not in out
    assert f"results stored in {db} (attempt 1)" in out  # on one line, to copy
    # results show fills the message column from the same explanations
    assert main(["results", "show", "1", "--db", str(db)]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "score 69/100, not passed" in shown and re.search(r"ring finger 2\d degrees too", shown)
    assert main(["results", "list", "--db", str(db)]) == 0
    assert "not passed" in capsys.readouterr().out


def test_train_in_french_speaks_french_and_unknown_languages_are_refused(tmp_path, capsys,
                                                                         monkeypatch):
    argv = ["train", "pinch", "--flaw", "wrong-finger=40", "--no-render", "--no-store",
            "--out", str(tmp_path)]
    monkeypatch.setenv("VRTRAINER_LANG", "fr")  # one default for every command
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "étape 1, essai 1 : 69/100, non réussi (seuil 70)" in out
    assert re.search(r"pourquoi : forme \d+ sous 70", out)
    assert re.search(r"> annulaire droit : 2\d degrés trop ouvert pendant la phase 2", out)
    assert "step 1" not in out and "your turn" not in out
    for command in (["train", "pinch"], ["scenario", "show", "hand-rub"],
                    ["report", "group", "--html", str(tmp_path / "g.html")],
                    ["replay", "x.vrtake", "--against", "y.vrref", "--frames", str(tmp_path)]):
        code = main([*command, "--lang", "de"])
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("error: ") and "one of fr, en" in err, command
    monkeypatch.setenv("VRTRAINER_LANG", "xx")
    assert main(["scenario", "show", "hand-rub"]) == 2
    assert "VRTRAINER_LANG" in capsys.readouterr().err


def test_best_badge_is_the_best_passed_attempt():
    from datetime import UTC, datetime, timedelta
    from types import SimpleNamespace

    from report_helpers import parse

    from vrtrainer.report.progress import trainee_page

    t0 = datetime(2026, 1, 1, tzinfo=UTC)

    def attempt(i, score, passed):
        return SimpleNamespace(id=i, score=score, passed=passed, scenario_id="gesture/pinch",
                               step="1", started_at=t0 + timedelta(minutes=i), duration_s=3.0,
                               trainee="t-1", trainee_name=None,
                               breakdown={"pass_threshold": 80.0})

    # 85 did not pass (another rule failed); 81 did: the badge says 81
    page = parse(trainee_page("t-1", [attempt(1, 85.0, False), attempt(2, 81.0, True)], "en"))
    assert "81 Best" in page.visible and "85 Best" not in page.visible
    page = parse(trainee_page("t-1", [attempt(1, 60.5, False)], "fr"))
    assert "Meilleur, pas encore réussi" in page.visible


def test_french_report_numbers_take_a_decimal_comma():
    from vrtrainer.report.page import num, page_language

    assert num(1.33, 2) == "1.33"
    with page_language("fr"):
        assert num(1.33, 2, " s") == "1,33 s"


# --- item 5: a cold start says so -------------------------------------------------------------

class _Terminal:
    def __init__(self, tty: bool) -> None:
        self.text, self.tty = "", tty

    def write(self, s: str) -> None:
        self.text += s

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("tty", [True, False])
def test_a_numba_compilation_announces_the_cold_start(tty):
    import numba
    from numba.core import event

    from vrtrainer.cli.coldstart import ColdStartNotice

    notice = ColdStartNotice(_Terminal(tty))

    class Forward(event.Listener):
        def on_start(self, ev):
            notice.on_start(ev)

        def on_end(self, ev):
            notice.on_end(ev)

    @numba.njit  # a fresh kernel (no cache): numba compiles it now
    def add(a, b):
        return a + b

    with event.install_listener("numba:compile", Forward()):
        assert add(1, 2) == 3
        assert add(3, 4) == 7  # already compiled: no second notice
    notice.finish()
    text = notice.stream.text
    assert text.count("preparing the comparator, first run only") == (2 if tty else 1)
    assert ("1 kernels compiled" in text and "comparator ready" in text) == tty
    quiet = ColdStartNotice(_Terminal(tty))
    quiet.finish()  # nothing compiled, nothing said
    assert quiet.stream.text == ""


# --- item 6: the OpenXR loader's own lines do not reach the user -----------------------------

def test_no_runtime_is_one_clear_line_without_the_loader_noise(tmp_path):
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("XR_", "VRTRAINER_"))}
    env["XR_RUNTIME_JSON"] = str(tmp_path / "no-runtime.json")  # no runtime there
    run = subprocess.run([sys.executable, "-m", "vrtrainer", "train", "pinch", "--backend",
                          "openxr", "--no-store", "--out", str(tmp_path)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    assert "OpenXR-Loader" not in run.stderr and "Traceback" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "runtime" in lines[0]


# --- item 4: the cue panel speaks the chosen language only, and long advice wraps -----------

def test_cue_panel_in_french_shows_no_english_and_wraps_long_advice():
    from vrtrainer.render import Cues
    from vrtrainer.render.cues import CuePanel
    from vrtrainer.render.text import FontAtlas
    from vrtrainer.session.plan import gesture_steps

    class Recording(CuePanel):
        def _text(self, text, x, y, height, color, align="left"):
            self.drawn.append(text)
            super()._text(text, x, y, height, color, align)

    step = gesture_steps("pinch", "right", "fr")[0]
    assert step.title["fr"] == "pince" and "pouce" in step.instruction["fr"]
    advice = ("À reprendre. Annulaire droit : 25 degrés trop ouvert pendant la phase 2, "
              "puis poignet droit : écart de 1,2 cm pendant la phase 3")
    panel = Recording(FontAtlas())
    panel.drawn = []
    panel.build(Cues(language="fr", instruction_fr=step.instruction["fr"],
                     instruction_en=step.instruction["en"], score=77, message=advice))
    text = " ".join(panel.drawn)
    assert "Pick up" not in text and "Saisissez" in text
    message_lines = [t for t in panel.drawn if t and t.split()[0] in advice.split()]
    assert " ".join(" ".join(panel.drawn).split()).count("1,2 cm") == 1
    assert len([t for t in panel.drawn if "Annulaire" in t or "poignet" in t]) >= 2, message_lines


def test_scenario_show_in_french_and_list_keeps_ids_whole(capsys):
    assert main(["scenario", "show", "hand-rub", "--lang", "fr"]) == 0
    out = capsys.readouterr().out
    assert "étape" in out and "les deux" in out and "seuil" in out and "2,5-8" in out
    for english in ("step", "hands", "both", "pass", "palm_angle", "2.5"):
        assert english not in out, english
    assert main(["scenario", "list"]) == 0
    out = capsys.readouterr().out
    for scenario_id in ("cpr-compressions", "welding-fillet", "spray-panel", "hand-rub"):
        assert scenario_id in out  # whole, on one line, as the user must type it


# --- item 8: one take (or the same take twice) makes a reference with a warning ------------

def test_a_single_take_reference_is_warned(tmp_path, expert, capsys):
    ref = tmp_path / "one.vrref"
    assert main(["reference", "build", str(expert), str(expert), "-o", str(ref)]) == 0
    err = capsys.readouterr().err
    assert "warning: " in err and "same take" in err and "one take only" in err
    assert "RuntimeWarning" not in err and ref.is_file()


@pytest.mark.parametrize("copies", [1, 2])
def test_a_one_take_reference_still_rejects_other_gestures(tmp_path, expert, capsys, copies):
    """Item 8: one take (or the same take twice) still tells a pinch from other gestures."""
    ref = tmp_path / "one.vrref"
    assert main(["reference", "build", *[str(expert)] * copies, "-o", str(ref)]) == 0
    out = capsys.readouterr().out
    assert "built from 1 take of 1 person" in out  # a take given twice counts once
    verdicts = {}
    for gesture in ("pinch", "grab", "point", "wave"):
        take = save_take(sim.simulate(gesture, role="trainee", seed=5),
                         tmp_path / f"{gesture}.vrtake")
        assert main(["score", str(take), "--against", str(ref), "--json"]) == 0
        verdicts[gesture] = json.loads(capsys.readouterr().out)["verdict"]
    assert verdicts == {"pinch": "pass", "grab": "rejected", "point": "rejected",
                        "wave": "rejected"}


def test_trade_messages_in_french_write_decimal_commas():
    from vrtrainer.trade.metrics import format_value

    assert format_value(0.0059, "m/s", "fr") == "5,9 mm/s"
    assert format_value(0.0059, "m/s") == "5.9 mm/s"


# --- item 9: no Python reprs in messages ------------------------------------------------------

def test_messages_name_choices_without_python_reprs(tmp_path, capsys):
    line = _refused(capsys, ["train", "pinch", "--backend", "nope", "--no-store",
                             "--out", str(tmp_path)], "simulated, replay")
    assert "(" not in line and "[" not in line


def test_train_against_your_own_reference(tmp_path, capsys):
    experts = [save_take(sim.simulate("pinch", seed=s), tmp_path / f"e{s}.vrtake") for s in (1, 2)]
    ref = tmp_path / "mine.vrref"
    assert main(["reference", "build", *map(str, experts), "-o", str(ref)]) == 0
    capsys.readouterr()
    assert main(["train", str(ref), "--flaw", "wrong-finger=40", "--no-render", "--no-store",
                 "--out", str(tmp_path / "takes"), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "step 1, attempt 1:" in out and "not passed" in out
    assert list((tmp_path / "takes").glob("reference-pinch-*.vrtake"))
    for e in experts:  # the ghost needs one of the expert takes
        e.unlink()
    _refused(capsys, ["train", str(ref), "--no-render", "--no-store"], "expert takes")


def test_plots_on_a_french_page_write_decimal_commas():
    import re

    import numpy as np

    from vrtrainer.report import plots
    from vrtrainer.report.page import page_language

    z = np.full((2, 26), 1.3)
    with page_language("fr"):
        fr = plots.hand_map(z, {"right": "Main droite", "left": "Main gauche"}, "écart").decode()
    en = plots.hand_map(z, {"right": "Right", "left": "Left"}, "error").decode()
    assert "2,5" in re.findall(r"<!-- ([^ ]+) -->", fr)
    assert "2.5" in re.findall(r"<!-- ([^ ]+) -->", en)


def test_default_language_follows_vrtrainer_lang_then_the_locale(monkeypatch):
    from vrtrainer.language import default_language

    monkeypatch.delenv("VRTRAINER_LANG", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert default_language() == "fr"
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    assert default_language() == "en"
    monkeypatch.setenv("LC_ALL", "fr_BE@euro")
    assert default_language() == "fr"
    monkeypatch.setenv("VRTRAINER_LANG", "en")
    assert default_language() == "en"
