"""Where the shared assets are: the top-level ``assets/`` folder, from a checkout or an install.

The folder (default scene meshes, tool meshes, advice pictograms; built by ``tools/``,
see ``assets/README.md``) lives at the top of the repository. A wheel carries a copy as
the package data ``vrtrainer/_assets`` (``setup.py`` copies it in at build time), so an
installed vrtrainer finds the same files without the checkout. One function answers for
both, so no module guesses paths relative to its own file.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: The package data folder a built wheel holds the assets in.
PACKAGED = "_assets"


def assets_dir() -> Path:
    """The assets folder: the installed package's copy, else the checkout's ``assets/``."""
    packaged = resources.files("vrtrainer").joinpath(PACKAGED)
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[1] / "assets"


def asset_path(name: str) -> Path:
    """The path of asset ``name`` (for example ``"workbench.glb"``, ``"pictograms/faster.png"``)."""
    return assets_dir() / name
