"""The backends a run can be given by name, in one factory map.

``make_backend("simulated", options)`` builds the pose source a training or
recording run asks for, as an OpenXR sample picks its graphics plugin by name.
A new backend is one entry in :data:`BACKENDS` (and a class with the
:class:`~vrtrainer.backends.base.Backend` protocol); the runs, the CLI and its
``--backend`` choices follow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from vrtrainer.backends.base import Backend
from vrtrainer.backends.scripted import PersonScript, ReplayBackend, SimulatedBackend
from vrtrainer.errors import VrtrainerError
from vrtrainer.takes.take import Take


@dataclass
class BackendOptions:
    """What any backend may be built from; each uses its part.

    ``takes`` are the simulated person's performances (``simulated``) or the takes
    replayed (``replay``); ``targets`` the offscreen or mirror views a scripted
    backend renders into; ``tool_names`` and ``tool_hand`` the tools a headset's
    controller holds.
    """

    takes: Sequence[Take] = field(default_factory=list)
    script: PersonScript = field(default_factory=PersonScript)
    targets: Any = None
    paced: bool = False
    tool_names: tuple[str, ...] = ()
    tool_hand: str = "right"


@dataclass(frozen=True)
class BackendKind:
    """One entry of the map: how to build it and what it is.

    ``headset``: it shows the session itself (OpenXR), so a run makes no offscreen
    views or mirror window for it. ``takes``: what :attr:`BackendOptions.takes`
    must hold for it: ``"simulated"``, ``"replayed"`` or ``""`` (none).
    """

    make: Callable[[BackendOptions], Backend]
    headset: bool = False
    takes: str = ""
    draws: bool = True  # False: a headless runtime, nothing is drawn


def _openxr(options: BackendOptions, headless: bool) -> Backend:
    from vrtrainer.xr.frame_backend import OpenXRFrameBackend

    return OpenXRFrameBackend(headless=headless, tool_names=options.tool_names,
                              tool_hand=options.tool_hand)


BACKENDS: dict[str, BackendKind] = {
    "simulated": BackendKind(
        lambda o: SimulatedBackend(o.takes, script=o.script, targets=o.targets,
                                   paced=o.paced),
        takes="simulated"),
    "replay": BackendKind(
        lambda o: ReplayBackend(o.takes, script=o.script, targets=o.targets, paced=o.paced),
        takes="replayed"),
    "openxr": BackendKind(lambda o: _openxr(o, headless=False), headset=True),
    "openxr-headless": BackendKind(lambda o: _openxr(o, headless=True), headset=True,
                                   draws=False),
}


def backend_kind(name: str) -> BackendKind:
    """The entry for ``name``, or an error listing the names there are."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise VrtrainerError(f"unknown backend {name!r}; choose from "
                             f"{', '.join(BACKENDS)}") from None


def make_backend(name: str, options: BackendOptions) -> Backend:
    """Build the backend called ``name`` from ``options``."""
    return backend_kind(name).make(options)
