"""Errors of the OpenXR backend: each says what went wrong and what to do."""

from __future__ import annotations

from vrtrainer.errors import VrtrainerError


class OpenXRError(VrtrainerError):
    """Something about the OpenXR runtime stops vrtrainer from running in the headset."""


class RuntimeUnavailableError(OpenXRError):
    """No usable OpenXR runtime or headset (not installed, not started, refused us)."""


class MissingExtensionError(OpenXRError):
    """The runtime lacks an extension that the chosen mode cannot do without."""


class RuntimeLostError(OpenXRError):
    """The runtime went away during the session (crashed, was stopped, lost the headset)."""
