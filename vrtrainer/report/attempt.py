"""The report of one stored attempt: what was scored, why, and where it went wrong.

Everything shown comes from the stored attempt (its breakdown as the comparator and the
trade judge made it) except the parts that need the take and the expert reference: the
trade metrics over time and the pictures of the worst moments. Those are drawn when the
take and the reference the attempt was scored against (both stored with it, path and
SHA-256) are still where they were, unchanged; otherwise the report says why they are
missing. The trade metrics over time also need the pack at the attempt's version.
"""

from __future__ import annotations

import base64
import io
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from vrtrainer import __version__
from vrtrainer.errors import VrtrainerError
from vrtrainer.hands.hand import HAND_NAMES, JOINT_NAMES
from vrtrainer.report import plots
from vrtrainer.report.attempt_reference import AttemptSources, ReferenceUnavailable
from vrtrainer.report.page import (
    bar,
    document,
    esc,
    facts,
    image,
    num,
    page_language,
    plain_text,
    section,
    table,
    write_page,
)
from vrtrainer.report.texts import (
    check_lang,
    comparator_message,
    joint_label,
    part_label,
    text,
)
from vrtrainer.session.advice import KIND_WORDS, advice_kind
from vrtrainer.trade.metrics import compute_metrics, format_value

COMPONENTS = ("shape", "timing", "economy", "steadiness", "coverage")
DEFAULT_WEIGHTS = {"shape": 0.55, "timing": 0.15, "steadiness": 0.15, "coverage": 0.15}


