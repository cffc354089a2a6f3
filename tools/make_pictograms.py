"""Draw the advice pictograms of the cue panel into assets/pictograms/ (one PNG per kind).

Run from the repository root: ``python tools/make_pictograms.py``. Every
pictogram is drawn here from lines, arcs and polygons (no outside image), 4x
oversampled then reduced for smooth edges, and saved as an 8-bit coverage
mask (white is ink): the renderer tints it like text, so it stays readable on
the dark panel. Re-run after changing a drawing; the PNGs are committed.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "pictograms"
SIZE = 128
OVER = 4
S = SIZE * OVER
INK = 255
W = 26  # stroke width at the oversampled size


def _arrow(d: ImageDraw.ImageDraw, x0: float, y0: float, x1: float, y1: float,
           width: int = W, head: float = 70) -> None:
    """A straight arrow from (x0, y0) to (x1, y1) with a filled triangular head."""
    a = math.atan2(y1 - y0, x1 - x0)
    bx, by = x1 - head * math.cos(a), y1 - head * math.sin(a)
    d.line((x0, y0, bx, by), fill=INK, width=width)
    side = head * 0.62
    d.polygon([(x1, y1), (bx + side * math.sin(a), by - side * math.cos(a)),
               (bx - side * math.sin(a), by + side * math.cos(a))], fill=INK)


def _hand(d: ImageDraw.ImageDraw, cx: float, cy: float, k: float = 1.0,
          spread: float = 0.0) -> None:
    """An open hand, palm facing the viewer, fingers up; ``spread`` opens them (radians)."""
    pw, ph = 120 * k, 120 * k
    d.rounded_rectangle((cx - pw / 2, cy - ph / 3, cx + pw / 2, cy + ph * 2 / 3),
                        radius=30 * k, fill=INK)
    lengths = (95, 112, 104, 82)
    for i, length in enumerate(lengths):
        base_x = cx - pw / 2 + (i + 0.5) * pw / 4
        ang = (i - 1.5) * spread
        tx = base_x + length * k * math.sin(ang)
        ty = cy - ph / 3 - length * k * math.cos(ang)
        d.line((base_x, cy - ph / 3 + 10 * k, tx, ty), fill=INK, width=int(24 * k))
        d.ellipse((tx - 12 * k, ty - 12 * k, tx + 12 * k, ty + 12 * k), fill=INK)
    ta = math.radians(-50) - spread
    sx, sy = cx - pw / 2 + 6 * k, cy + ph / 6
    tx, ty = sx + 85 * k * math.sin(ta), sy - 85 * k * math.cos(ta)
    d.line((sx, sy, tx, ty), fill=INK, width=int(26 * k))
    d.ellipse((tx - 13 * k, ty - 13 * k, tx + 13 * k, ty + 13 * k), fill=INK)


def _fist(d: ImageDraw.ImageDraw, cx: float, cy: float, k: float = 1.0) -> None:
    """A closed hand: a rounded block with the folded fingers' grooves."""
    w, h = 150 * k, 130 * k
    d.rounded_rectangle((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), radius=36 * k,
                        fill=INK)
    for i in range(1, 4):
        x = cx - w / 2 + i * w / 4
        d.line((x, cy - h / 2, x, cy - h / 8), fill=0, width=int(9 * k))
    d.line((cx - w / 2 + 16 * k, cy + h / 8, cx + w / 4, cy + h / 8), fill=0, width=int(9 * k))


def _dial(d: ImageDraw.ImageDraw, fast: bool) -> None:
    """A speed dial whose needle points to the fast or the slow end, and a + or - sign."""
    cx, cy, r = S / 2, S * 0.62, S * 0.36
    d.arc((cx - r, cy - r, cx + r, cy + r), 180, 360, fill=INK, width=W)
    for t in range(0, 181, 30):
        a = math.radians(180 + t)
        d.line((cx + (r - 50) * math.cos(a), cy + (r - 50) * math.sin(a),
                cx + r * math.cos(a), cy + r * math.sin(a)), fill=INK, width=14)
    a = math.radians(180 + (150 if fast else 30))
    _arrow(d, cx, cy, cx + (r - 40) * math.cos(a), cy + (r - 40) * math.sin(a), W, 60)
    d.ellipse((cx - 30, cy - 30, cx + 30, cy + 30), fill=INK)
    y = S * 0.86
    d.line((cx - 55, y, cx + 55, y), fill=INK, width=W)
    if fast:
        d.line((cx, y - 55, cx, y + 55), fill=INK, width=W)


