"""README.md's command blocks: every command parses, and the takes block runs in order.

A newcomer copies the README's commands one after the other; an option renamed in the
code, or a file used before the line that makes it, must fail here first.
"""

from __future__ import annotations

import glob
import re
import shlex
from pathlib import Path

import pytest
import typer

from vrtrainer.cli import app, main
from vrtrainer.cli.helptext import plain_placeholders

README = Path(__file__).resolve().parents[1] / "README.md"
PROGRAM = ".venv/bin/vrtrainer"


def _blocks() -> list[list[list[str]]]:
    """Each ```sh block of the README as its vrtrainer command lines (words, no comments)."""
    blocks = []
    for body in re.findall(r"```sh\n(.*?)```", README.read_text(), flags=re.S):
        body = body.replace("\\\n", " ")
        commands = []
        for line in body.splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == PROGRAM:
                commands.append(words[1:])
        blocks.append(commands)
    return blocks


def test_every_readme_command_parses():
    command = typer.main.get_command(app)
    plain_placeholders(command)
    lines = [c for block in _blocks() for c in block]
    assert len(lines) >= 25
    for words in lines:
        # parse only (required options, types, choices), the command is not run
        ctx = command.make_context("vrtrainer", list(words), resilient_parsing=False)
        while getattr(ctx.command, "commands", None):
            args = [*getattr(ctx, "_protected_args", ()), *ctx.args]
            assert args, words
            name, sub, rest = ctx.command.resolve_command(ctx, args)
            ctx = sub.make_context(name, rest, parent=ctx)


def test_the_takes_block_runs_in_order_as_written(tmp_path, monkeypatch, capsys):
    block = next(b for b in _blocks() if b and b[0] == ["gestures"])
    monkeypatch.chdir(tmp_path)
    for words in block:
        words = [w for word in words for w in (sorted(glob.glob(word)) or [word])]
        code = main(words)
        assert code == 0, (words, capsys.readouterr().err)
    for made in ("e1.vrtake", "trainee.vrtake", "trainee.csv", "trimmed.vrtake",
                 "sim-pinch.vrref", "score.json"):
        assert (tmp_path / made).is_file(), made
    assert list((tmp_path / "frames").glob("*.png"))
    # as the README says: running it again refuses to replace the expert takes
    assert main(block[1]) == 2
    assert "--force" in capsys.readouterr().err


@pytest.mark.parametrize("words", [["--version"], ["scenario", "--help"]])
def test_readme_mentions_are_real(words, capsys):
    assert main(words) == 0
    assert capsys.readouterr().out
