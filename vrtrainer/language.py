"""The languages vrtrainer speaks, and the one default every command uses.

The default is ``VRTRAINER_LANG`` if set (``export VRTRAINER_LANG=fr`` once, in a training
centre's profile, and every command, cue panel and report speaks French), else the
system's own language when vrtrainer speaks it (``LANG=fr_FR.UTF-8``: French), else
English; ``--lang`` overrides it for one command.
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
    """``$VRTRAINER_LANG`` if set (and known), else the locale's if spoken, else English."""
    lang = os.environ.get(ENV_VAR, "").strip().lower()
    if lang:
        return check_language(lang, ENV_VAR)
    return system_language() or "en"


def system_language() -> str | None:
    """The language of the POSIX locale (LC_ALL, LC_MESSAGES, LANG) if vrtrainer speaks it."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            code = value.split(".")[0].split("_")[0].split("@")[0].lower()
            return code if code in LANGUAGES else None
    return None