def slower(d: ImageDraw.ImageDraw) -> None:
    _dial(d, fast=False)


def faster(d: ImageDraw.ImageDraw) -> None:
    _dial(d, fast=True)


def steadier(d: ImageDraw.ImageDraw) -> None:
    """A shaky line above, an arrow, a straight line below."""
    pts = [(60 + i * 49, 110 + (40 if i % 2 else -40)) for i in range(9)]
    d.line(pts, fill=INK, width=W, joint="curve")
    _arrow(d, S / 2, 190, S / 2, 340, W, 60)
    d.line((60, 410, S - 60, 410), fill=INK, width=W + 6)


def higher(d: ImageDraw.ImageDraw) -> None:
    _hand(d, S * 0.36, S * 0.62, 1.25)
    _arrow(d, S * 0.80, S * 0.88, S * 0.80, S * 0.10, W + 4, 90)


def lower(d: ImageDraw.ImageDraw) -> None:
    _hand(d, S * 0.36, S * 0.50, 1.25)
    _arrow(d, S * 0.80, S * 0.10, S * 0.80, S * 0.90, W + 4, 90)


def angle(d: ImageDraw.ImageDraw) -> None:
    """Two rays from a corner with the arc between them and a turning arrow."""
    ox, oy = 80, S - 90
    d.line((ox, oy, S - 50, oy), fill=INK, width=W)
    a = math.radians(-45)
    d.line((ox, oy, ox + 420 * math.cos(a), oy + 420 * math.sin(a)), fill=INK, width=W)
    r = 230
    d.arc((ox - r, oy - r, ox + r, oy + r), -45, 0, fill=INK, width=W - 6)
    # The turning arrow's head at the arc's upper end.
    hx, hy = ox + r * math.cos(a), oy + r * math.sin(a)
    d.polygon([(hx - 45, hy - 20), (hx + 30, hy - 45), (hx + 10, hy + 40)], fill=INK)


def finger_open(d: ImageDraw.ImageDraw) -> None:
    _hand(d, S / 2, S * 0.60, 1.15, spread=0.32)
    _arrow(d, S * 0.30, S * 0.22, S * 0.08, S * 0.08, 18, 45)
    _arrow(d, S * 0.70, S * 0.22, S * 0.92, S * 0.08, 18, 45)


def finger_closed(d: ImageDraw.ImageDraw) -> None:
    _fist(d, S / 2, S * 0.58, 1.6)
    _arrow(d, S * 0.04, S * 0.20, S * 0.26, S * 0.34, 18, 45)
    _arrow(d, S * 0.96, S * 0.20, S * 0.74, S * 0.34, 18, 45)


def tracking_lost(d: ImageDraw.ImageDraw) -> None:
    """A hand under a "not seen" sign (circle and bar)."""
    _hand(d, S / 2, S * 0.56, 1.05)
    m = 30
    d.ellipse((m, m, S - m, S - m), outline=INK, width=W + 4)
    k = (S / 2 - m) * 0.72
    # The bar, with a dark border so it reads across the hand.
    d.line((S / 2 - k, S / 2 - k, S / 2 + k, S / 2 + k), fill=0, width=W + 40)
    d.line((S / 2 - k, S / 2 - k, S / 2 + k, S / 2 + k), fill=INK, width=W + 4)


DRAWINGS = {f.__name__: f for f in (slower, faster, steadier, higher, lower, angle,
                                    finger_open, finger_closed, tracking_lost)}


def draw(kind: str) -> Image.Image:
    """The pictogram of ``kind`` as a SIZE x SIZE 8-bit coverage mask."""
    big = Image.new("L", (S, S), 0)
    DRAWINGS[kind](ImageDraw.Draw(big))
    return big.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def main() -> None:
    ASSETS.mkdir(parents=True, exist_ok=True)
    for kind in DRAWINGS:
        path = ASSETS / f"{kind}.png"
        draw(kind).save(path, optimize=True)
        print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
