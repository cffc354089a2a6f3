"""One example per command, shown at the end of its ``--help``; the flaw and fault tables.

Kept in one table so that a test can check every command has one, and so that the
examples stay in step with README.md.
"""

from __future__ import annotations

from pathlib import Path

import typer
from typer.models import CommandInfo

#: Command path (as typed after ``vrtrainer``) -> example lines.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "demo": ("vrtrainer demo -o out/demo --lang fr",),
    "doctor": ("vrtrainer doctor", "vrtrainer doctor --session 10"),
    "gestures": ("vrtrainer gestures",),
    "simulate": ("vrtrainer simulate --gesture pinch -o expert.vrtake",
                 "vrtrainer simulate --gesture pinch --role trainee --flaw slow=1.3 "
                 "--flaw jitter=4 -o trainee.vrtake"),
    "info": ("vrtrainer info trainee.vrtake",),
    "export-csv": ("vrtrainer export-csv trainee.vrtake -o trainee.csv",
                   "vrtrainer export-csv trainee.vrtake -o -   (to the terminal)"),
    "take": ("vrtrainer take recover attempt.vrtake.partial",),
    "take recover": ("vrtrainer take recover attempt.vrtake.partial -o attempt.vrtake",),
    "import": ("vrtrainer import shrec17 skeletons_world.txt -o g.vrtake",),
    "trim": ("vrtrainer trim take.vrtake -o trimmed.vrtake",),
    "split": ("vrtrainer split long.vrtake --steps 3 -o steps/",),
    "render": ("vrtrainer render trainee.vrtake --ghost expert.vrtake -o frames/",),
    "reference": ("vrtrainer reference build e1.vrtake e2.vrtake e3.vrtake -o pinch.vrref",),
    "reference build": ("vrtrainer reference build e1.vrtake e2.vrtake e3.vrtake "
                        "-o pinch.vrref --html pinch.html",),
    "score": ("vrtrainer score trainee.vrtake --against pinch.vrref",
              "vrtrainer score trainee.vrtake --against pinch.vrref --json -o score.json"),
    "record": ("vrtrainer record pinch --step 1 --takes 3 -o takes/",),
    "replay": ("vrtrainer replay trainee.vrtake --against pinch.vrref --frames replay/",),
    "train": ("vrtrainer train pinch --flaw slow=1.3 --frames out/frames",
              "vrtrainer train welding-fillet --fault drag --lang fr",
              "vrtrainer train pinch.vrref   (against your own reference)"),
    "results": ("vrtrainer results list",),
    "results list": ("vrtrainer results list --trainee trainee-1 --limit 10",),
    "results show": ("vrtrainer results show 3",),
    "results export": ("vrtrainer results export --csv attempts.csv",),
    "xapi": ("vrtrainer xapi status",),
    "xapi send": ("vrtrainer xapi send --endpoint https://lrs.example/xapi --user U "
                  "--password P",),
    "xapi status": ("vrtrainer xapi status",),
    "report": ("vrtrainer report attempt --latest --html report.html",),
    "report attempt": ("vrtrainer report attempt --latest --html report.html --lang fr",
                       "vrtrainer report attempt 3 --html attempt3.html"),
    "report trainee": ("vrtrainer report trainee trainee-1 --html curve.html",),
    "report group": ("vrtrainer report group --html group.html --scenario welding-fillet",),
    "serve": ("vrtrainer serve --port 8765",),
    "trainer": ("vrtrainer trainer list",),
    "trainer add": ("vrtrainer trainer add alice   (asks for the password)",),
    "trainer list": ("vrtrainer trainer list",),
    "scenario": ("vrtrainer scenario list",),
    "scenario validate": ("vrtrainer scenario validate my-pack.zip",),
    "scenario list": ("vrtrainer scenario list",),
    "scenario show": ("vrtrainer scenario show hand-rub --lang fr",),
    "scenario try": ("vrtrainer scenario try welding-fillet --fault drag",),
}


def _epilog(path: str) -> str:
    lines = EXAMPLES.get(path)
    if not lines:
        return ""
    word = "Example" if len(lines) == 1 else "Examples"
    # click rewraps paragraphs; \b keeps the lines as written
    return "\b\n" + f"{word}:\n" + "\n".join(f"  {line}" for line in lines)


def _command_name(info: CommandInfo) -> str:
    callback_name = info.callback.__name__ if info.callback is not None else ""
    return info.name or callback_name.replace("_", "-")


def _groups(app: typer.Typer) -> list[tuple[str | None, typer.Typer]]:
    """(name, sub-application) of each group of ``app``."""
    return [(g.name or g.typer_instance.info.name, g.typer_instance)
            for g in app.registered_groups if g.typer_instance is not None]


def command_paths(app: typer.Typer, prefix: str = "") -> list[str]:
    """Every command and group path of ``app`` (``"reference build"``, ``"reference"``)."""
    paths = []
    for info in app.registered_commands:
        paths.append(f"{prefix}{_command_name(info)}")
    for name, sub in _groups(app):
        paths.append(f"{prefix}{name}")
        paths.extend(command_paths(sub, f"{prefix}{name} "))
    return paths


