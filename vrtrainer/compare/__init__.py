"""Hand-pose comparison: features, DTW alignment, live tracking, templates and scores.

Imports nothing from rendering or OpenXR; everything works on takes and
plain arrays, headless.
"""

from vrtrainer.compare.dtw import derivative_estimate, dtw_distance, dtw_matrix, dtw_path
from vrtrainer.compare.features import (
    STANDARD_HAND_LENGTH,
    FeatureConfig,
    Features,
    Layout,
    build_layout,
    mirror_channels,
    smoothed,
    take_features,
)
from vrtrainer.compare.live import LiveAligner, LiveState
from vrtrainer.compare.reference import build_reference, calibrate_reference
from vrtrainer.compare.score import (
    PASS_MARK,
    Score,
    calibrate_rejection,
    dissimilarity,
    score_features,
    score_take,
)
from vrtrainer.compare.template import (
    Template,
    Tolerance,
    build_template,
    dba,
    load_template,
    save_template,
)

__all__ = [
    "PASS_MARK", "STANDARD_HAND_LENGTH", "FeatureConfig", "Features", "Layout", "LiveAligner",
    "LiveState", "Score", "Template", "Tolerance", "build_layout", "build_reference",
    "build_template", "calibrate_reference", "calibrate_rejection", "dba",
    "derivative_estimate", "dissimilarity", "dtw_distance",
    "dtw_matrix", "dtw_path", "load_template", "mirror_channels", "save_template",
    "score_features", "score_take", "smoothed", "take_features",
]
