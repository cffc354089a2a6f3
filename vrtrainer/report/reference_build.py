"""The trainer's report on a new reference: terminal tables and a self-contained HTML page.

Shows each expert take's consistency with the others (and which were flagged,
and why), and the experts' own variation per body part and phase: where the
tolerance is wide because they vary, where it sits at the noise floor. Plots
are matplotlib figures inlined as SVG, so the page is one file.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.table import Table

from vrtrainer.compare.consistency import ConsistencyReport, take_consistency
from vrtrainer.compare.template import save_template
from vrtrainer.compare.wording import part_label
from vrtrainer.files import atomic_output
from vrtrainer.report.reference_words import (
    calibration_text,
    handed,
    number,
    status_text,
    trainees_of,
    why_text,
    word,
)
from vrtrainer.takes.take import load_take


def _take_column(table: Table, lang: str) -> None:
    """The take column: names are what a trainer looks for, so they are never cut or
    wrapped; the other columns give way on a narrow terminal."""
    table.add_column(word("take", lang), no_wrap=True, overflow="ignore", min_width=8)


#: Room the other columns of a take table need beside the names (characters).
OTHER_COLUMNS_WIDTH = 46


def take_labels(names: list[str], console: Any) -> list[str]:
    """How takes are named in a table: their names when they fit beside the other
    columns; on a narrow terminal '#1', '#2'... after a legend of the whole names, one per
    line (never cut: a trainer looks for them)."""
    if max(map(len, names), default=0) + OTHER_COLUMNS_WIDTH <= console.width:
        return list(names)
    for k, name in enumerate(names):
        console.print(f"#{k + 1}  {name}", markup=False, highlight=False, soft_wrap=True)
    return [f"#{k + 1}" for k in range(len(names))]


def take_table(lang: str, *columns: str, title: str | None = None) -> Table:
    """A table whose first column holds take names (never cut), then ``columns``."""
    table = Table(title=title)
    _take_column(table, lang)
    table.add_column(word("frames", lang), justify="right")
    for name in columns:
        table.add_column(name)
    return table


def print_report(report: ConsistencyReport, console: Any, lang: str = "en") -> None:
    """Consistency and variation tables on a rich console, in ``lang``."""
    n = lambda v, d=2: number(v, d, lang)  # noqa: E731
    takes = take_table(lang, word("to_reference", lang), word("to_others", lang),
                       word("status", lang), title=word("consistency_title", lang))
    labels = take_labels([t.name for t in report.takes], console)
    for t, label in zip(report.takes, labels):
        style = "red" if t.flagged else None
        takes.add_row(label, str(t.frames), n(t.to_reference), n(t.to_others),
                      status_text(t.status, lang), style=style)
    console.print(takes)
    parts = Table(title=word("variation_title", lang))
    parts.add_column(word("part", lang), min_width=max(
        [len(part_label(p.part, lang).split(" ")[0]) for p in report.parts], default=4))
    for key in ("tolerance", "noise_floor", "spread", "widest_phase", "why"):
        parts.add_column(word(key, lang))
    for p in report.parts:
        parts.add_row(part_label(p.part, lang), f"{n(p.tolerance)} {p.unit}",
                      f"{n(p.floor)} {p.unit}", f"{n(p.spread)} {p.unit}",
                      f"{p.widest_phase} ({n(p.phase_ratio[p.widest_phase - 1])}"
                      f"{word('floor_x', lang)})", why_text(p.why, lang))
    console.print(parts)
    for line in calibration_lines(report.template, lang):
        console.print(line, markup=False, highlight=False)


def calibration_lines(template: Any, lang: str = "en") -> list[str]:
    """The rejection calibration in a trainer's words (empty if not calibrated)."""
    cal = template.info.get("rejection_calibration")
    if not cal or "expected_expert_reject" not in cal:
        return []
    close = cal.get("negatives_accepted")
    lines = [
        word("calibration", lang, threshold=number(cal["threshold"], 2, lang),
             method=calibration_text(cal["method"], lang),
             source=calibration_text(cal["negative_source"], lang)),
        word("expected", lang, share=number(100 * cal["expected_expert_reject"], 1, lang))
        + (word("negatives_close", lang, share=number(100 * close, 0, lang))
           if close is not None else "."),
    ]
    lines += [word("warning", lang, w=calibration_text(w, lang))
              for w in cal.get("warnings", [])]
    return lines


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _phase_lines(ax, report: ConsistencyReport) -> None:
    for a, _ in report.phase_bounds[1:]:
        ax.axvline(a, color="#888", lw=0.8, ls=":")


