"""Plausible time bases: the checks every take, journal and template's times pass at load.

Times drive sizes: a window of 0.15 s is ``0.15 * rate`` frames, and the rate comes from the
spacing of the times. A 340 KB take with 1e-9 s steps claimed a billion frames a second; one
with 1000 s steps or 1e308 made durations and speeds meaningless and still scored. So times
must be finite, strictly increasing, within a plausible range of the nominal rate, with no
gap longer than :data:`MAX_STEP_S` and a duration within :data:`MAX_DURATION_S`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vrtrainer.errors import InvalidFileError

#: Longest take or template: 40 minutes (the frame cap at 90 Hz).
MAX_DURATION_S = 2400.0
#: Largest time value: about 31 years of a runtime's clock, where float64 still resolves
#: microseconds.
MAX_ABS_TIME_S = 1e9
#: Longest gap between two frames: a minute. Real sessions stall (a runtime paused, an
#: application compiling on a loaded machine: 5.4 s at an attempt's first frame through
#: Monado in CI), and a take the recorder wrote must load; sizes follow the median step
#: and the duration cap, not this.
MAX_STEP_S = 60.0
#: Shortest step between two frames: 0.1 ms. A real runtime delivers frames in bursts (Monado
#: gave a 1 ms step in a 90 Hz session), so single steps are not held to the nominal period;
#: sizes follow the median step, which is.
MIN_STEP_S = 1e-4
#: The median step is at least the nominal period over this factor, and at most this
#: factor times it or 1 s (1 Hz), whichever is longer.
MEDIAN_STEP_FACTOR = 4.0
#: Rates accepted where no nominal rate is stored (templates): 1 to 2000 Hz.
MIN_RATE_HZ, MAX_RATE_HZ = 1.0, 2000.0


def check_times(times: np.ndarray, path: str | Path, nominal_rate: float | None = None,
                what: str = "times") -> None:
    """Refuse ``times`` (seconds, one per frame) that no capture could have made.

    With ``nominal_rate`` (Hz) the spacing is checked against it; without, against
    1-2000 Hz. Raises :class:`InvalidFileError` naming ``path`` and the rule broken.
    """
    times = np.asarray(times, dtype=np.float64)
    if times.ndim != 1:
        raise InvalidFileError(path, f"{what} are not one value per frame")
    if not np.all(np.isfinite(times)):
        raise InvalidFileError(path, f"{what} contain NaN or infinity")
    if times.size == 0:
        return
    if np.max(np.abs(times)) > MAX_ABS_TIME_S:
        raise InvalidFileError(
            path, f"{what} reach {np.max(np.abs(times)):.3g} s, beyond {MAX_ABS_TIME_S:g} s"
        )
    if times.size < 2:
        return
    steps = np.diff(times)
    if not np.all(steps > 0):
        bad = int(np.argmin(steps > 0)) + 1
        raise InvalidFileError(path, f"{what} are not strictly increasing (at frame {bad})")
    duration = float(times[-1] - times[0])
    if duration > MAX_DURATION_S:
        raise InvalidFileError(
            path, f"{what} span {duration:.6g} s, over the cap of {MAX_DURATION_S:g} s"
        )
    longest = float(steps.max())
    if longest > MAX_STEP_S:
        at = int(np.argmax(steps)) + 1
        raise InvalidFileError(
            path, f"{what} jump {longest:.6g} s at frame {at}; the longest step accepted is "
            f"{MAX_STEP_S:g} s"
        )
    if nominal_rate is not None and nominal_rate > 0:
        period = 1.0 / float(nominal_rate)
        shortest, median = float(steps.min()), float(np.median(steps))
        if shortest < MIN_STEP_S:
            at = int(np.argmin(steps)) + 1
            raise InvalidFileError(
                path, f"{what} step {shortest:.3g} s at frame {at} is under the shortest "
                f"step accepted ({MIN_STEP_S:g} s)"
            )
        # faster than nominal drives sizes, so it is held to the factor; slower only
        # means a loaded machine (a 90 Hz session drawn at 15 Hz), down to 1 Hz
        slowest = max(period * MEDIAN_STEP_FACTOR, 1.0 / MIN_RATE_HZ)
        if not (period / MEDIAN_STEP_FACTOR <= median <= slowest):
            raise InvalidFileError(
                path, f"{what} median step {median:.3g} s is not between a "
                f"{MEDIAN_STEP_FACTOR:g}th of the nominal period ({period:.4g} s at "
                f"{nominal_rate:g} Hz) and {slowest:g} s"
            )
    else:
        shortest = float(steps.min())
        median = float(np.median(steps))
        if shortest < 1.0 / (MAX_RATE_HZ * MEDIAN_STEP_FACTOR) or not (
            1.0 / MAX_RATE_HZ <= median <= 1.0 / MIN_RATE_HZ
        ):
            raise InvalidFileError(
                path, f"{what} step {shortest:.3g} s (median {median:.3g} s) is not a rate "
                f"between {MIN_RATE_HZ:g} and {MAX_RATE_HZ:g} Hz"
            )
