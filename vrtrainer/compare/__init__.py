"""Hand-pose comparison: features, DTW alignment, live tracking, templates and scores."""
