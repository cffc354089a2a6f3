"""Reports over many attempts: one trainee's learning curve, and a group's table.

A trainee's page shows every stored attempt of theirs as a score over time, one curve
per scenario step, then a summary per step and the list of attempts. The group page is
the trainer's overview: trainees down, scenario steps across, best and last score and
whether the step was ever passed.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path

from vrtrainer.errors import VrtrainerError
from vrtrainer.report import plots
from vrtrainer.report.attempt import footer, verdict, verdict_text, when
from vrtrainer.report.page import (
    bar,
    document,
    esc,
    facts,
    image,
    num,
    page_language,
    section,
    table,
    write_page,
)
from vrtrainer.report.texts import check_lang, text

DEFAULT_PASS_MARK = 70.0


def step_key(attempt) -> tuple[str, str]:
    return attempt.scenario_id, attempt.step


def step_label(key: tuple[str, str], lang: str, many_steps: bool = True) -> str:
    """'scenario · Step 2' (or just the scenario id when it has one step here)."""
    scenario, step = key
    return f"{scenario} · {text('step', lang)} {step}" if many_steps else scenario


def pass_mark(attempts: Sequence) -> float | None:
    """The pass mark the attempts were judged by, when they all share one."""
    marks = set()
    for a in attempts:
        b = a.breakdown if isinstance(a.breakdown, Mapping) else {}
        raw = b.get("details")
        details = raw if isinstance(raw, Mapping) else {}
        mark = b.get("pass_threshold", details.get("pass_mark", DEFAULT_PASS_MARK))
        if isinstance(mark, int | float) and not isinstance(mark, bool):
            marks.add(float(mark))
    return marks.pop() if len(marks) == 1 else None


def _by_step(attempts: Sequence) -> OrderedDict[tuple[str, str], list]:
    groups: OrderedDict[tuple[str, str], list] = OrderedDict()
    for a in sorted(attempts, key=lambda a: (a.started_at, a.id)):
        groups.setdefault(step_key(a), []).append(a)
    return groups


def _mark(kind: str) -> str:
    cls = {"pass": "ok", "fail": "ko", "rejected": "rej"}[kind]
    sign = {"pass": "✔", "fail": "✘", "rejected": "∅"}[kind]
    return f'<span class="{cls}">{sign}</span>'


def trainee_page(trainee: str, attempts: Sequence, lang: str = "fr") -> str:
    """The HTML of one trainee's learning curve over ``attempts``."""
    check_lang(lang)
    with page_language(lang):
        return _trainee_page(trainee, attempts, lang)


def _trainee_page(trainee: str, attempts: Sequence, lang: str) -> str:
    """The HTML of one trainee's progress over ``attempts`` (theirs, any order)."""
    check_lang(lang)
    if not attempts:
        raise VrtrainerError(f"no stored attempt for trainee {trainee!r}")
    groups = _by_step(attempts)
    many = len({k[0] for k in groups}) != len(groups) or any(k[1] != "1" for k in groups)
    curves = {step_label(k, lang, many): [plots.CurvePoint(a.started_at, a.score, a.passed)
                                          for a in v] for k, v in groups.items()}
    svg = plots.learning_curve(curves, pass_mark(attempts), text("score", lang),
                               text("pass_mark", lang), lang)
    described = "; ".join(
        f"{label}: {len(points)} × {text('score', lang).lower()} "
        f"{num(points[0].score, 0)} → {num(points[-1].score, 0)}, "
        f"{text('best', lang).lower()} {num(max(p.score for p in points), 0)}"
        for label, points in curves.items())
    curve = image(svg, "image/svg+xml", f"{text('learning_curve', lang)}. {described}",
                  esc(text("learning_caption", lang)))
    summary = [(esc(step_label(k, lang, many)), str(len(v)),
                num(max(a.score for a in v), 0), num(v[-1].score, 0), bar(v[-1].score),
                _mark("pass" if any(a.passed for a in v) else "fail"))
               for k, v in groups.items()]
    summary_table = table((text("scenario", lang), text("attempts", lang), text("best", lang),
                           text("last", lang), "", text("passed", lang)), summary,
                          numeric=(1, 2, 3), cls="summary")
    ordered = sorted(attempts, key=lambda a: (a.started_at, a.id))
    rows = [(str(int(a.id)), esc(when(a.started_at, lang)), esc(a.scenario_id), esc(a.step),
             num(a.score, 1), bar(a.score),
             f"{_mark(verdict(a))} {esc(verdict_text(verdict(a), lang))}",
             num(a.duration_s, 1, " s")) for a in ordered]
    attempt_table = table(("#", text("date", lang), text("scenario", lang), text("step", lang),
                           text("score", lang), "", text("verdict", lang),
                           text("duration", lang)), rows, numeric=(0, 4, 7), cls="attempts")
    name = ordered[-1].trainee_name
    who = esc(trainee) + (f" ({esc(name)})" if name else "")
    # the badge shows the best PASSED attempt; a failed one, however high, is not "best"
    passed = [a.score for a in ordered if a.passed]
    best = max(passed) if passed else max(a.score for a in ordered)
    kind = "pass" if passed else "fail"
    badge = text("best" if passed else "best_not_passed", lang)
    header = (f"<div><h1>{esc(text('trainee_title', lang))}</h1>" + facts([
        (text("trainee", lang), who),
        (text("attempt_count", lang), str(len(ordered))),
        (text("date", lang), f"{esc(when(ordered[0].started_at, lang))} – "
                             f"{esc(when(ordered[-1].started_at, lang))}"),
    ]) + f'</div><div class="badge {kind}" id="score-badge"><div class="total">{num(best, 0)}'
        f'</div><div class="verdict">{esc(badge)}</div></div>')
    sections = [section(text("learning_curve", lang), curve, "curve"),
                section(text("summary", lang), summary_table, "summary"),
                section(text("attempts", lang), attempt_table, "attempts")]
    title = f"{text('trainee_title', lang)} – {trainee}"
    return document(title, header, sections, footer(lang), lang)


