"""The reference each scored attempt was judged against, kept as files beside its takes.

A report made later must show the attempt against what scored it, not against a
reference rebuilt from a pack or a simulator that may have changed since. So the first
scored attempt of a step writes the step's comparator template (``.vrref``) and the
expert take its ghost showed (``.vrtake``) into ``<session folder>/references/``; the
attempt stores the template's path and SHA-256 as it stores its take's. The template's
``info`` names the ghost file and its SHA-256, and the step's title, scenario and step id,
so the reference file alone tells a report everything it needs.

Built-in gestures and packs without a ``.vrref`` have templates built in memory: they
get a file all the same, here. Files are named by their content's hash, so sessions
sharing a folder never overwrite a reference an earlier attempt points to.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from vrtrainer.compare.template import save_template
from vrtrainer.files import sha256_file
from vrtrainer.takes.take import save_take

if TYPE_CHECKING:  # the session imports this module to keep its steps' references
    from vrtrainer.session.training import TrainingStep

#: The folder of a session's output that holds the kept references.
FOLDER = "references"


def _slug(text: str) -> str:
    kept = "".join(c if c.isalnum() or c in "-_." else "-" for c in text)
    return kept.strip("-.")[:60] or "reference"


def _keep(write, folder: Path, stem: str, suffix: str) -> tuple[Path, str]:
    """Write a file through ``write(path)``, then name it by its SHA-256 (first 12)."""
    folder.mkdir(parents=True, exist_ok=True)
    scratch = folder / f".{stem}.{os.getpid()}.partial{suffix}"
    try:
        write(scratch)
        digest = sha256_file(scratch)
        final = folder / f"{stem}-{digest[:12]}{suffix}"
        os.replace(scratch, final)
    finally:
        scratch.unlink(missing_ok=True)
    return final, digest


def keep_reference(step: TrainingStep, folder: str | Path) -> Path | None:
    """Write ``step``'s template and ghost into ``folder/references``; the template's path.

    None when the step has no template (a coach that is not a comparator).
    """
    template = step.reference
    if template is None:
        return None
    where = Path(folder) / FOLDER
    stem = _slug(f"{step.scenario_id or template.name}-step{step.index + 1}")
    ghost, ghost_sha = _keep(lambda p: save_take(step.expert, p), where, stem, ".vrtake")
    info = dict(template.info)
    info.update(ghost=ghost.name, ghost_sha256=ghost_sha, title=dict(step.title),
                scenario_id=step.scenario_id, scenario_version=step.scenario_version,
                step_id=step.step_id)
    kept = replace(template, info=info)
    path, _ = _keep(lambda p: save_template(kept, p), where, stem, ".vrref")
    return path
