"""The languages vrtrainer speaks, and the one default every command uses.

The default is English unless ``VRTRAINER_LANG`` says otherwise (``export
VRTRAINER_LANG=fr`` once, in a training centre's profile, and every command, cue panel
and report speaks French); ``--lang`` overrides it for one command.
"""

from __future__ import annotations

import os

from vrtrainer.errors import VrtrainerError

LANGUAGES = ("fr", "en")
ENV_VAR = "VRTRAINER_LANG"


def check_language(lang: str, what: str = "--lang") -> str:
    """Return ``lang`` if vrtrainer speaks it, else refuse it in one line."""
    if lang not in LANGUAGES:
        raise VrtrainerError(f"{what} must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return lang


def default_language() -> str:
    """``$VRTRAINER_LANG`` if set (and known), else English."""
    lang = os.environ.get(ENV_VAR, "").strip().lower() or "en"
    return check_language(lang, ENV_VAR)