def _decimal_commas(ax, lang: str) -> None:
    """Tick labels with decimal commas on a French page."""
    if lang != "fr":
        return
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _pos: f"{v:g}".replace(".", ","))
    ax.xaxis.set_major_formatter(fmt)
    ax.yaxis.set_major_formatter(fmt)


def envelope_figure(report: ConsistencyReport, lang: str = "en") -> str:
    """Per finger: the reference's flexion with its tolerance band and every take aligned."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = report.curves
    fingers = [(k, v) for k, v in curves["fingers"].items() if "flexion" in v]
    t = curves["times"]
    fig, axes = plt.subplots(len(fingers), 1, figsize=(7.5, 1.7 * len(fingers) + 0.4),
                             sharex=True, squeeze=False)
    flagged = {i for i, tc in enumerate(report.takes) if tc.flagged}
    for ax, (label, c) in zip(axes[:, 0], fingers):
        ax.fill_between(t, c["flexion"] - c["flexion_tol"], c["flexion"] + c["flexion_tol"],
                        color="#4caf50", alpha=0.25, lw=0, label=word("tolerance", lang))
        for i, curve in enumerate(c["takes"]):
            bad = i in flagged
            ax.plot(t, curve, lw=1.4 if bad else 0.8, color="#d32f2f" if bad else "#555",
                    ls="--" if bad else "-", label=report.takes[i].name if bad else None)
        ax.plot(t, c["flexion"], color="#1b5e20", lw=1.6,
                label=word("reference_curve", lang))
        _phase_lines(ax, report)
        ax.set_ylabel(f"{part_label(label, lang)}\n{word('flexion_deg', lang)}", fontsize=8)
        ax.tick_params(labelsize=7)
        _decimal_commas(ax, lang)
    axes[0, 0].legend(fontsize=7, loc="upper right", ncol=3)
    axes[-1, 0].set_xlabel(word("ref_time_phases", lang))
    fig.tight_layout()
    out = _svg(fig)
    plt.close(fig)
    return out


def tolerance_figure(report: ConsistencyReport, lang: str = "en") -> str:
    """Position tolerance per finger over time against the noise floor."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = report.curves
    fig, ax = plt.subplots(figsize=(7.5, 2.6))
    for label, c in curves["fingers"].items():
        if "position_tol_cm" in c:
            ax.plot(curves["times"], c["position_tol_cm"], lw=1.2,
                    label=part_label(label, lang))
    ax.axhline(curves["floor_cm"], color="k", ls="--", lw=0.8, label=word("noise_floor", lang))
    _phase_lines(ax, report)
    ax.set_xlabel(word("ref_time", lang))
    ax.set_ylabel(word("tolerance_cm", lang))
    _decimal_commas(ax, lang)
    ax.legend(fontsize=7, ncol=4)
    fig.tight_layout()
    out = _svg(fig)
    plt.close(fig)
    return out


