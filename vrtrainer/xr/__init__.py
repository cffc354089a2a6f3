"""vrtrainer in a headset: an OpenXR backend through pyopenxr."""
