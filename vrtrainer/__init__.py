"""vrtrainer: an open VR gesture-training engine.

Units and conventions are OpenXR's throughout: metres, seconds, right-handed
coordinates, quaternions stored (x, y, z, w), the 26 XR_EXT_hand_tracking joints
in spec order.
"""

__version__ = "0.1.0"
