"""The project's own exceptions: every refusal of bad input is one of these."""

from __future__ import annotations

from pathlib import Path


class VrtrainerError(Exception):
    """Base of every error vrtrainer raises on purpose (shown without traceback)."""


class InvalidFileError(VrtrainerError):
    """A file was refused: it names the file and says what is wrong with it."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class RenderError(VrtrainerError):
    """GL could not be set up or used (no EGL, no GL 3.3 core, a bad render target)."""
