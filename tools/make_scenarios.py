#!/usr/bin/env python3
"""Build the bundled scenario packs' meshes and expert reference takes, reproducibly.

For each pack in scenarios/ (welding-fillet, spray-panel, cpr-compressions,
hand-rub, screw-terminal) this writes:

* ``assets/*.glb``: simple meshes made with trimesh (bench, workpieces, tools);
* ``takes/<step>-<n>.vrtake``: three expert takes per step, simulated by
  :mod:`vrtrainer.hands.sim` from the motion the pack declares in its ``[motion]``
  table (a builder of :mod:`vrtrainer.trade.motions`) at 60 Hz (hand
  tracking's usual rate). They are labelled synthetic expert motion in their
  metadata. As a trainer keeps only good recordings, a simulated take is kept
  only if every trade metric of its step is in band; seeds are tried in order,
  so the same code gives the same takes.

Run from the repository root: ``.venv/bin/python tools/make_scenarios.py [ID...]``.
The scenario.toml files are written by hand; this script reads their geometry.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import trimesh

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vrtrainer.hands import sim  # noqa: E402
from vrtrainer.scenario.loader import (  # noqa: E402
    build_scenario,
    check_document,
    parse_scenario_toml,
)
from vrtrainer.takes.take import save_take  # noqa: E402
from vrtrainer.trade import motions as trade_motions  # noqa: E402
from vrtrainer.trade.metrics import compute_metrics  # noqa: E402

RATE = 60.0
TAKES_PER_STEP = 3
MAX_SEEDS = 40

STEEL = (150, 155, 160, 255)
DARK = (40, 40, 45, 255)
WOOD = (160, 120, 80, 255)
GREY = (110, 110, 115, 255)
SKIN = (230, 190, 160, 255)
BLUE = (40, 90, 170, 255)
WHITE = (235, 235, 235, 255)
COPPER = (190, 110, 60, 255)


def box(extents, centre, color) -> trimesh.Trimesh:
    m = trimesh.creation.box(extents=extents)
    m.apply_translation(centre)
    m.visual.face_colors = color
    return m


def cylinder(radius, z0, z1, color, axis="z", at=(0.0, 0.0)) -> trimesh.Trimesh:
    """A cylinder along ``axis`` from z0 to z1, centred at ``at`` across it."""
    m = trimesh.creation.cylinder(radius=radius, height=z1 - z0, sections=24)
    m.apply_translation((0, 0, (z0 + z1) / 2))
    if axis == "y":
        m.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, (1, 0, 0)))
        m.apply_translation((at[0], 0, at[1]))
    else:
        m.apply_translation((at[0], at[1], 0))
    m.visual.face_colors = color
    return m


def save_glb(path: Path, parts: list[trimesh.Trimesh]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    scene = trimesh.Scene()
    for i, part in enumerate(parts):
        scene.add_geometry(part, node_name=f"part{i}", geom_name=f"part{i}")
    path.write_bytes(scene.export(file_type="glb"))


def welding_assets(pack: Path) -> None:
    # Bench top at 0.894 m, under the base plate (object placed at z = -0.45).
    save_glb(pack / "assets/bench.glb", [
        box((1.0, 0.04, 0.6), (0, 0.874, 0), WOOD),
        *[box((0.05, 0.854, 0.05), (x, 0.427, z), GREY) for x in (-0.45, 0.45)
          for z in (-0.25, 0.25)],
    ])
    # T-joint: base plate top at local y = 0 towards the trainee, standing plate behind.
    save_glb(pack / "assets/tee_joint.glb", [
        box((0.12, 0.006, 0.15), (0, -0.003, 0.075), STEEL),
        box((0.12, 0.08, 0.006), (0, 0.04, -0.003), STEEL),
    ])
    # Torch: frame at the contact tip, the body along +Z (away from the wire).
    save_glb(pack / "assets/torch.glb", [
        cylinder(0.009, 0.0, 0.035, COPPER),
        cylinder(0.006, 0.035, 0.13, STEEL),
        cylinder(0.017, 0.13, 0.27, DARK),
        cylinder(0.008, 0.27, 0.40, DARK),
    ])


def painting_assets(pack: Path) -> None:
    save_glb(pack / "assets/stand.glb", [
        box((0.05, 1.0, 0.05), (0, 0.5, -0.03), GREY),
        box((0.6, 0.03, 0.4), (0, 0.015, -0.03), GREY),
    ])
    save_glb(pack / "assets/panel.glb", [box((0.6, 0.4, 0.01), (0, 0, 0), WHITE)])
    # Spray gun: frame at the nozzle, barrel along +Z, cup on top, handle below.
    save_glb(pack / "assets/spray_gun.glb", [
        cylinder(0.008, 0.0, 0.02, STEEL),
        box((0.03, 0.045, 0.13), (0, 0, 0.085), BLUE),
        cylinder(0.035, 0.02, 0.14, WHITE, axis="y", at=(0, 0.06)),
        box((0.025, 0.1, 0.035), (0, -0.07, 0.06), BLUE),
    ])


def cpr_assets(pack: Path) -> None:
    # Torso lying on the floor, chest surface at 0.2 m; placed at z = -0.4.
    head = trimesh.creation.icosphere(radius=0.1)
    head.apply_translation((-0.42, 0.1, 0))
    head.visual.face_colors = SKIN
    save_glb(pack / "assets/manikin.glb", [
        box((0.6, 0.2, 0.36), (0.05, 0.1, 0), SKIN),
        box((0.5, 0.14, 0.3), (0.6, 0.07, 0), BLUE),
        head,
    ])


def handrub_assets(pack: Path) -> None:
    save_glb(pack / "assets/dispenser.glb", [
        box((0.08, 0.16, 0.06), (0, 0, 0), WHITE),
        cylinder(0.008, 0.08, 0.12, GREY, axis="y"),
        box((0.05, 0.012, 0.012), (0, 0.12, 0.02), GREY),
    ])


def screw_terminal_assets(pack: Path) -> None:
    # A vertical mounting plate with a DIN rail, placed 2 cm behind the terminal's face.
    save_glb(pack / "assets/panel.glb", [
        box((0.5, 0.35, 0.01), (0, 0, -0.005), GREY),
        box((0.4, 0.035, 0.0075), (0, 0, 0.00375), STEEL),
    ])
    # Terminal block: three ways side by side, the middle screw's head centre at the
    # origin (its face at z = 0, facing +Z), a slot across each head along X.
    parts = [box((0.018, 0.045, 0.02), (x, 0, -0.01), GREY) for x in (-0.018, 0.0, 0.018)]
    for x in (-0.018, 0.0, 0.018):
        parts.append(cylinder(0.0035, -0.003, 0.0, STEEL, at=(x, 0.0)))
        parts.append(box((0.006, 0.0008, 0.0005), (x, 0.0, 0.00025), DARK))
        parts.append(box((0.006, 0.006, 0.004), (x, -0.015, 0.002), COPPER))  # wire entry
    save_glb(pack / "assets/terminal_block.glb", parts)
    # The bundled screwdriver, copied so that the pack carries every file it names.
    (pack / "assets/screwdriver.glb").write_bytes((ROOT / "assets/screwdriver.glb").read_bytes())


ASSETS = {
    "screw-terminal": screw_terminal_assets,
    "welding-fillet": welding_assets,
    "spray-panel": painting_assets,
    "cpr-compressions": cpr_assets,
    "hand-rub": handrub_assets,
}


def load_description(pack: Path):
    """The pack's Scenario from its TOML alone (its takes may not exist yet)."""
    path = pack / "scenario.toml"
    doc, scan = parse_scenario_toml(path.read_bytes(), str(path))
    problems = check_document(doc, scan, str(path))
    if problems:
        raise SystemExit("\n".join(str(p) for p in problems))
    return build_scenario(doc, pack)


