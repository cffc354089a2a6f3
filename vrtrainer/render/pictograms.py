"""The advice pictograms of the cue panel, read from ``assets/pictograms``.

Each is an 8-bit coverage mask packed into the font atlas, so the panel draws
a pictogram like a glyph, tinted, in the same single draw call. The files are
the project's own; they are still read with a size cap and as greyscale PNG only.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from vrtrainer.render.scene import ASSETS

PICTOGRAMS = ASSETS / "pictograms"
#: Largest pictogram accepted (pixels a side) and file size (bytes).
MAX_SIDE = 256
MAX_BYTES = 256 * 1024
#: Side (pixels) of a pictogram in the font atlas: small enough that the atlas keeps its
#: size and every glyph its place (and so its mipmaps and how text looks).
ATLAS_SIDE = 64


def pictogram_path(kind: str) -> Path:
    """Where the pictogram of advice ``kind`` is shipped."""
    return PICTOGRAMS / f"{kind}.png"


@lru_cache(maxsize=1)
def load_pictograms(folder: str | Path = PICTOGRAMS) -> dict[str, np.ndarray]:
    """Every pictogram of ``folder`` as name -> (h, w) uint8 coverage; {} if there is none."""
    from PIL import Image

    out: dict[str, np.ndarray] = {}
    folder = Path(folder)
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.png")):
        if path.stat().st_size > MAX_BYTES:
            continue
        with Image.open(path) as im:
            if max(im.size) > MAX_SIDE:
                continue
            out[path.stem] = np.asarray(im.convert("L"), np.uint8)
    return out


def atlas_icons(side: int = ATLAS_SIDE) -> dict[str, np.ndarray]:
    """The pictograms reduced to ``side`` pixels, as the font atlas packs them."""
    from PIL import Image

    return {name: np.asarray(Image.fromarray(mask).resize((side, side),
                                                          Image.Resampling.LANCZOS))
            for name, mask in load_pictograms().items()}
