"""The trainer's report on a new reference: terminal tables and a self-contained HTML page.

Shows each expert take's consistency with the others (and which were flagged,
and why), and the experts' own variation per body part and phase: where the
tolerance is wide because they vary, where it sits at the noise floor. Plots
are matplotlib figures inlined as SVG, so the page is one file.
"""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import Any

from rich.table import Table

from vrtrainer.compare.consistency import ConsistencyReport, take_consistency
from vrtrainer.compare.template import save_template
from vrtrainer.files import atomic_output
from vrtrainer.takes.take import load_take


def print_report(report: ConsistencyReport, console: Any) -> None:
    """Consistency and variation tables on a rich console."""

    takes = Table("take", "frames", "to reference", "to others", "status",
                  title="Consistency (normalised DTW distance, in tolerances)")
    for t in report.takes:
        style = "red" if t.flagged else None
        takes.add_row(t.name, str(t.frames), f"{t.to_reference:.2f}", f"{t.to_others:.2f}",
                      t.status, style=style)
    console.print(takes)
    parts = Table("part", "tolerance", "noise floor", "experts' spread", "widest phase",
                  "why", title="The experts' own variation")
    for p in report.parts:
        parts.add_row(p.part, f"{p.tolerance:.2f} {p.unit}", f"{p.floor:.2f} {p.unit}",
                      f"{p.spread:.2f} {p.unit}",
                      f"{p.widest_phase} ({p.phase_ratio[p.widest_phase - 1]:.2f}x floor)",
                      p.why)
    console.print(parts)
    for line in calibration_lines(report.template):
        console.print(line)


def calibration_lines(template: Any) -> list[str]:
    """The rejection calibration in a trainer's words (empty if not calibrated)."""
    cal = template.info.get("rejection_calibration")
    if not cal or "expected_expert_reject" not in cal:
        return []
    lines = [
        f"Another gesture is rejected beyond a mismatch of {cal['threshold']:.2f}, set from "
        f"how far each expert lands from a reference built without them "
        f"({cal['method']}) and from {cal['negative_source']}.",
        f"Expected share of correct takes by new people that this rejects: "
        f"{100 * cal['expected_expert_reject']:.1f}%"
        + (f"; other gestures as close as the experts: "
           f"{100 * cal['negatives_accepted']:.0f}%." if cal.get("negatives_accepted")
           is not None else "."),
    ]
    lines += [f"Warning: {w}" for w in cal.get("warnings", [])]
    return lines


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _phase_lines(ax, report: ConsistencyReport) -> None:
    for a, _ in report.phase_bounds[1:]:
        ax.axvline(a, color="#888", lw=0.8, ls=":")


def envelope_figure(report: ConsistencyReport) -> str:
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
                        color="#4caf50", alpha=0.25, lw=0, label="tolerance")
        for i, curve in enumerate(c["takes"]):
            bad = i in flagged
            ax.plot(t, curve, lw=1.4 if bad else 0.8, color="#d32f2f" if bad else "#555",
                    ls="--" if bad else "-", label=report.takes[i].name if bad else None)
        ax.plot(t, c["flexion"], color="#1b5e20", lw=1.6, label="reference")
        _phase_lines(ax, report)
        ax.set_ylabel(f"{label}\nflexion (deg)", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0, 0].legend(fontsize=7, loc="upper right", ncol=3)
    axes[-1, 0].set_xlabel("reference time (s); dotted lines: phases")
    fig.tight_layout()
    out = _svg(fig)
    plt.close(fig)
    return out


