"""`vrtrainer train` and `vrtrainer demo` from the command line, as a user runs them."""

import json
import sqlite3

from vrtrainer.cli import main


def test_train_prints_a_json_account_and_stores_the_attempt(tmp_path, capsys):
    db = tmp_path / "results.sqlite"
    code = main(["train", "pinch", "--flaw", "slow=1.3", "--no-render", "--json",
                 "--out", str(tmp_path / "takes"), "--db", str(db), "--trainee", "t-7"])
    out = capsys.readouterr().out
    assert code == 0
    summary = json.loads(out)
    [attempt] = summary["attempts"]
    assert attempt["ended_by"] == "done" and 0 <= attempt["score"] <= 100
    assert any("slower" in m for m in attempt["messages"])
    with sqlite3.connect(db) as con:
        rows = con.execute("select count(*) from attempts").fetchone()[0]
    assert rows == 1 and summary["attempt_ids"] == [1]


def test_train_refuses_bad_options_without_traceback(tmp_path, capsys):
    for args, words in (
        (["train", "pinch", "--backend", "telepathy"], "unknown backend"),
        (["train", "pinch", "--hand", "middle"], "--hand"),
        (["train", "no-such-thing"], "no-such-thing"),
        (["train", "pinch", "--backend", "replay"], "--take"),
        (["train", "pinch", "--size", "huge"], "--size"),
        (["train", "pinch", "--flaw", "sneeze=3"], "sneeze"),
    ):
        code = main([*args, "--no-store", "--out", str(tmp_path)])
        err = capsys.readouterr().err
        assert code == 2, args
        assert err.startswith("error:") and words in err and "Traceback" not in err, args


def test_demo_writes_everything_it_announces(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Work angle" in text and "report" in text
    takes = sorted((out / "takes").glob("*.vrtake"))
    assert len(takes) == 2 and not list((out / "takes").glob("*.partial"))
    assert len(list((out / "frames").glob("*.png"))) >= 6
    html = (out / "report.html").read_text()
    assert "welding-fillet" in html and "data:image/svg+xml;base64" in html
    with sqlite3.connect(out / "results.sqlite") as con:
        assert con.execute("select count(*) from attempts").fetchone()[0] == 2
