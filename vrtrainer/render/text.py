"""Bitmap font atlas for in-scene text, rasterised with Pillow's bundled font.

Pillow ships the Aileron font (public domain, CC0) inside the library, so text
needs no system font. Aileron lacks accented letters, so French letters are
composed here: the base letter plus an accent drawn from the font's own
spacing marks (acute, grave, caret, tilde, period, comma). Layout is cached
per string; a laid-out string is an array of quads in em units.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vrtrainer.errors import RenderError

#: Characters in the atlas besides printable ASCII.
EXTRA_CHARS = "àâäçéèêëîïôöùûüÿÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ«»’°±…"
#: Characters drawn as other text (the font has no glyph for them).
FALLBACKS = {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "–": "-", "—": "-", "•": "*",
             "×": "x", "→": "->", "\u00a0": " ", "€": "EUR", "·": "-", "‘": "’", "“": '"', "”": '"'}

_ABOVE_MARKS = {"\u0301": "´", "\u0300": "`", "\u0302": "^", "\u0303": "~", "\u0308": ".."}
_CEDILLA = "\u0327"

#: Prefix of icon keys among the glyphs (never a character of text).
_ICON = "\x00icon:"

#: Floats per quad: x0, y0, x1, y1 (em, y up from the baseline), u0, v0, u1, v1.
QUAD_FLOATS = 8


@dataclass
class Glyph:
    """Where a glyph sits in the atlas and around the pen (em units, y up)."""

    x0: float
    y0: float
    x1: float
    y1: float
    u0: float
    v0: float
    u1: float
    v1: float
    advance: float


def _ink_box(font: ImageFont.FreeTypeFont, text: str) -> tuple[int, int, int, int]:
    """Inked pixels' box of ``text`` drawn with anchor 'ls' at (0, 0)."""
    size = int(font.size)
    canvas = Image.new("L", (size * 3, size * 3), 0)
    ImageDraw.Draw(canvas).text((size, 2 * size), text, font=font, fill=255, anchor="ls")
    box = canvas.getbbox()
    if box is None:
        raise RenderError(f"{text!r} draws no ink")
    x0, y0, x1, y1 = box
    return x0 - size, y0 - 2 * size, x1 - size, y1 - 2 * size


def _font(size: int) -> ImageFont.FreeTypeFont:
    """Pillow's default (FreeType) font at ``size`` pixels."""
    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):
        raise RenderError("Pillow has no FreeType here: the text atlas needs it")
    return font


