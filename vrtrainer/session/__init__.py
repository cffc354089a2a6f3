"""Training sessions: the step state machine, the per-frame training logic, the loop."""
