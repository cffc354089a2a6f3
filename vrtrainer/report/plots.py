"""Plots of the reports, drawn with matplotlib (no display) and returned as SVG bytes.

Figures are made with :class:`matplotlib.figure.Figure` directly, never through pyplot,
so nothing global (backend, open figures) is touched. Text is drawn as paths (the page
needs no font) and mathtext is off: a trainee called ``$x$`` is printed as typed.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib import rc_context
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import ScalarFormatter

from vrtrainer.hands.hand import BONES, FINGERTIPS, HAND_NAMES, JOINT_COUNT, JOINT_NAMES, WRIST
from vrtrainer.hands.kinematics import DEFAULT_HAND_LENGTH, HandShape, finger_angles, pose_hand
from vrtrainer.report.page import PAGE_LANGUAGE

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

_RC: dict[RcKeyType, Any] = {
    "svg.fonttype": "path",
    "svg.hashsalt": "vrtrainer-report",
    "text.parse_math": False,
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
#: Error in tolerances at which the hand map turns fully red.
Z_MAX = 3.0
#: Green up to the tolerance, orange at twice it, red beyond (as the renderer's colours).
ERROR_MAP = LinearSegmentedColormap.from_list(
    "vrtrainer-error", [(0.0, "#2e9d4f"), (1.0 / Z_MAX, "#8cc152"), (2.0 / Z_MAX, "#e0a526"),
                        (1.0, "#d2483b")])
UNSCORED = "#b8bec8"
SERIES_COLOURS = ("#1f5fa8", "#d0702a", "#2e9d4f", "#8e44ad", "#c0392b", "#16a085",
                  "#7f8c8d", "#b7950b")


class _DecimalComma(ScalarFormatter):
    """Tick labels as a French page writes numbers: 2,5 rather than 2.5."""

    def __call__(self, x, pos=None) -> str:
        return super().__call__(x, pos).replace(".", ",")


def _svg(fig: Figure) -> bytes:
    if PAGE_LANGUAGE.get() == "fr":
        for ax in fig.axes:
            for axis in (ax.xaxis, ax.yaxis):
                if type(axis.get_major_formatter()) is ScalarFormatter:
                    axis.set_major_formatter(_DecimalComma())
    out = io.BytesIO()
    fig.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    return out.getvalue()


def z_from_quality(quality_pct: float) -> float:
    """Error in tolerances whose quality is ``quality_pct`` (the comparator's 2**-(z/2)**2)."""
    q = min(max(quality_pct / 100.0, 1e-6), 1.0)
    return 2.0 * math.sqrt(-math.log2(q))


def hand_layout(side: str) -> np.ndarray:
    """2D positions (26, 2) of an open hand seen from its back, fingers up, in hand lengths.

    Made by the project's hand model (flat fingers, spread a little) and projected onto
    the palm plane; the left hand is the mirror image.
    """

    angles = finger_angles(thumb=(0, 0, 0, 30), index=(0, 0, 0, 10), middle=(0, 0, 0, 0),
                           ring=(0, 0, 0, 8), little=(0, 0, 0, 16))
    poses = pose_hand(HandShape.from_length(DEFAULT_HAND_LENGTH),
                      np.array([0, 0, 0, 0, 0, 0, 1.0]), angles, side=side)
    return np.stack([poses[:, 0], -poses[:, 2]], axis=1) / DEFAULT_HAND_LENGTH


def joint_errors(joint_quality: dict[str, float]) -> np.ndarray:
    """(2, 26) errors in tolerances from '<hand>.<joint>' -> mean quality 0-100 (NaN: none)."""
    z = np.full((2, JOINT_COUNT), np.nan)
    for key, q in joint_quality.items():
        hand, _, joint = str(key).partition(".")
        if (hand in HAND_NAMES and joint in JOINT_NAMES and isinstance(q, int | float)
                and not isinstance(q, bool) and math.isfinite(q)):
            z[HAND_NAMES.index(hand), JOINT_NAMES.index(joint)] = z_from_quality(float(q))
    return z


def worst_joints(z: np.ndarray, count: int = 3, above: float = 1.0) -> list[tuple[int, int]]:
    """(hand, joint) of the ``count`` largest errors beyond ``above`` tolerances, worst first."""
    flat = np.where(np.isfinite(z), z, -np.inf).ravel()
    order = np.argsort(-flat, kind="stable")[:count]
    return [(int(k) // JOINT_COUNT, int(k) % JOINT_COUNT) for k in order if flat[k] > above]


def hand_map(z: np.ndarray, titles: dict[str, str], unit_label: str) -> bytes:
    """Hand skeletons with each joint coloured by its error ``z`` (2, 26) in tolerances.

    Hands with no scored joint are left out (both are drawn when neither has one); the
    worst joints (see :func:`worst_joints`) are numbered 1, 2, 3 beside their dot.
    ``titles`` names each hand ('left'/'right' -> text).
    """
    hands = [h for h in range(2) if np.isfinite(z[h]).any()] or [0, 1]
    norm = Normalize(0.0, Z_MAX)
    ranks = {hj: n + 1 for n, hj in enumerate(worst_joints(z))}
    with rc_context(_RC):
        fig = Figure(figsize=(3.6 * len(hands) + 1.0, 4.6))
        axes = fig.subplots(1, len(hands), squeeze=False)[0]
        for ax, h in zip(axes, hands):
            xy = hand_layout(HAND_NAMES[h])
            for a, b in BONES:
                ax.plot(xy[[a, b], 0], xy[[a, b], 1], color="#7c8696", lw=3,
                        solid_capstyle="round", zorder=1)
            colours = [ERROR_MAP(norm(v)) if np.isfinite(v) else UNSCORED for v in z[h]]
            sizes = [130 if j in FINGERTIPS or j == WRIST else 80 for j in range(JOINT_COUNT)]
            ax.scatter(xy[:, 0], xy[:, 1], c=colours, s=sizes, edgecolors="#1d2430",
                       linewidths=0.6, zorder=2)
            for (hand, j), rank in ranks.items():
                if hand == h:
                    ax.annotate(str(rank), xy[j], xytext=(7, 2), textcoords="offset points",
                                fontsize=10, fontweight="bold", color="#1d2430")
            ax.set_title(titles[HAND_NAMES[h]])
            ax.set_aspect("equal")
            ax.set_xlim(xy[:, 0].min() - 0.12, xy[:, 0].max() + 0.15)
            ax.set_ylim(-0.33, xy[:, 1].max() + 0.08)
            ax.axis("off")
        bar = fig.colorbar(_mappable(norm), ax=list(axes), fraction=0.05, pad=0.02)
        bar.set_label(unit_label)
        return _svg(fig)


def _mappable(norm: Normalize):
    from matplotlib.cm import ScalarMappable

    sm = ScalarMappable(norm=norm, cmap=ERROR_MAP)
    sm.set_array([])
    return sm


@dataclass
class Series:
    """One metric over the take: values per frame (NaN where unmeasured) and its band."""

    label: str
    unit: str
    times: np.ndarray
    values: np.ndarray
    ideal: float
    low: float
    high: float


def metric_plot(series: Series, time_label: str, band_label: str, ideal_label: str) -> bytes:
    """A trade metric over time against its accepted band and ideal value."""
    with rc_context(_RC):
        fig = Figure(figsize=(9.6, 2.6))
        ax = fig.subplots()
        t = np.asarray(series.times, float)
        v = np.asarray(series.values, float)
        ax.axhspan(series.low, series.high, color="#2e9d4f", alpha=0.15, lw=0, label=band_label)
        ax.axhline(series.ideal, color="#2e9d4f", lw=1.2, ls="--", label=ideal_label)
        ax.plot(t, v, color="#1f5fa8", lw=1.4, label=series.label)
        outside = np.isfinite(v) & ((v < series.low) | (v > series.high))
        if outside.any():
            ax.scatter(t[outside], v[outside], s=4, color="#d2483b", zorder=3)
        finite = v[np.isfinite(v)]
        lo = min(series.low, float(finite.min())) if finite.size else series.low
        hi = max(series.high, float(finite.max())) if finite.size else series.high
        pad = 0.08 * max(hi - lo, 1e-9)
        ax.set_ylim(lo - pad, hi + pad)
        if t.size:
            ax.set_xlim(t[0], t[-1] if t[-1] > t[0] else t[0] + 1)
        ax.set_xlabel(time_label)
        ax.set_ylabel(f"{series.label} ({series.unit})" if series.unit else series.label)
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False,
                  ncols=3)
        return _svg(fig)


@dataclass
class CurvePoint:
    when: datetime
    score: float
    passed: bool


#: Tick labels of dates, from years down to seconds (matplotlib's ConciseDateFormatter).
DATE_FORMATS = {
    "fr": ["%Y", "%m/%Y", "%d/%m", "%H:%M", "%H:%M", "%S.%f"],
    "en": ["%Y", "%Y-%m", "%m-%d", "%H:%M", "%H:%M", "%S.%f"],
}


def learning_curve(curves: Mapping[str, Sequence[CurvePoint]], pass_mark: float | None,
                   score_label: str, pass_label: str, lang: str = "fr") -> bytes:
    """Score per attempt over time, one line per scenario step; filled dots passed."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    with rc_context(_RC):
        fig = Figure(figsize=(9.6, 3.8))
        ax = fig.subplots()
        for k, (label, points) in enumerate(curves.items()):
            colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
            x = [p.when for p in points]
            y = [p.score for p in points]
            # datetimes go through matplotlib's date converter; its stubs take numbers only
            ax.plot(x, y, color=colour, lw=1.4, label=label)  # type: ignore[arg-type]
            ax.scatter(x, y, s=30, zorder=3, edgecolors=colour,  # type: ignore[arg-type]
                       linewidths=1.4, c=[colour if p.passed else "white" for p in points])
        if pass_mark is not None:
            ax.axhline(pass_mark, color="#5a6474", lw=1, ls="--", label=pass_label)
        ax.set_ylim(0, 100)
        ax.set_ylabel(score_label)
        ax.grid(axis="y", color="#e1e4ea")
        locator = AutoDateLocator(minticks=3, maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(
            locator, formats=DATE_FORMATS[lang], zero_formats=["", *DATE_FORMATS[lang][:-1]],
            offset_formats=["", "%Y", "%m/%Y" if lang == "fr" else "%Y-%m", "%d/%m/%Y"
                            if lang == "fr" else "%Y-%m-%d", "", ""]))
        ax.legend(loc="lower right", fontsize=7, frameon=False)
        return _svg(fig)
