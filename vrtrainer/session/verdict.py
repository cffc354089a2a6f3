"""The one wording of a verdict: passed or not, why not, and the first pieces of advice.

Every command that tells a trainee how an attempt went (``train``, ``demo``, ``score``,
``replay``, ``results``, ``scenario try``) says it through these functions, so the words,
the rounding and the reasons are the same everywhere and in the chosen language.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from vrtrainer.compare.score import MIN_COVERAGE, PASS_MARK
from vrtrainer.compare.wording import comparator_message, verdict_word
from vrtrainer.session.loop import LoopResult

__all__ = ["attempt_lines", "criterion_messages", "reasons", "timing_note", "verdict_word"]

#: How many pieces of advice the normal output shows after the verdict.
ADVICE_SHOWN = 2

_WORDS = {
    "en": {"pass": "passed", "fail": "not passed", "rejected": "not passed (another gesture)",
           "pass_mark": "pass mark", "below": "score {score} is below the pass mark {mark}",
           "shape_below": "shape {shape} is below {mark} (the shape must pass too)",
           "coverage": "the hands were tracked for only {pct} % of the gesture (at least "
                       "{need} % needed)",
           "skipped": "part of the gesture was skipped",
           "rejected_why": "this is not the expert's gesture (mismatch {mismatch} is beyond what "
                           "the reference accepts)",
           "metric": "{label}: out of its band",
           "time": "time limit not kept",
           "step": "step {step}, attempt {attempt}:",
           "mark": "pass mark {mark}",
           "take": "take",
           # the session's own phase names (scripts watching stdout wait for ": attempt")
           "phases": {},
           "not_scored": "not scored ({why})",
           "timing_vs_tempo": "timing {timing}: overall pace x{tempo} like the expert's, but "
                              "uneven within phases or with pauses",
           "rule_tempo": "time x{value} of the expert's (limit x{limit})",
           "rule_unsteady": "the hand shakes: {value} mm (limit {limit} mm)",
           "rule_skipped": "a movement was not made",
           "rule_part": "a part of the hand was off for a moment (quality {value}, mark "
                        "{limit})"},
    "fr": {"pass": "réussi", "fail": "non réussi", "rejected": "non réussi (autre geste)",
           "pass_mark": "seuil de réussite",
           "below": "score {score} sous le seuil de réussite {mark}",
           "shape_below": "forme {shape} sous {mark} (la forme doit aussi être réussie)",
           "coverage": "mains suivies sur seulement {pct} % du geste (au moins {need} % requis)",
           "skipped": "une partie du geste a été sautée",
           "rejected_why": "ce n'est pas le geste de l'expert (écart {mismatch} au-delà de ce "
                           "que la référence accepte)",
           "metric": "{label} : hors de sa plage",
           "time": "limite de temps non respectée",
           "step": "étape {step}, essai {attempt} :",
           "mark": "seuil {mark}",
           "take": "prise",
           "phases": {"intro": "présentation", "watch": "regardez l'expert",
                      "attempt": "à vous", "feedback": "retour", "done": "terminé"},
           "not_scored": "non évalué ({why})",
           "timing_vs_tempo": "rythme {timing} : allure globale x{tempo} comme l'expert, mais "
                              "irrégulière dans les phases ou avec des pauses",
           "rule_tempo": "durée x{value} de celle de l'expert (limite x{limit})",
           "rule_unsteady": "la main tremble : {value} mm (limite {limit} mm)",
           "rule_skipped": "un mouvement n'a pas été fait",
           "rule_part": "une partie de la main s'est écartée un moment (qualité {value}, "
                        "seuil {limit})"},
}


#: The comparator's rules (vrtrainer.compare.score.RULES) said here, and their wording key.
_RULE_KEYS = {"tempo": "rule_tempo", "unsteady": "rule_unsteady", "skipped": "rule_skipped",
              "part": "rule_part"}


def fmt(value: float, digits: int, lang: str) -> str:
    """A number with ``digits`` decimals, a decimal comma in French."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "fr" else text


def words(lang: str) -> Mapping[str, Any]:
    return _WORDS.get(lang, _WORDS["en"])


