"""Pose sources and frame sinks: OpenXR (in vrtrainer.xr), simulated trainee, replay."""
