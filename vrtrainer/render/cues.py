"""Training cues drawn on a panel in the scene: instruction, progress, score, trade gauges.

The panel is built on the CPU as textured triangles in panel coordinates
(metres, x right, y up, origin at the panel's centre, facing its +Z): text
quads sample the font atlas, rectangles sample its white block, so the whole
panel is one draw. It is rebuilt only when what it shows changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vrtrainer.render.text import FontAtlas

#: Floats per UI vertex: x, y (panel metres), u, v, r, g, b, a.
UI_FLOATS = 8

_TEXT = (0.95, 0.96, 0.98, 1.0)
_DIM = (0.68, 0.72, 0.78, 1.0)
_OK = (0.22, 0.80, 0.33, 1.0)
_NEAR = (0.98, 0.66, 0.10, 1.0)
_BAD = (0.90, 0.16, 0.13, 1.0)
_PANEL = (0.07, 0.08, 0.10, 0.86)
_TRACK = (0.26, 0.28, 0.32, 1.0)
_BAND = (0.22, 0.80, 0.33, 0.45)
_PROGRESS = (0.30, 0.62, 1.00, 1.0)
#: Which quad columns (x0 y0 x1 y1 u0 v0 u1 v1) make each of a quad's 6 vertices.
_CORNERS = np.array([(0, 1, 4, 5), (2, 1, 6, 5), (2, 3, 6, 7),
                     (0, 1, 4, 5), (2, 3, 6, 7), (0, 3, 4, 7)])


@dataclass
class Gauge:
    """A trade metric against its band, as welding simulators show them.

    ``value`` is good between ``low`` and ``high``, best at ``ideal``; the
    gauge spans half a band width beyond each side.
    """

    label: str
    value: float
    ideal: float
    low: float
    high: float
    unit: str = ""
    text: str = ""  # the value as the trainee reads it (unit, decimal comma); '' formats it here


@dataclass
class Cues:
    """What the cue panel shows this frame; ``language`` 'fr' or 'en' picks the main line.

    ``progress`` in [0, 1]; ``score`` 0-100 or None (not scored yet); ``passed`` the
    final verdict once there is one (the score's colour follows it), None while live;
    ``message`` a short feedback line ('' for none); ``debug`` lines of small
    text at the bottom (e.g. frame timings), '' for none. ``pictogram`` names
    the advice pictogram drawn beside the message ('' for none; see
    :mod:`vrtrainer.render.pictograms`). ``large`` lays out simple mode's
    screen: the main line and the message in large letters, nothing else but
    ``hint`` (how to go on) and ``hold`` (0-1, a held pinch filling a bar).
    """

    progress: float = 0.0
    instruction_fr: str = ""
    instruction_en: str = ""
    language: str = "fr"
    score: float | None = None
    passed: bool | None = None
    gauges: list[Gauge] = field(default_factory=list)
    message: str = ""
    title: str = ""
    debug: str = ""
    pictogram: str = ""
    large: bool = False
    hint: str = ""
    hold: float = 0.0


def _wrap(atlas: FontAtlas, text: str, height: float, width: float, max_lines: int
          ) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if line and atlas.width(candidate) * height > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1] + "…"
    return lines


def _percent(progress: float) -> int:
    """Progress in [0, 1] as the whole percent the panel shows."""
    return round(min(max(progress, 0.0), 1.0) * 100)


def _score_color(score: float, passed: bool | None = None
                 ) -> tuple[float, float, float, float]:
    """Green, amber or red by the score while live; a final score by its verdict, so a
    failed attempt is never shown green."""
    if passed is not None:
        return _OK if passed else _NEAR if score >= 50 else _BAD
    return _OK if score >= 80 else _NEAR if score >= 50 else _BAD


class CuePanel:
    """Builds the panel's vertex array from :class:`Cues`, reusing one buffer."""

    WIDTH = 0.64
    MARGIN = 0.02
    SCORE_HEIGHT = 0.092

    def __init__(self, atlas: FontAtlas, capacity_quads: int = 4096) -> None:
        self.atlas = atlas
        self.vertices = np.zeros((capacity_quads * 6, UI_FLOATS), np.float32)
        self.count = 0
        self._key: tuple | None = None
        self._white = atlas.white_uv
        self._blocks: dict[tuple, np.ndarray] = {}
        self._wrapped: dict[tuple, list[str]] = {}

    @staticmethod
    def key(cues: Cues) -> tuple:
        """What the panel depends on, rounded to what can be seen.

        Progress counts in whole percent, as its label shows it: the panel is
        rebuilt at most a hundred times over a phase, not every frame.
        """
        return (_percent(cues.progress), cues.instruction_fr, cues.instruction_en,
                cues.language, None if cues.score is None else round(cues.score),
                tuple((g.label, round(g.value, 3), g.ideal, g.low, g.high, g.unit)
                      for g in cues.gauges), cues.message, cues.title, cues.debug,
                cues.pictogram, cues.large, cues.hint, round(cues.hold, 2))

    def build(self, cues: Cues | None) -> bool:
        """Lay out ``cues``; returns False (and does nothing) if nothing visible changed."""
        key = None if cues is None else self.key(cues)
        if key == self._key:
            return False
        self._key = key
        self.count = 0
        if cues is not None:
            self._layout(cues)
        return True

    def _wrap(self, text: str, height: float, width: float, max_lines: int = 2
              ) -> list[str]:
        key = (text, height, width, max_lines)
        lines = self._wrapped.get(key)
        if lines is None:
            if len(self._wrapped) > 256:
                self._wrapped.clear()
            lines = self._wrapped[key] = _wrap(self.atlas, text, height, width, max_lines)
        return lines

    def _layout(self, cues: Cues) -> None:
        if cues.large:
            self._layout_large(cues)
            return
        w, m = self.WIDTH, self.MARGIN
        left, right = -w / 2 + m, w / 2 - m
        main_h, sub_h, small_h = 0.030, 0.019, 0.018
        main, sub = ((cues.instruction_fr, cues.instruction_en) if cues.language == "fr"
                     else (cues.instruction_en, cues.instruction_fr))
        # the chosen language only; the other one stands in only where a text is missing
        main, sub = (main, "") if main else (sub, "")
        text_w = right - left - 0.14
        main_lines = self._wrap(main, main_h, text_w)
        sub_lines = self._wrap(sub, sub_h, text_w)
        row = 0.046
        debug_lines = cues.debug.splitlines()[:6]
        debug_h = 0.013
        header = ((small_h * 1.4 if cues.title else 0) + len(main_lines) * main_h * 1.25
                  + len(sub_lines) * sub_h * 1.3)
        if cues.score is not None:
            header = max(header, self.SCORE_HEIGHT)  # the score's block, top right
        height = (m + header + 0.012 + 0.03 + len(cues.gauges) * row
                  + self._message_height(cues) + len(debug_lines) * debug_h * 1.3 + m)
        top = height / 2
        self._rect(-w / 2, -top, w / 2, top, _PANEL)
        y = top - m
        if cues.title:
            y -= small_h
            self._text(cues.title, left, y, small_h, _DIM)
            y -= small_h * 0.4
        for line in main_lines:
            y -= main_h
            self._text(line, left, y, main_h, _TEXT)
            y -= main_h * 0.25
        for line in sub_lines:
            y -= sub_h
            self._text(line, left, y, sub_h, _DIM)
            y -= sub_h * 0.3
        # Score, top right.
        if cues.score is not None:
            self._text("Score", right, top - m - small_h, small_h, _DIM, align="right")
            self._text(f"{round(cues.score)}", right, top - m - small_h - 0.062, 0.056,
                       _score_color(cues.score, cues.passed), align="right")
        # Progress bar, below the text and the score.
        y = top - m - header - 0.022
        bar_right = right - 0.07
        progress = _percent(cues.progress) / 100
        self._rect(left, y, bar_right, y + 0.014, _TRACK)
        self._rect(left, y, left + (bar_right - left) * progress, y + 0.014, _PROGRESS)
        self._text(f"{_percent(progress)} %", right, y, small_h, _TEXT, align="right")
        y -= 0.012
        label_w = self._label_width(cues.gauges)
        for gauge in cues.gauges:
            y -= row
            self._gauge(gauge, left, right, y, label_w)
        if self._icon_uv(cues.pictogram) is not None:
            y = self._advice(cues, left, right, y - 0.008, self.ICON, self.MESSAGE_HEIGHT,
                             self.ADVICE_LINES) - 0.004
        elif cues.message:  # long advice wraps inside the panel
            y -= 0.012
            for line in self._message_lines(cues):
                y -= self.MESSAGE_HEIGHT
                self._text(line, 0.0, y, self.MESSAGE_HEIGHT, _NEAR, align="center")
                y -= self.MESSAGE_HEIGHT * 0.25
        if debug_lines:
            y -= 0.006
        for line in debug_lines:
            y -= debug_h * 1.3
            self._text(line, left, y, debug_h, _DIM)

    ICON = 0.064
    #: Lines of advice beside a pictogram: enough for the whole advice, its "what to do"
    #: last ("Poussez : inclinez la buse vers l'avant..." was cut at two lines).
    ADVICE_LINES = 4

    def _icon_uv(self, name: str) -> tuple | None:
        return self.atlas.icons.get(name) if name else None

    MESSAGE_HEIGHT = 0.024

    def _message_lines(self, cues: Cues) -> list[str]:
        w = self.WIDTH - 2 * self.MARGIN
        key = ("message", cues.message, w)
        lines = self._wrapped.get(key)
        if lines is None:
            lines = self._wrapped[key] = _wrap(self.atlas, cues.message, self.MESSAGE_HEIGHT,
                                               w, 3)
        return lines

    def _message_height(self, cues: Cues) -> float:
        if self._icon_uv(cues.pictogram) is not None:
            w = self.WIDTH - 2 * self.MARGIN - self.ICON - 0.015
            lines = self._wrap(cues.message, self.MESSAGE_HEIGHT, w, self.ADVICE_LINES)
            return max(self.ICON, len(lines) * self.MESSAGE_HEIGHT * 1.25) + 0.012
        if not cues.message:
            return 0.0
        return 0.016 + len(self._message_lines(cues)) * self.MESSAGE_HEIGHT * 1.25

    def _advice(self, cues: Cues, left: float, right: float, top: float, size: float,
                text_h: float, max_lines: int = 2) -> float:
        """Pictogram at ``left`` below ``top``, the message wrapped beside it; the bottom y.

        The two are centred on each other in a block as tall as the taller one.
        """
        x = left + size + 0.015
        lines = self._wrap(cues.message, text_h, right - x, max_lines)
        text_block = len(lines) * text_h * 1.25
        block = max(size, text_block)
        self._icon(cues.pictogram, left, top - (block + size) / 2, size, _NEAR)
        y = top - (block - text_block) / 2
        for line in lines:
            y -= text_h
            self._text(line, x, y, text_h, _NEAR)
            y -= text_h * 0.25
        return top - block

    def _icon(self, name: str, x0: float, y0: float, size: float, color) -> None:
        """The pictogram ``name`` as a ``size`` square with its bottom left at (x0, y0)."""
        uv = self._icon_uv(name)
        if uv is None or self.count + 6 > len(self.vertices):
            return
        u0, v0, u1, v1 = uv
        out = self.vertices[self.count:self.count + 6]
        x1, y1 = x0 + size, y0 + size
        out[:, 0] = (x0, x1, x1, x0, x1, x0)
        out[:, 1] = (y0, y0, y1, y0, y1, y1)
        out[:, 2] = (u0, u1, u1, u0, u1, u0)
        out[:, 3] = (v0, v0, v1, v0, v1, v1)
        out[:, 4:8] = color
        self.count += 6

    def _layout_large(self, cues: Cues) -> None:
        """Simple mode: one line of what to do, the advice with its pictogram, how to go on."""
        w, m = self.WIDTH, self.MARGIN
        left, right = -w / 2 + m, w / 2 - m
        main_h, msg_h, hint_h, icon = 0.048, 0.034, 0.026, 0.13
        main = cues.instruction_fr if cues.language == "fr" else cues.instruction_en
        main_lines = _wrap(self.atlas, main, main_h, right - left, 6)
        has_icon = self._icon_uv(cues.pictogram) is not None
        msg_lines = ([] if has_icon or not cues.message
                     else _wrap(self.atlas, cues.message, msg_h, right - left, 3))
        hint_lines = _wrap(self.atlas, cues.hint, hint_h, right - left, 2)
        advice_lines = (len(_wrap(self.atlas, cues.message, msg_h, right - left - icon - 0.015, 4))
                        if has_icon else 0)
        icon_block = max(icon, advice_lines * msg_h * 1.25) + 0.02 if has_icon else 0
        height = (2 * m + len(main_lines) * main_h * 1.3 + icon_block
                  + len(msg_lines) * msg_h * 1.3 + len(hint_lines) * hint_h * 1.3
                  + (0.03 if cues.hold > 0 else 0))
        top = height / 2
        self._rect(-w / 2, -top, w / 2, top, _PANEL)
        y = top - m
        for line in main_lines:
            y -= main_h
            self._text(line, 0.0, y, main_h, _TEXT, align="center")
            y -= main_h * 0.3
        if has_icon:
            y = self._advice(cues, left, right, y - 0.01, icon, msg_h, 4) - 0.01
        for line in msg_lines:
            y -= msg_h
            self._text(line, 0.0, y, msg_h, _NEAR, align="center")
            y -= msg_h * 0.3
        for line in hint_lines:
            y -= hint_h
            self._text(line, 0.0, y, hint_h, _TEXT, align="center")
            y -= hint_h * 0.3
        if cues.hold > 0:
            y -= 0.022
            self._rect(left, y, right, y + 0.016, _TRACK)
            self._rect(left, y, left + (right - left) * min(cues.hold, 1.0), y + 0.016, _OK)

    def _label_width(self, gauges: list[Gauge]) -> float:
        """Room for the gauges' labels: their longest at full size, within 0.17-0.26 m."""
        longest = max((self.atlas.width(g.label) * 0.018 for g in gauges), default=0.0)
        return min(max(longest + 0.01, 0.17), 0.26)

    def _gauge(self, g: Gauge, left: float, right: float, y: float, label_w: float) -> None:
        value_w = 0.13
        # a label longer than its room is drawn smaller rather than cut by the bar
        size = min(0.018, (label_w - 0.01) / max(self.atlas.width(g.label), 1e-9))
        self._text(g.label, left, y + 0.008, size, _DIM)
        x0, x1 = left + label_w, right - value_w
        band = max(g.high - g.low, 1e-9)
        lo, hi = g.low - band / 2, g.high + band / 2

        def at(v: float) -> float:
            return x0 + (x1 - x0) * (min(max(v, lo), hi) - lo) / (hi - lo)

        self._rect(x0, y + 0.006, x1, y + 0.022, _TRACK)
        self._rect(at(g.low), y + 0.006, at(g.high), y + 0.022, _BAND)
        xi = at(g.ideal)
        self._rect(xi - 0.0015, y + 0.002, xi + 0.0015, y + 0.026, _TEXT)
        if g.low <= g.value <= g.high:
            color = _OK
        elif g.low - band / 4 <= g.value <= g.high + band / 4:
            color = _NEAR
        else:
            color = _BAD
        xv = at(g.value)
        self._rect(xv - 0.005, y - 0.002, xv + 0.005, y + 0.030, color)
        unit = f" {g.unit}" if g.unit else ""
        self._text(g.text or f"{g.value:.3g}{unit}", right, y + 0.008, 0.018, color,
                   align="right")

    def _append(self, block: np.ndarray, x: float = 0.0, y: float = 0.0) -> None:
        """Copy a vertex block (n, 8) into the buffer, moved by (x, y)."""
        n = len(block)
        if n == 0 or self.count + n > len(self.vertices):
            return
        out = self.vertices[self.count:self.count + n]
        out[...] = block
        if x or y:
            out[:, 0] += x
            out[:, 1] += y
        self.count += n

    def _rect(self, x0: float, y0: float, x1: float, y1: float, color) -> None:
        if self.count + 6 > len(self.vertices):
            return
        out = self.vertices[self.count:self.count + 6]
        out[:, 0] = (x0, x1, x1, x0, x1, x0)
        out[:, 1] = (y0, y0, y1, y0, y1, y1)
        out[:, 2:4] = self._white
        out[:, 4:8] = color
        self.count += 6

    def _text(self, text: str, x: float, y: float, height: float, color,
              align: str = "left") -> None:
        """Draw one line with its baseline at ``y``; ``x`` is its left, right or centre."""
        key = (text, height, color, align)
        block = self._blocks.get(key)
        if block is None:
            block = self._text_block(text, height, color, align)
            if len(self._blocks) > 1024:
                self._blocks.clear()
            self._blocks[key] = block
        self._append(block, x, y)

    def _text_block(self, text: str, height: float, color, align: str) -> np.ndarray:
        """Vertices (6k, 8) of a line at the origin, scaled to ``height`` metres."""
        quads = self.atlas.layout(text).copy()
        quads[:, 0:4] *= height
        if align != "left":
            width = self.atlas.width(text) * height
            quads[:, (0, 2)] -= width if align == "right" else width / 2
        block = np.empty((len(quads), 6, UI_FLOATS), np.float32)
        block[:, :, 0:4] = quads[:, _CORNERS]
        block[:, :, 4:8] = color
        return block.reshape(-1, UI_FLOATS)