_CSS = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;
font-size:.9rem;text-align:left}th{background:#f3f3f3}tr.flag td{background:#fde8e8}
.num{text-align:right}.note{color:#555;font-size:.9rem}figure{margin:1rem 0}
.warn{color:#8a4b00;font-weight:600}
"""


def _table(head: list[str], rows: Sequence[tuple[Sequence[object], str]]) -> str:
    h = "".join(f"<th>{html.escape(c)}</th>" for c in head)
    body = "".join(
        f"<tr class='{cls}'>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
        + "</tr>" for cells, cls in rows)
    return f"<table><tr>{h}</tr>{body}</table>"


def html_report(report: ConsistencyReport, reference_path: str = "",
                mirrored_path: str = "", lang: str = "en") -> str:
    """The whole report as one HTML page (inline SVG plots, no external files), in ``lang``."""
    tpl = report.template
    esc = html.escape
    n = lambda v, d=2: number(v, d, lang)  # noqa: E731
    w = lambda key, **kw: esc(word(key, lang, **kw))  # noqa: E731
    takes = _table(
        [word(k, lang) for k in ("take", "frames", "mismatch", "to_reference", "to_others",
                                 "status")],
        [([t.name, t.frames, n(t.mismatch), n(t.to_reference), n(t.to_others),
           status_text(t.status, lang)], "flag" if t.flagged else "")
         for t in report.takes])
    count = len(report.takes)
    pair = _table([""] + [f"#{k + 1}" for k in range(count)],
                  [([f"#{a + 1} {report.takes[a].name}"]
                    + [n(report.pairwise[a, b]) for b in range(count)], "")
                   for a in range(count)])
    parts = _table(
        [word(k, lang) for k in ("part", "tolerance", "noise_floor", "spread_sd", "why")],
        [([part_label(p.part, lang), f"{n(p.tolerance)} {p.unit}", f"{n(p.floor)} {p.unit}",
           f"{n(p.spread)} {p.unit}", why_text(p.why, lang)], "") for p in report.parts])
    phases = _table(
        [word("part", lang)] + [word("phase_n", lang, k=k + 1, a=n(a), b=n(b))
                                for k, (a, b) in enumerate(report.phase_bounds)],
        [([part_label(p.part, lang)] + [f"{n(r)}x" for r in p.phase_ratio], "")
         for p in report.parts])
    flagged = report.flagged
    verdict = (word("all_consistent", lang) if not flagged else word(
        "flagged", lang, which="; ".join(f"{t.name} ({status_text(t.status, lang)})"
                                         for t in flagged)))
    used = sum(1 for t in report.takes if t.used)
    rule = tpl.tolerance_rule
    other = "left" if tpl.handedness == "right" else "right"
    mirror_note = (f"<p>{w('mirror_note', hand=trainees_of(other, lang))} "
                   f"<code>{esc(mirrored_path)}</code></p>" if mirrored_path else "")
    calibration = "".join(
        ("<p class='warn'>" if k >= 2 else "<p>") + esc(line) + "</p>"
        for k, line in enumerate(calibration_lines(tpl, lang))) or (
        f"<p>{w('not_calibrated')}</p>")
    summary = w("summary", path=reference_path, frames=tpl.n_frames, duration=n(tpl.duration),
                phases=tpl.n_phases, hand=handed(tpl.handedness, lang), used=used, n=count,
                factor=number(rule.spread_factor, 2, lang).rstrip("0").rstrip(",."),
                cm=f"{100 * rule.floor_m:g}".replace(".", "," if lang == "fr" else "."),
                deg=f"{rule.floor_deg:g}".replace(".", "," if lang == "fr" else "."))
    return f"""<!DOCTYPE html>
<html lang="{esc(lang)}"><head><meta charset="utf-8">
<title>{w('reference')} {esc(tpl.name)}</title><style>{_CSS}</style></head><body>
<h1>{w('reference')} <em>{esc(tpl.name)}</em></h1>
<p>{summary}</p>{mirror_note}
<h2>{w('consistency_h')}</h2>
<p><strong>{esc(verdict)}</strong></p>{takes}
<p class="note">{w('distances_note')}</p>
<h3>{w('take_vs_take')}</h3>{pair}
<h2>{w('telling_h')}</h2>{calibration}
<h2>{w('variation_title')}</h2>{parts}
<h3>{w('per_phase_h')}</h3>{phases}
<p class="note">{w('per_phase_note')}</p>
<figure>{tolerance_figure(report, lang)}<figcaption>{w('tol_caption')}</figcaption></figure>
<figure>{envelope_figure(report, lang)}<figcaption>{w('env_caption')}</figcaption></figure>
</body></html>
"""


def write_html(report: ConsistencyReport, path: str | Path, reference_path: str = "",
               mirrored_path: str = "", lang: str = "en") -> Path:
    """Write :func:`html_report` to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path, "w", encoding="utf-8") as out:  # whole or not at all
        out.write(html_report(report, reference_path, mirrored_path, lang))
    return path


def mirrored_path(reference: str | Path, template: Any) -> Path:
    """Where the mirrored reference goes: ``<stem>-left.vrref`` beside a right-handed one."""
    reference = Path(reference)
    other = "left" if template.handedness == "right" else "right"
    return reference.with_name(f"{reference.stem}-{other}{reference.suffix or '.vrref'}")


def report_build(template: Any, takes: list[Path], reference: Path, console: Any,
                 html_path: Path | None = None, mirror: bool = False, lang: str = "en"
                 ) -> ConsistencyReport:
    """After ``reference build``: the consistency report, the mirrored reference, the HTML."""

    report = take_consistency([load_take(p) for p in takes], template,
                              [Path(p).name for p in takes])
    print_report(report, console, lang)
    mirrored = ""
    if mirror:
        mirrored = str(save_template(template.mirrored(), mirrored_path(reference, template)))
        console.print(word("wrote_mirror", lang, path=mirrored, hand=trainees_of(
            template.mirrored().handedness, lang)), markup=False, soft_wrap=True)
    if html_path is not None:
        write_html(report, html_path, str(reference), mirrored, lang)
        console.print(word("wrote", lang, path=html_path), markup=False, soft_wrap=True)
    return report