def _number(d: Mapping[str, Any] | None, key: str) -> float | None:
    v = (d or {}).get(key)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return None
    return float(v)


def pass_mark(breakdown: Mapping[str, Any]) -> float:
    """The score needed to pass this attempt's step."""
    for value in (_number(breakdown, "pass_threshold"),
                  _number(breakdown.get("details") or {}, "pass_mark"),
                  _number(breakdown, "pass_mark")):
        if value is not None:
            return value

    return PASS_MARK


def reasons(score: float, passed: bool, rejected: bool, breakdown: Mapping[str, Any],
            lang: str = "en") -> list[str]:
    """Why an attempt did not pass: every failing rule, the deciding one first."""
    if passed:
        return []
    w = words(lang)
    out: list[str] = []
    mark = pass_mark(breakdown)
    details = breakdown.get("details")
    rule = breakdown.get("verdict_rule")
    if isinstance(details, Mapping) and details.get("compared") is False and isinstance(
            rule, str) and rule:
        return [comparator_message(rule, lang)]  # decided before any comparison: only that
    if rejected:
        rule = breakdown.get("verdict_rule")
        mismatch = _number(breakdown, "mismatch")
        if lang == "en" and isinstance(rule, str) and rule:
            out.append(rule)
        else:
            out.append(w["rejected_why"].format(
                mismatch="?" if mismatch is None else fmt(mismatch, 2, lang)))
    # the comparator's own rules that decide beyond the numbers (tempo, shaking, a movement
    # not made, a part held wrong): first, since they are why the total was held down
    for rule in breakdown.get("reasons") or []:
        if isinstance(rule, Mapping) and rule.get("rule") in _RULE_KEYS:
            value, limit = _number(rule, "value"), _number(rule, "limit")
            text = str(rule.get("text") or "")
            if lang != "en" and value is not None and limit is not None:
                text = w[_RULE_KEYS[rule["rule"]]].format(value=fmt(value, 1, lang),
                                                           limit=fmt(limit, 1, lang))
            if text:
                out.append(text)
    shape = _number(breakdown, "shape")
    if shape is not None and shape < mark:
        out.append(w["shape_below"].format(shape=fmt(shape, 0, lang), mark=f"{mark:g}"))
    # a total held under the mark by one of the rules above, or by a trade criterion
    # below (``uncapped_score``), is not a reason of its own
    held = _number(breakdown, "uncapped_score")
    if score < mark and not out and (held is None or held < mark):
        out.append(w["below"].format(score=fmt(score, 0, lang), mark=f"{mark:g}"))
    coverage = _number(breakdown, "coverage")

    if coverage is not None and coverage < 100 * MIN_COVERAGE:
        out.append(w["coverage"].format(pct=fmt(coverage, 0, lang),
                                        need=f"{100 * MIN_COVERAGE:g}"))
    trade = breakdown.get("trade") or {}
    for name, metric in (trade.get("metrics") or {}).items():
        if isinstance(metric, Mapping) and metric.get("verdict") not in (None, "ok", "unsteady"):
            out.append(str(metric.get("message") or w["metric"].format(label=name)))
    if trade and trade.get("time_ok") is False:
        out.append(w["time"])
    if not out:  # decided by a rule this module does not know by name
        rule = breakdown.get("verdict_rule")
        out.append(comparator_message(rule, lang) if isinstance(rule, str) and rule
                   else w["fail"])
    return out


def timing_note(breakdown: Mapping[str, Any], lang: str = "en") -> str:
    """Say what timing measured when it disagrees with a tempo close to the expert's."""
    timing, tempo = _number(breakdown, "timing"), _number(breakdown, "tempo")
    if timing is None or tempo is None or timing >= 70 or not (1 / 1.2 <= tempo <= 1.2):
        return ""
    return words(lang)["timing_vs_tempo"].format(timing=fmt(timing, 0, lang),
                                                 tempo=fmt(tempo, 2, lang))