def expert_takes(pack: Path) -> None:
    scenario = load_description(pack)
    takes_dir = pack / "takes"
    takes_dir.mkdir(exist_ok=True)
    for old in takes_dir.glob("*.vrtake"):
        old.unlink()
    for index, step in enumerate(scenario.steps):
        kept = 0
        for seed in range(1, MAX_SEEDS + 1):
            gesture = trade_motions.step_gesture(scenario, step.id, variation=seed)
            take = sim.simulate(gesture, role="expert", seed=seed, rate=RATE)
            results = compute_metrics(scenario, take, step.metrics)
            if any(r.verdict != "ok" for r in results.values()):
                continue
            kept += 1
            take.meta.scenario = scenario.id
            take.meta.step = index
            take.meta.notes = (f"synthetic expert motion: vrtrainer.hands.sim of {gesture.name}, "
                               f"seed {seed}, kept because every trade metric is in band")
            take.meta.extra["kept_seed"] = seed
            rel = step.reference_takes[kept - 1]
            save_take(take, pack / rel)
            print(f"{scenario.id}: {rel} (seed {seed}, {take.duration:.1f} s)")
            if kept == len(step.reference_takes):
                break
        if kept < len(step.reference_takes):
            raise SystemExit(f"{scenario.id}/{step.id}: only {kept} takes in band "
                             f"in {MAX_SEEDS} seeds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", default=sorted(ASSETS), help="scenario ids")
    args = parser.parse_args()
    for sid in args.ids:
        pack = ROOT / "scenarios" / sid
        ASSETS[sid](pack)
        expert_takes(pack)


if __name__ == "__main__":
    main()