def attach_examples(app: typer.Typer, prefix: str = "") -> None:
    """Put each command's examples at the end of its ``--help``."""
    for info in app.registered_commands:
        info.epilog = info.epilog or _epilog(f"{prefix}{_command_name(info)}")
    for name, sub in _groups(app):
        sub.info.epilog = _epilog(f"{prefix}{name}")
        attach_examples(sub, f"{prefix}{name} ")


# --- what simulated trainees can get wrong, with amounts and units -----------------------

#: Builder keyword of a typical fault -> (what it sets, unit, factor from stored units).
_FAULT_UNITS: dict[str, tuple[str, str, float]] = {
    "one_sided": ("one hand rubbed only", "", 1.0),
    "work": ("work angle", "°", 1.0),
    "travel": ("travel angle", "°", 1.0),
    "ctwd": ("contact-tip distance", "\u00a0mm", 1000.0),
    "tilt": ("gun tilt", "°", 1.0),
    "distance": ("gun distance", "\u00a0cm", 100.0),
    "overlap": ("pass overlap", "\u00a0%", 100.0),
    "strokes": ("strokes", "", 1.0),
    "depth": ("compression depth", "\u00a0mm", 1000.0),
    "leaning": ("leaning", "\u00a0mm", 1000.0),
    "apart": ("hands apart", "\u00a0cm", 100.0),
    "roll_scale": ("turned", "x", 1.0),
    "skip_phases": ("phases left out", "", 1.0),
}


def flaw_help() -> str:
    """The simulator's flaws, their default amount and unit, for ``--flaw``'s help."""
    from vrtrainer.hands.sim import _FLAW_SPECS

    parts = []
    for name, (default, low, high, unit) in _FLAW_SPECS.items():
        if default is None:
            parts.append(name)
        else:
            parts.append(f"{name}={default:g} ({unit}, {low:g}-{high:g})")
    return "; ".join(parts)


def bundled_faults() -> dict[str, dict[str, dict]]:
    """Typical faults the repository's packs declare ([motion.faults]): pack id -> name -> sets.

    Read with tomllib alone (no schema, no numpy) so that ``--help`` stays quick; a
    pack that cannot be read is left out here and reported by ``scenario validate``.
    """
    import tomllib

    import vrtrainer

    root = Path(vrtrainer.__file__).resolve().parents[1] / "scenarios"
    out: dict[str, dict[str, dict]] = {}
    for toml in sorted(root.glob("*/scenario.toml")) if root.is_dir() else []:
        try:
            raw = toml.read_bytes()
            doc = tomllib.loads(raw.decode("utf-8")) if len(raw) <= 256 * 1024 else {}
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        motion = doc.get("motion")
        faults = motion.get("faults") if isinstance(motion, dict) else None
        if isinstance(faults, dict) and faults:
            out[str(doc.get("id", toml.parent.name))] = {
                str(k): v for k, v in faults.items() if isinstance(v, dict)}
    return out


def fault_help() -> str:
    """The bundled scenarios' typical faults and what each sets, for ``--fault``'s help."""
    parts = []
    for scenario, faults in bundled_faults().items():
        items = []
        for fault, kwargs in faults.items():
            sets = []
            for key, value in kwargs.items():
                label, unit, factor = _FAULT_UNITS.get(key, (key.replace("_", " "), "", 1.0))
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    sets.append(label)
                else:
                    sets.append(f"{label}\u00a0{value * factor:g}{unit}")
            items.append(f"{fault} ({', '.join(sets)})")
        parts.append(f"{scenario}: {', '.join(items)}")
    return "; ".join(parts)


# --- placeholders a newcomer can read: PATH, N, NUMBER, TEXT rather than <list[Path]> ---

_PLACEHOLDERS = {"Path": "PATH", "int": "N", "float": "NUMBER", "str": "TEXT"}


def _placeholder(param) -> str:
    annotation = param.type_descriptor.annotation
    args = getattr(annotation, "__args__", None)
    if getattr(annotation, "__origin__", None) is list and args:
        annotation = args[0]
    return _PLACEHOLDERS.get(getattr(annotation, "__name__", ""), "VALUE")


def plain_placeholders(command) -> None:
    """Give every parameter of ``command`` (and its subcommands) a plain upper-case name.

    typer shows ``<list[Path]>`` and ``{take}``; a newcomer reads ``PATH`` and ``TAKE...``.
    The parameters are plain objects, so their display methods are set on each one.
    """
    for param in getattr(command, "params", ()):
        if param.param_type_name == "option" and not (param.is_flag or param.count):
            if param.metavar is None:
                param.metavar = _placeholder(param)
        elif param.param_type_name == "argument":
            name = param.metavar or param.name.upper()
            many = "..." if param.nargs != 1 and not name.endswith("...") else ""
            shown = f"{name}{many}" if param.required else f"[{name}{many}]"
            param.metavar = name
            param._rich_display_name = lambda shown=name + many: shown
            param._usage_display_name = lambda shown=shown: shown
            param.display_type_rich = lambda ctx: None
    for sub in getattr(command, "commands", {}).values():
        plain_placeholders(sub)