def group_page(attempts: Sequence, trainees: Sequence[tuple[str, str | None]], lang: str = "fr",
               scenario_id: str | None = None) -> str:
    """The HTML of the trainees x scenario steps table over ``attempts``."""
    check_lang(lang)
    with page_language(lang):
        return _group_page(attempts, trainees, lang, scenario_id)


def _group_page(attempts: Sequence, trainees: Sequence[tuple[str, str | None]], lang: str,
                scenario_id: str | None) -> str:
    """The HTML of the trainees x scenario steps table over ``attempts``."""
    check_lang(lang)
    groups = _by_step(attempts)
    keys = sorted(groups)
    many = len({k[0] for k in keys}) != len(keys) or any(k[1] != "1" for k in keys)
    names = dict(trainees)
    cells: dict[tuple[str, tuple[str, str]], list] = {}
    for k, v in groups.items():
        for a in v:
            cells.setdefault((a.trainee, k), []).append(a)
    people = sorted({a.trainee for a in attempts})
    rows = []
    for person in people:
        who = esc(person) + (f"<br><span class=\"muted\">{esc(names[person])}</span>"
                             if names.get(person) else "")
        row = [who]
        for k in keys:
            mine = cells.get((person, k))
            if not mine:
                row.append('<span class="muted">–</span>')
                continue
            best = max(a.score for a in mine)
            ever = any(a.passed for a in mine)
            row.append(f"{num(best, 0)} / {num(mine[-1].score, 0)} "
                       f"{_mark('pass' if ever else 'fail')}<br>"
                       f'<span class="muted">{len(mine)} ×</span>')
        rows.append(row)
    headers = [text("trainee", lang)] + [step_label(k, lang, many) for k in keys]
    body = (f'<p class="muted">{esc(text("group_caption", lang))}</p>'
            f'<p class="muted">{esc(text("best", lang))} / {esc(text("last", lang))}</p>'
            + table(headers, rows, cls="group")) if rows else (
        f'<p class="muted">{esc(text("no_attempts", lang))}</p>')
    passed = sum(1 for p in people if any(
        a.passed for k in keys for a in cells.get((p, k), [])))
    items = [(text("trainees", lang), str(len(people))),
             (text("attempt_count", lang), str(len(attempts)))]
    if scenario_id is not None:
        items.insert(0, (text("scenario", lang), esc(scenario_id)))
    kind = "pass" if people and passed == len(people) else "fail"
    header = (f"<div><h1>{esc(text('group_title', lang))}</h1>{facts(items)}</div>"
              f'<div class="badge {kind}" id="score-badge"><div class="total">{passed}/'
              f'{len(people)}</div><div class="verdict">{esc(text("passed_some", lang))}'
              "</div></div>")
    title = text("group_title", lang) + (f" – {scenario_id}" if scenario_id else "")
    return document(title, header, [section(text("summary", lang), body, "group")],
                    footer(lang), lang)


def write_trainee_report(store, trainee: str, out_path: str | os.PathLike[str],
                         lang: str = "fr") -> Path:
    """Write the HTML progress report of ``trainee`` (pseudonym); returns its path."""
    check_lang(lang)
    return write_page(out_path, trainee_page(trainee, store.trainee_history(trainee), lang))


def write_group_report(store, out_path: str | os.PathLike[str], scenario_id: str | None = None,
                       lang: str = "fr") -> Path:
    """Write the group's HTML table (only ``scenario_id`` when given); returns its path."""
    check_lang(lang)
    attempts = store.list_attempts(scenario_id=scenario_id)
    if not attempts and scenario_id is not None:
        raise VrtrainerError(f"no stored attempt for scenario {scenario_id!r}")
    return write_page(out_path, group_page(attempts, store.trainees(), lang, scenario_id))