def attempt_lines(step: int, attempt: int, score: Any, lang: str = "en",
                  ended_by: str = "", advice: int = ADVICE_SHOWN) -> list[str]:
    """The lines a trainee reads after an attempt: verdict, why not, first advice.

    ``score`` is an :class:`~vrtrainer.session.training.AttemptScore` (or None when the
    attempt was not scored); ``step`` and ``attempt`` count from 1.
    """
    w = words(lang)
    title = w["step"].format(step=step, attempt=attempt)
    if score is None:
        return [f"{title} {w['not_scored'].format(why=ended_by or '-')}"]
    verdict = verdict_word(score.passed, score.rejected, lang)
    mark = "" if score.passed else f" ({w['mark'].format(mark=f'{pass_mark(score.breakdown):g}')})"
    lines = [f"{title} {fmt(score.score, 0, lang)}/100, {verdict}{mark}"]
    why = reasons(score.score, score.passed, score.rejected, score.breakdown, lang)
    for line in why:
        lines.append(f"  {_bullet(lang)}{line}")
    note = timing_note(score.breakdown, lang)
    if note and not score.passed:
        lines.append(f"  {_bullet(lang)}{note}")
    advice_lines = [comparator_message(m, lang) for m in score.messages]
    shown = [m for m in advice_lines if m not in why] if not score.passed else []
    for message in shown[:advice]:
        lines.append(f"  > {message}")
    return lines


def phase_line(step: int, phase: str, lang: str = "en") -> str:
    """'  step 2: your turn' as the session moves on."""
    w = words(lang)
    title = w["step"].format(step=step, attempt="").split(",")[0]
    return f"  {title}{' :' if lang == 'fr' else ':'} {w['phases'].get(phase, phase)}"


def _bullet(lang: str) -> str:
    return "why: " if lang == "en" else "pourquoi : "


#: Which criterion each of the comparator's explanations is about (by its wording).
_CRITERION_OF = (
    ("tracking lost", "coverage"),
    ("unsteady", "steadiness"),
    ("slower than", "timing"),
    ("faster than", "timing"),
    ("hesitated", "timing"),
    ("more motion than the experts", "economy"),
    ("degrees too", "shape"),
    ("off by", "shape"),
    ("turned", "shape"),
    ("skipped", "shape"),
    ("does not look like", "shape"),
)


def criterion_messages(breakdown: Mapping[str, Any], lang: str = "en") -> dict[str, str]:
    """For each criterion (shape, timing, ...) the comparator's first explanation about it,
    in ``lang``; a timing that disagrees with the tempo gets :func:`timing_note`."""

    out: dict[str, str] = {}
    for message in breakdown.get("messages") or []:
        for key, criterion in _CRITERION_OF:
            if key in str(message):
                out.setdefault(criterion, comparator_message(str(message), lang))
                break
    note = timing_note(breakdown, lang)
    if note and "timing" not in out:
        out["timing"] = note
    return out


_SPEED = {
    "en": ("{frames} frames, {session} s of session in {wall} s ({ratio}x real time); "
           "CPU per frame p50 {p50} ms, p99 {p99} ms",
           "preparing the comparator (first run only) took {compiled} s more, not counted "
           "above"),
    "fr": ("{frames} images, {session} s de séance en {wall} s ({ratio}x le temps réel) ; "
           "CPU par image p50 {p50} ms, p99 {p99} ms",
           "la préparation du comparateur (premier lancement seulement) a pris {compiled} s "
           "de plus, non comptées ci-dessus"),
}


def speed_lines(loop: LoopResult, timings: Mapping[str, Any], lang: str = "en") -> list[str]:
    """The speed summary of a run in ``lang``: frames, session and wall time, CPU per frame;
    then, after a cold start, the compilation time on its own line (not in the rest)."""
    text, compiled = _SPEED["fr" if lang == "fr" else "en"]
    total = timings.get("total") or {}
    lines = [text.format(
        frames=loop.frames, session=fmt(loop.session_seconds, 1, lang),
        wall=fmt(loop.wall_seconds, 1, lang),
        ratio=fmt(loop.session_seconds / max(loop.wall_seconds, 1e-9), 1, lang),
        p50=fmt(float(total.get("p50", float("nan"))), 2, lang),
        p99=fmt(float(total.get("p99", float("nan"))), 2, lang))]
    seconds = float(loop.compile_seconds)
    if seconds >= 0.05:
        lines.append(compiled.format(compiled=fmt(seconds, 1, lang)))
    return lines
