"""Spoken instructions and feedback, offline: synthesis to cached WAV files and a speech queue.

:mod:`~vrtrainer.speech.synth` turns text into WAV files with espeak-ng ahead
of time (cached per scenario pack and language, named by a hash of what made
them) and checks WAV files that packs ship; :mod:`~vrtrainer.speech.queue`
says one message at a time, the most important first, never over the expert
demonstration. Nothing here knows of sessions, OpenXR or GL.
"""

from vrtrainer.speech.queue import Priority, SpeechQueue, Utterance
from vrtrainer.speech.synth import (
    Synthesiser,
    find_espeak,
    load_recorded_wav,
    wav_stats,
)

__all__ = [
    "Priority",
    "SpeechQueue",
    "Synthesiser",
    "Utterance",
    "find_espeak",
    "load_recorded_wav",
    "wav_stats",
]