def _number(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key) if isinstance(data, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _mapping(data: Any, key: str) -> Mapping[str, Any]:
    value = data.get(key) if isinstance(data, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def _list(data: Any, key: str) -> list[Any]:
    value = data.get(key) if isinstance(data, Mapping) else None
    return list(value) if isinstance(value, list) else []


def verdict(attempt) -> str:
    """'rejected', 'pass' or 'fail' for a stored attempt."""
    if isinstance(attempt.breakdown, Mapping) and attempt.breakdown.get("rejected") is True:
        return "rejected"
    return "pass" if attempt.passed else "fail"


def verdict_text(kind: str, lang: str) -> str:
    return text({"pass": "passed", "fail": "failed", "rejected": "rejected"}[kind], lang)


def when(moment: datetime, lang: str) -> str:
    """A UTC date and time as a trainer reads it."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%d/%m/%Y %H:%M UTC" if lang == "fr" else "%Y-%m-%d %H:%M UTC")


def footer(lang: str) -> str:
    return esc(text("generated", lang, v=__version__, d=when(datetime.now(UTC), lang)))


@dataclass
class TradeRow:
    """One trade metric of the step, as recomputed from the take (labels in the language)."""

    name: str
    label: str
    value: str
    band: str
    in_band: float
    band_score: float
    verdict: str
    message: str


@dataclass
class Extras:
    """The parts of an attempt report that need the take and the reference."""

    moments: list[Any] = field(default_factory=list)
    moments_missing: str = ""
    series: list[plots.Series] = field(default_factory=list)
    trade: list[TradeRow] = field(default_factory=list)
    step_title: str = ""


def _unavailable(exc: ReferenceUnavailable, lang: str) -> str:
    if exc.key == "no_reference":
        return text("no_reference", lang, why=exc.detail)
    if exc.key == "no_take":
        return text("no_take", lang)
    return text(exc.key, lang, path=exc.path)


def gather_extras(attempt, lang: str, snapshots: bool = True, size: tuple[int, int] = (480, 360),
                  count: int = 3) -> Extras:
    """Rebuild what needs the take and the reference; say why whatever is missing is."""
    from vrtrainer.report.attempt_reference import attempt_sources

    extras = Extras()
    try:
        sources = attempt_sources(attempt)
    except ReferenceUnavailable as exc:
        extras.moments_missing = _unavailable(exc, lang)
        return extras
    extras.step_title = sources.title.get(lang, "")
    _trade_series(sources, lang, extras)
    if snapshots:
        _moments(sources, lang, size, count, extras)
    return extras


def _trade_series(sources: AttemptSources, lang: str, extras: Extras) -> None:
    scenario = sources.scenario
    step_id = sources.step_id
    if scenario is None or not step_id:
        return

    step = next((s for s in scenario.steps if s.id == step_id), None)
    if step is None or not step.metrics:
        return
    take = sources.take
    times = take.times - take.times[0]
    for name, result in compute_metrics(scenario, take, step.metrics).items():
        spec = result.spec
        unit = result.unit
        extras.trade.append(TradeRow(
            name=name, label=spec.label.get(lang), value=format_value(result.value, unit, lang),
            band=f"{format_value(spec.min, unit, lang)} – {format_value(spec.max, unit, lang)} "
                 f"({text('ideal', lang)} {format_value(spec.ideal, unit, lang)})",
            in_band=result.in_band, band_score=result.band_score, verdict=result.verdict,
            message=result.message.get(lang)))
        if spec.kind == "hold":
            continue  # a running duration judged by its longest stretch: no band over time
        extras.series.append(plots.Series(
            label=spec.label.get(lang), unit="°" if unit == "deg" else unit, times=times,
            values=result.values,
            ideal=spec.ideal, low=spec.min, high=spec.max))


def _moments(sources: AttemptSources, lang: str, size: tuple[int, int], count: int,
             extras: Extras) -> None:
    from vrtrainer.render.scene import scene_of_pack
    from vrtrainer.report.moments import draw_moments, find_moments

    scene = None
    pack = sources.pack_path
    try:
        moments = find_moments(sources.take, sources.template, sources.mirror, count)
        if pack is not None:
            scene = scene_of_pack(pack)
        if not moments:
            extras.moments_missing = text("all_within", lang)
            return
        draw_moments(sources.take, sources.ghost, moments,
                     float(sources.template.duration), size=size, scene=scene)
    except VrtrainerError as exc:
        extras.moments_missing = text("no_renderer", lang, why=str(exc))
        return
    extras.moments = moments


# -- page parts -----------------------------------------------------------------------


def _header(attempt, lang: str, extras: Extras) -> str:
    kind = verdict(attempt)
    who = esc(attempt.trainee) + (f" ({esc(attempt.trainee_name)})"
                                  if attempt.trainee_name else "")
    step = esc(attempt.step) + (f" – {esc(extras.step_title)}" if extras.step_title else "")
    items = [
        (text("trainee", lang), who),
        (text("scenario", lang),
         f"{esc(attempt.scenario_id)} ({text('version', lang)} "
         f"{esc(attempt.scenario_version)})"),
        (text("step", lang), step),
        (text("date", lang), esc(when(attempt.started_at, lang))),
        (text("duration", lang), num(attempt.duration_s, 1, " s")),
    ]
    if attempt.device:
        items.append((text("device", lang), esc(attempt.device)))
    if attempt.runtime:
        items.append((text("runtime", lang), esc(attempt.runtime)))
    title = f"{text('attempt_title', lang)} #{int(attempt.id)}"
    return (f"<div><h1>{esc(title)}</h1>{facts(items)}</div>"
            f'<div class="badge {kind}" id="score-badge"><div class="total">'
            f"{num(attempt.score, 0)}</div><div class=\"verdict\">"
            f"{esc(verdict_text(kind, lang))}</div></div>")


def _breakdown(attempt, lang: str) -> str:
    b = attempt.breakdown if isinstance(attempt.breakdown, Mapping) else {}
    weights = _mapping(_mapping(b, "details"), "weights") or DEFAULT_WEIGHTS
    rows = []
    for name in COMPONENTS:
        value = _number(b, name)
        if value is None:
            continue
        w = weights.get(name)
        rows.append((esc(text(name, lang)), num(value, 1), bar(value),
                     num(100 * w, 0, " %") if isinstance(w, int | float) else "–"))
    body = ""
    if rows:
        body += table((text("component", lang), text("score", lang), "", text("weight", lang)),
                      rows, numeric=(1, 3), cls="components")
    gesture = _number(b, "gesture_score")
    trade = _mapping(b, "trade")
    extra = []
    if gesture is not None:
        extra.append((text("gesture_score", lang), num(gesture, 1)))
    if trade and _number(trade, "score") is not None:
        extra.append((text("trade", lang), num(_number(trade, "score"), 1)))
    tempo = _number(b, "tempo")
    if tempo is not None:
        extra.append((text("tempo", lang), num(tempo, 2)))
    hes = [h for h in _list(b, "hesitations") if isinstance(h, Mapping)]
    if hes:
        extra.append((text("hesitations", lang), ", ".join(
            f"{num(_number(h, 'seconds'), 1)} s @ {num(_number(h, 'at_s'), 2)} s" for h in hes)))
    if extra:
        body += facts(extra)
    messages = [comparator_message(str(m), lang) for m in _list(b, "messages")]
    messages = [str(m) for m in _list(trade, "messages")] + messages
    body += f"<h3>{esc(text('messages', lang))}</h3>"
    if messages:
        body += '<ul class="messages">' + "".join(
            f"<li>{_pictogram(advice_kind(m), lang)}{esc(m)}</li>" for m in messages) + "</ul>"
    else:
        body += f'<p class="muted">{esc(text("no_messages", lang))}</p>'
    if attempt.criteria:
        crit = [(esc(_criterion_name(c, lang)), num(c.score, 1), bar(c.score),
                 '<span class="ok">✔</span>' if c.passed else '<span class="ko">✘</span>',
                 esc(c.message)) for c in attempt.criteria]
        body += f"<h3>{esc(text('criteria', lang))}</h3>" + table(
            (text("criterion", lang), text("score", lang), "", text("passed", lang),
             text("message", lang)), crit, numeric=(1,))
    return section(text("breakdown", lang), body, "breakdown")


def _criterion_name(criterion, lang: str) -> str:
    """A stored criterion's name for a reader: the component's, or the metric's own label."""
    if criterion.name in COMPONENTS:
        return text(criterion.name, lang)
    if criterion.name.startswith("metric:"):
        label = criterion.message.split(":")[0].strip() if ":" in criterion.message else ""
        return label or criterion.name.removeprefix("metric:").replace("_", " ")
    return criterion.name


def _parts(attempt, lang: str) -> str:
    b = attempt.breakdown if isinstance(attempt.breakdown, Mapping) else {}
    body = ""
    fingers = _mapping(b, "fingers")
    rows = [(esc(part_label(str(k), lang)), num(_number(fingers, k), 1), bar(_number(fingers, k)))
            for k in fingers]
    if rows:
        body += f"<h3>{esc(text('fingers', lang))}</h3>" + table(
            (text("part", lang), text("score", lang), ""), rows, numeric=(1,), cls="fingers")
    phases = [p for p in _list(b, "phases") if isinstance(p, Mapping)]
    prow = []
    for p in phases:
        parts = {k: v for k, v in _mapping(p, "parts").items()
                 if isinstance(v, int | float) and not isinstance(v, bool)}
        weakest = min(parts, key=lambda k: parts[k]) if parts else None
        prow.append((esc(p.get("phase", "")),
                     f"{num(_number(p, 'start_s'), 2)} – {num(_number(p, 'end_s'), 2)}",
                     num(_number(p, "shape"), 1), bar(_number(p, "shape")),
                     f"{esc(part_label(weakest, lang))} ({num(parts[weakest], 0)})"
                     if weakest else "–"))
    if prow:
        body += f"<h3>{esc(text('phases', lang))}</h3>" + table(
            (text("phase", lang), text("from_to", lang), text("shape", lang), "",
             text("worst_part", lang)), prow, numeric=(0, 1, 2), cls="phases")
    joints = _mapping(b, "joints")
    if joints:
        names = {"left": text("left", lang), "right": text("right", lang)}
        z = plots.joint_errors(dict(joints))
        svg = plots.hand_map(z, names, text("error_tol", lang))
        caption = esc(text("hand_map_caption", lang))
        worst = plots.worst_joints(z)
        if worst:
            caption += "<br>" + "; ".join(
                f"{n + 1} : {esc(joint_label(f'{HAND_NAMES[h]}.{JOINT_NAMES[j]}', lang))} "
                f"{num(z[h, j], 1)}" for n, (h, j) in enumerate(worst))
        body += f"<h3>{esc(text('hand_map', lang))}</h3>" + image(
            svg, "image/svg+xml", f"{text('hand_map', lang)}. {plain_text(caption)}", caption)
    return section(text("shape", lang), body, "parts") if body else ""


def _verdict_cell(verdict: str, lang: str) -> str:
    key = f"verdict_{verdict}"
    words = text(key, lang) if key in _VERDICTS else verdict
    return f'<span class="{"ok" if verdict == "ok" else "ko"}">{esc(words)}</span>'


def _trade(attempt, lang: str, extras: Extras) -> str:
    """Trade metrics: recomputed from the take when possible, else as stored."""
    b = attempt.breakdown if isinstance(attempt.breakdown, Mapping) else {}
    rows = [(esc(r.label), esc(r.value), esc(r.band), num(100 * r.in_band, 0, " %"),
             num(100 * r.band_score, 0), _verdict_cell(r.verdict, lang), esc(r.message))
            for r in extras.trade]
    if not rows:
        for name, m in _mapping(_mapping(b, "trade"), "metrics").items():
            if isinstance(m, Mapping):
                rows.append((esc(name), f"{num(_number(m, 'value'), 2)} {esc(m.get('unit', ''))}",
                             "–", num(100 * (_number(m, "in_band") or 0.0), 0, " %"),
                             num(100 * (_number(m, "band_score") or 0.0), 0),
                             _verdict_cell(str(m.get("verdict", "")), lang),
                             esc(m.get("message", ""))))
    if not rows:
        return ""
    body = table((text("metric", lang), text("value", lang), text("band", lang),
                  text("in_band", lang), text("band_score", lang), text("verdict", lang),
                  text("message", lang)), rows, numeric=(1, 3, 4), cls="trade")
    for s in extras.series:
        svg = plots.metric_plot(s, text("time_s", lang), text("band_area", lang),
                                text("ideal", lang))
        body += image(svg, "image/svg+xml", s.label, esc(s.label))
    return section(text("trade", lang), body, "trade")


@lru_cache(maxsize=32)
def _pictogram(kind: str, lang: str) -> str:
    """The advice's pictogram (as on the cue panel, dark ink) with its meaning as alt text."""
    if not kind:
        return ""
    from PIL import Image

    from vrtrainer.render.pictograms import pictogram_path

    path = pictogram_path(kind)
    if not path.is_file():
        return ""
    with Image.open(path) as im:
        mask = im.convert("L").resize((56, 56), Image.Resampling.LANCZOS)
    ink = Image.new("RGBA", mask.size, (29, 36, 48, 0))
    ink.putalpha(mask)
    buf = io.BytesIO()
    ink.save(buf, format="PNG", optimize=True)
    uri = base64.b64encode(buf.getvalue()).decode("ascii")
    return (f'<img class="pictogram" src="data:image/png;base64,{uri}" '
            f'alt="{esc(KIND_WORDS[kind][lang])}" width="28" height="28">')


_VERDICTS = {"verdict_ok", "verdict_low", "verdict_high", "verdict_unsteady", "verdict_no-data"}


def _moment_section(lang: str, extras: Extras) -> str:
    if not extras.moments:
        why = extras.moments_missing
        if not why:
            return ""
        if why != text("all_within", lang):
            why = text("no_moments", lang, why=why)
        return section(text("moments", lang), f'<p class="muted">{esc(why)}</p>', "moments")
    figs = []
    for m in extras.moments:
        worst = ", ".join(f"{esc(joint_label(j, lang))} {num(z, 1)}" for j, z in m.worst_joints)
        caption = esc(text("moment_at", lang, t=m.take_time, e=m.expert_time, q=m.quality))
        if worst:
            colon = " :" if lang == "fr" else ":"
            caption += f"<br>{esc(text('worst_joints', lang))}{colon} {worst}"
        if m.png:
            figs.append(image(m.png, "image/png", plain_text(caption), caption))
    body = (f'<p class="muted">{esc(text("moments_caption", lang))}</p>'
            f'<div class="moments">{"".join(figs)}</div>')
    return section(text("moments", lang), body, "moments")


def _details(attempt, lang: str) -> str:
    b = attempt.breakdown if isinstance(attempt.breakdown, Mapping) else {}
    details = _mapping(b, "details")
    items = [("UUID", esc(attempt.uuid))]
    if attempt.session_uuid:
        items.append(("Session", esc(attempt.session_uuid)))
    if b.get("template"):
        items.append((text("template", lang), esc(b.get("template"))))
    if b.get("mirrored") is True:
        items.append((text("mirrored", lang), esc(text("yes", lang))))
    if _number(b, "mismatch") is not None:
        items.append((text("mismatch", lang), num(_number(b, "mismatch"), 2)))
    if _number(details, "jitter_mm") is not None:
        items.append((text("jitter", lang), num(_number(details, "jitter_mm"), 2)))
    skipped = _list(details, "skipped_phases")
    if skipped:
        items.append((text("skipped", lang), esc(", ".join(str(p) for p in skipped))))
    if attempt.take_path:
        items.append((text("take", lang), esc(attempt.take_path)))
    if attempt.take_sha256:
        items.append(("SHA-256", f"<code>{esc(attempt.take_sha256)}</code>"))
    items.append(("vrtrainer", esc(attempt.vrtrainer_version)))
    return section(text("details", lang), facts(items), "details")


def attempt_page(attempt, lang: str = "fr", extras: Extras | None = None) -> str:
    """The HTML of an attempt's report; ``extras`` from :func:`gather_extras` (or none)."""
    check_lang(lang)
    with page_language(lang):
        return _attempt_page(attempt, lang, extras)


def _attempt_page(attempt, lang: str, extras: Extras | None) -> str:
    extras = extras or Extras()
    parts = [
        _breakdown(attempt, lang),
        _parts(attempt, lang),
        _trade(attempt, lang, extras),
        _moment_section(lang, extras),
        _details(attempt, lang),
    ]
    title = f"{text('attempt_title', lang)} #{int(attempt.id)} – {attempt.trainee}"
    return document(title, _header(attempt, lang, extras), [p for p in parts if p],
                    footer(lang), lang)


def write_attempt_report(store, attempt_id: int | str, out_path: str | os.PathLike[str],
                         lang: str = "fr", *, snapshots: bool = True,
                         size: tuple[int, int] = (480, 360)) -> Path:
    """Write the HTML report of the stored attempt ``attempt_id`` (number or UUID).

    ``snapshots`` draws the worst moments with the offscreen renderer (needs EGL);
    ``size`` is their size in pixels. Returns the report's path.
    """
    check_lang(lang)
    attempt = store.get_attempt(attempt_id)
    with page_language(lang):  # the plots drawn in gather_extras write numbers like the page
        extras = gather_extras(attempt, lang, snapshots=snapshots, size=size)
    return write_page(out_path, attempt_page(attempt, lang, extras))
