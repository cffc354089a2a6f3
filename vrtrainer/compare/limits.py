"""How much memory one alignment may take, checked before any DTW kernel runs.

A warping path needs one step byte per pair of frames: two takes at the frame cap
(216,000 frames each) would need 47 GB. :func:`check_alignment` refuses such a pair
with a message naming the limit, instead of letting the allocation fail or swap.
"""

from __future__ import annotations

from vrtrainer.errors import VrtrainerError

#: Most frame pairs one warping path may cover: 256 Mi step bytes, e.g. a 40-minute take
#: against a 13-second reference at 90 Hz, or two 3-minute takes.
MAX_ALIGN_CELLS = 256 * 1024 * 1024


def check_alignment(n: int, m: int) -> None:
    """Refuse aligning ``n`` frames with ``m`` frames if the path memory would be too large."""
    cells = int(n) * int(m)
    if cells > MAX_ALIGN_CELLS:
        raise VrtrainerError(
            f"aligning {n} frames with {m} frames needs {cells:,} bytes of path memory, over "
            f"the limit of {MAX_ALIGN_CELLS:,} (vrtrainer.compare.limits.MAX_ALIGN_CELLS); "
            "trim the takes to the gesture (vrtrainer trim) and try again"
        )