class FontAtlas:
    """A single-channel glyph atlas and the string layout that uses it.

    ``image`` (H, W) uint8 coverage; ``white_uv`` is a texel inside a solid
    block, so untextured rectangles can share the text's shader and draw call.
    ``icons`` (name -> (h, w) uint8 coverage, e.g. the advice pictograms) are
    packed too; :attr:`icons` gives their (u0, v0, u1, v1).
    """

    def __init__(self, size: int = 48, width: int = 1024,
                 icons: dict[str, np.ndarray] | None = None) -> None:
        self.size = size
        self._font = _font(size)
        self._small = _font(int(size * 0.72))
        ascent, descent = self._font.getmetrics()
        self.line_height = (ascent + descent) / size
        self.ascent = ascent / size
        chars = [chr(c) for c in range(32, 127)] + list(EXTRA_CHARS)
        images = {c: self._rasterise(c) for c in chars}
        for name, mask in (icons or {}).items():
            images[_ICON + name] = (Image.fromarray(np.asarray(mask, np.uint8)), 0, 0, 1.0)
        self.image, self.glyphs, self.white_uv = self._pack(images, width)
        self.icons = {key[len(_ICON):]: (g.u0, g.v0, g.u1, g.v1)
                      for key, g in self.glyphs.items() if key.startswith(_ICON)}
        self._cache: dict[str, np.ndarray] = {}

    def _rasterise(self, ch: str) -> tuple[Image.Image | None, int, int, float]:
        """Glyph image, its left/top offset from pen and baseline (pixels), advance."""
        font = self._font
        size = self.size
        decomposed = unicodedata.normalize("NFD", ch)
        base, marks = decomposed[0], decomposed[1:]
        canvas = Image.new("L", (size * 3, size * 3), 0)
        draw = ImageDraw.Draw(canvas)
        pen, baseline = size, 2 * size
        draw.text((pen, baseline), base, font=font, fill=255, anchor="ls")
        if marks and base in "ij":
            # Drop the dot before putting an accent over i (no dotless i in the font).
            x_top = font.getbbox("x", anchor="ls")[1]
            draw.rectangle((0, 0, canvas.width, baseline + x_top - 2), fill=0)
        ink = canvas.getbbox()
        for mark in marks:
            if ink is None:
                break
            centre = (ink[0] + ink[2]) / 2
            if mark == _CEDILLA:
                text, mark_font = ",", font
            elif mark in _ABOVE_MARKS:
                text = _ABOVE_MARKS[mark]
                mark_font = self._small if text in "^~" else font
            else:
                continue
            box = _ink_box(mark_font, text)
            x = centre - (box[0] + box[2]) / 2
            if mark == _CEDILLA:
                y = baseline - box[1] - size * 0.02
            else:
                y = ink[1] - size * 0.07 - box[3]
            draw.text((x, y), text, font=mark_font, fill=255, anchor="ls")
            ink = canvas.getbbox()
        advance = font.getlength(base) / size
        if ink is None:
            return None, 0, 0, advance
        return canvas.crop(ink), ink[0] - pen, ink[1] - baseline, advance

    def _pack(self, images: dict, width: int):
        pad = 2
        x, y, row = 16 + pad, 0, 16 + pad  # a 16x16 white block sits at the origin
        places = {}
        for ch, (img, _, _, _) in images.items():
            if img is None:
                continue
            w, h = img.size
            if x + w + pad > width:
                x, y, row = 0, y + row, 0
            places[ch] = (x, y)
            x += w + pad
            row = max(row, h + pad)
        height = 1 << int(np.ceil(np.log2(y + row)))
        atlas = Image.new("L", (width, height), 0)
        atlas.paste(255, (0, 0, 16, 16))
        glyphs = {}
        for ch, (img, left, top, advance) in images.items():
            if img is None:
                glyphs[ch] = Glyph(0, 0, 0, 0, 0, 0, 0, 0, advance)
                continue
            px, py = places[ch]
            atlas.paste(img, (px, py))
            w, h = img.size
            s = self.size
            glyphs[ch] = Glyph(left / s, -(top + h) / s, (left + w) / s, -top / s,
                               px / width, (py + h) / height, (px + w) / width, py / height,
                               advance)
        white = (8 / width, 8 / height)
        return np.asarray(atlas), glyphs, white

    def layout(self, text: str) -> np.ndarray:
        """Quads (k, 8) of a one-line string, pen starting at x=0 on the baseline, in em.

        Characters without a glyph fall back to similar text or '?'. The result
        is cached and must not be modified.
        """
        quads = self._cache.get(text)
        if quads is not None:
            return quads
        rows = []
        pen = 0.0
        for ch in "".join(FALLBACKS.get(c, c) for c in text):
            glyph = self.glyphs.get(ch) or self.glyphs["?"]
            if glyph.x1 > glyph.x0:
                rows.append((pen + glyph.x0, glyph.y0, pen + glyph.x1, glyph.y1,
                             glyph.u0, glyph.v0, glyph.u1, glyph.v1))
            pen += glyph.advance
        quads = np.array(rows, np.float32).reshape(-1, QUAD_FLOATS)
        quads.setflags(write=False)
        if len(self._cache) > 512:
            self._cache.clear()
        self._cache[text] = quads
        return quads

    def width(self, text: str) -> float:
        """Advance width of a one-line string in em."""
        return sum((self.glyphs.get(c) or self.glyphs["?"]).advance
                   for c in "".join(FALLBACKS.get(c, c) for c in text))