def tolerance_figure(report: ConsistencyReport) -> str:
    """Position tolerance per finger over time against the noise floor."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = report.curves
    fig, ax = plt.subplots(figsize=(7.5, 2.6))
    for label, c in curves["fingers"].items():
        if "position_tol_cm" in c:
            ax.plot(curves["times"], c["position_tol_cm"], lw=1.2, label=label)
    ax.axhline(curves["floor_cm"], color="k", ls="--", lw=0.8, label="noise floor")
    _phase_lines(ax, report)
    ax.set_xlabel("reference time (s)")
    ax.set_ylabel("tolerance (cm)")
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


def _table(head: list[str], rows: list[tuple[list[str], str]]) -> str:
    h = "".join(f"<th>{html.escape(c)}</th>" for c in head)
    body = "".join(
        f"<tr class='{cls}'>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
        + "</tr>" for cells, cls in rows)
    return f"<table><tr>{h}</tr>{body}</table>"


def html_report(report: ConsistencyReport, reference_path: str = "",
                mirrored_path: str = "") -> str:
    """The whole report as one HTML page (inline SVG plots, no external files)."""
    tpl = report.template
    esc = html.escape
    takes = _table(
        ["take", "frames", "mismatch", "to reference", "to others", "status"],
        [([t.name, t.frames, f"{t.mismatch:.2f}", f"{t.to_reference:.2f}",
           f"{t.to_others:.2f}", t.status], "flag" if t.flagged else "")
         for t in report.takes])
    n = len(report.takes)
    pair = _table([""] + [f"#{k + 1}" for k in range(n)],
                  [([f"#{a + 1} {report.takes[a].name}"]
                    + [f"{report.pairwise[a, b]:.2f}" for b in range(n)], "")
                   for a in range(n)])
    parts = _table(
        ["part", "tolerance", "noise floor", "experts' spread (sd)", "why"],
        [([p.part, f"{p.tolerance:.2f} {p.unit}", f"{p.floor:.2f} {p.unit}",
           f"{p.spread:.2f} {p.unit}", p.why], "") for p in report.parts])
    phases = _table(
        ["part"] + [f"phase {k + 1} ({a:.2f}-{b:.2f} s)"
                    for k, (a, b) in enumerate(report.phase_bounds)],
        [([p.part] + [f"{r:.2f}x" for r in p.phase_ratio], "") for p in report.parts])
    flagged = report.flagged
    verdict = ("All takes are consistent with each other." if not flagged else
               "Flagged: " + "; ".join(f"{t.name} ({t.status})" for t in flagged)
               + ". A flagged take that is still used widens the tolerance: consider "
                 "rebuilding without it.")
    used = sum(1 for t in report.takes if t.used)
    rule = tpl.tolerance_rule
    mirror_note = (f"<p>Mirrored reference for {'left' if tpl.handedness == 'right' else 'right'}"
                   f"-handed trainees: <code>{esc(mirrored_path)}</code></p>"
                   if mirrored_path else "")
    calibration = "".join(
        ("<p class='warn'>" if line.startswith("Warning") else "<p>") + esc(line) + "</p>"
        for line in calibration_lines(tpl)) or "<p>Rejection is not calibrated.</p>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Reference {esc(tpl.name)}</title><style>{_CSS}</style></head><body>
<h1>Reference <em>{esc(tpl.name)}</em></h1>
<p>{esc(reference_path)}: {tpl.n_frames} frames, {tpl.duration:.2f} s, {tpl.n_phases} phases,
{tpl.handedness}-handed, built from {used} of {n} expert takes.
Tolerance = hypot(noise floor, {rule.spread_factor:g} x the experts' spread); noise floor
{100 * rule.floor_m:g} cm, {rule.floor_deg:g} degrees.</p>{mirror_note}
<h2>Consistency of the takes</h2>
<p><strong>{esc(verdict)}</strong></p>{takes}
<p class="note">Distances are normalised DTW distances: the RMS over aligned frames and
channels of the difference, in the reference's typical tolerances (1 = one tolerance apart).
"Differs in" names a body part where a take is over twice as far from the others as they
are from each other, and beyond the noise floor; an outlier is left out of the reference.</p>
<h3>Take against take</h3>{pair}
<h2>Telling this gesture from others</h2>{calibration}
<h2>The experts' own variation</h2>{parts}
<h3>Tolerance per phase (90th percentile), as a multiple of the noise floor</h3>{phases}
<p class="note">1.00x: the experts agree there and the tolerance is the sensor noise floor;
above, the experts vary and the trainee is allowed as much.</p>
<figure>{tolerance_figure(report)}<figcaption>Position tolerance per finger over the
reference's time.</figcaption></figure>
<figure>{envelope_figure(report)}<figcaption>Tolerance envelope per finger: the reference's
mean flexion (dark green) with its tolerance band, every take aligned to it (flagged takes
dashed red).</figcaption></figure>
</body></html>
"""


def write_html(report: ConsistencyReport, path: str | Path, reference_path: str = "",
               mirrored_path: str = "") -> Path:
    """Write :func:`html_report` to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path, "w", encoding="utf-8") as out:  # whole or not at all
        out.write(html_report(report, reference_path, mirrored_path))
    return path


def mirrored_path(reference: str | Path, template: Any) -> Path:
    """Where the mirrored reference goes: ``<stem>-left.vrref`` beside a right-handed one."""
    reference = Path(reference)
    other = "left" if template.handedness == "right" else "right"
    return reference.with_name(f"{reference.stem}-{other}{reference.suffix or '.vrref'}")


def report_build(template: Any, takes: list[Path], reference: Path, console: Any,
                 html_path: Path | None = None, mirror: bool = False) -> ConsistencyReport:
    """After ``reference build``: the consistency report, the mirrored reference, the HTML."""

    report = take_consistency([load_take(p) for p in takes], template,
                              [Path(p).name for p in takes])
    print_report(report, console)
    mirrored = ""
    if mirror:
        mirrored = str(save_template(template.mirrored(), mirrored_path(reference, template)))
        console.print(f"wrote {mirrored} (mirrored, for "
                      f"{template.mirrored().handedness}-handed trainees)")
    if html_path is not None:
        write_html(report, html_path, str(reference), mirrored)
        console.print(f"wrote {html_path}")
    return report
