"""Build hook: the top-level assets/ folder goes into the wheel as vrtrainer/_assets.

Everything else about the package is in pyproject.toml. The assets stay at the top of
the repository (tools/ builds them there); vrtrainer.assets finds this copy in an install
and the top-level folder in a checkout.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ASSETS = Path(__file__).resolve().parent / "assets"


class BuildWithAssets(build_py):
    """build_py, then copy assets/ into the built package (skipped in editable builds)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's assets/ directly
        target = Path(self.build_lib) / "vrtrainer" / "_assets"
        shutil.copytree(ASSETS, target, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("README.md"))


setup(cmdclass={"build_py": BuildWithAssets})
