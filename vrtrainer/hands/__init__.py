"""Hands: OpenXR's 26-joint hand model, a kinematic hand, gesture keyframes and simulated hands."""
