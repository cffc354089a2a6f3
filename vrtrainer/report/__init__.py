"""Self-contained HTML reports of stored attempts: one attempt, one trainee, a group.

The pages have their CSS, plots (SVG) and pictures (PNG) inline and no script, in French
(default) or English::

    from vrtrainer.report import write_attempt_report
    with ResultsStore.open() as store:
        write_attempt_report(store, attempt_id, "report.html", lang="fr")
"""

from vrtrainer.report.attempt import attempt_page, write_attempt_report
from vrtrainer.report.progress import (
    group_page,
    trainee_page,
    write_group_report,
    write_trainee_report,
)
from vrtrainer.report.texts import LANGUAGES

__all__ = [
    "LANGUAGES",
    "attempt_page",
    "group_page",
    "trainee_page",
    "write_attempt_report",
    "write_group_report",
    "write_trainee_report",
]
