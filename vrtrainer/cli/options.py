"""Options several commands share, declared once so they read and check alike."""

from __future__ import annotations

from typing import Annotated

import typer

from vrtrainer.language import ENV_VAR, LANGUAGES, check_language


def _checked_language(value: str) -> str:
    try:
        return check_language(value.strip().lower())
    except Exception as exc:  # shown as a usage error: one line and a hint
        raise typer.BadParameter(str(exc).removeprefix("--lang ")) from None


#: ``--lang``: the one language option, default from $VRTRAINER_LANG, else English.
LangOption = Annotated[str, typer.Option(
    "--lang", envvar=ENV_VAR, show_envvar=True, callback=_checked_language,
    metavar="|".join(LANGUAGES),
    help="Language of everything shown and written: " + " or ".join(LANGUAGES) + ".")]
DEFAULT_LANG = "en"
