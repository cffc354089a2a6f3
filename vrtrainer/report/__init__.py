"""Self-contained HTML reports of stored attempts: one attempt, one trainee, a group.

The pages have their CSS, plots (SVG) and pictures (PNG) inline and no script, in French
(default) or English::

    from vrtrainer.report import write_attempt_report
    with ResultsStore.open() as store:
        write_attempt_report(store, attempt_id, "report.html", lang="fr")
"""

import importlib
from typing import Any

#: Where each public name lives. They load on first use, so that the word lists and the
#: reference page used by `vrtrainer reference build` need no matplotlib (the [reports]
#: extra) when no report page is drawn.
_PUBLIC = {
    "LANGUAGES": "texts",
    "attempt_page": "attempt",
    "write_attempt_report": "attempt",
    "group_page": "progress",
    "trainee_page": "progress",
    "write_group_report": "progress",
    "write_trainee_report": "progress",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
