"""`vrtrainer demo`: the main job on an embedded default, headless."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

console = Console()


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for everything written.")] = Path(
        "out/demo"
    ),
    gesture: Annotated[str, typer.Option(help="Built-in gesture.")] = "pinch",
    seed: Annotated[int, typer.Option(help="Seed of the simulated people.")] = 7,
) -> None:
    """Simulate an expert and a flawed trainee, and say what can be said of them."""
    from vrtrainer import sim
    from vrtrainer.cli.takes import info
    from vrtrainer.take import save_take

    out.mkdir(parents=True, exist_ok=True)
    expert = sim.simulate(gesture, role="expert", seed=seed)
    flaws = [sim.parse_flaw(f) for f in ("slow=1.3", "jitter=4", "dropout=0.05")]
    trainee = sim.simulate(gesture, role="trainee", flaws=flaws, seed=seed + 1,
                           hand_length=0.2)
    paths = {"expert": out / "expert.vrtake", "trainee": out / "trainee.vrtake"}
    save_take(expert, paths["expert"])
    save_take(trainee, paths["trainee"])
    for role, path in paths.items():
        console.rule(f"{role}: {path}")
        info(path)
