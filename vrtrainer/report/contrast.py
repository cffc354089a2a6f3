"""WCAG 2 contrast of colour pairs, so a report stays readable by those who see poorly.

Text needs a ratio of at least 4.5:1 against its background (WCAG 2.1 AA,
1.4.3), graphics that carry information 3:1 (1.4.11). Colours are CSS hex
(``#rgb`` or ``#rrggbb``).
"""

from __future__ import annotations

import re

TEXT_MIN = 4.5
GRAPHIC_MIN = 3.0
_HEX = re.compile(r"#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")


def hex_colour(text: str) -> str:
    """``text`` as lower-case ``#rrggbb`` (``#fff`` -> ``#ffffff``)."""
    h = text.strip().lower().lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    if len(h) != 6 or any(c not in "0123456789abcdef" for c in h):
        raise ValueError(f"not a CSS hex colour: {text!r}")
    return f"#{h}"


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of an sRGB colour, 0 (black) to 1 (white)."""
    h = hex_colour(colour)
    out = 0.0
    for weight, i in ((0.2126, 1), (0.7152, 3), (0.0722, 5)):
        c = int(h[i:i + 2], 16) / 255
        c = c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
        out += weight * c
    return out


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours, 1 (same) to 21 (black on white)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def css_colours(css: str) -> set[str]:
    """Every hex colour a style sheet names, normalised."""
    return {hex_colour(m) for m in _HEX.findall(css)}
