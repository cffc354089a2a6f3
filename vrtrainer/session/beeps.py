"""Audio cues for recording: short beeps written as WAV files and played if a player exists.

The countdown ticks, recording starts with a higher, longer tone and stops with
a lower one. Sound is a courtesy, never a requirement: without a player (or a
sound device) nothing fails, and the terminal bell still rings when asked.
"""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

#: name: (frequency Hz, duration s)
TONES = {"tick": (880.0, 0.12), "start": (1320.0, 0.3), "stop": (440.0, 0.25)}
RATE = 22050
#: Players tried in order; each takes the WAV path as its last argument.
PLAYERS = (("paplay",), ("pw-play",), ("aplay", "-q"), ("afplay",))


def write_tone(path: str | Path, frequency: float, duration: float, rate: int = RATE,
               volume: float = 0.4) -> Path:
    """A mono 16-bit sine beep with 5 ms fades (no clicks), written with :mod:`wave`."""
    path = Path(path)
    n = int(duration * rate)
    fade = max(1, int(0.005 * rate))
    frames = bytearray()
    for i in range(n):
        ramp = min(1.0, i / fade, (n - 1 - i) / fade)
        v = volume * ramp * math.sin(2.0 * math.pi * frequency * i / rate)
        frames += struct.pack("<h", int(round(v * 32767)))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return path


def find_player() -> tuple[str, ...] | None:
    """The first available command-line WAV player, or None."""
    for cmd in PLAYERS:
        exe = shutil.which(cmd[0])
        if exe:
            return (exe, *cmd[1:])
    return None


class Beeper:
    """Plays the recording cues without blocking the frame loop.

    ``sound`` False writes nothing and plays nothing; ``bell`` rings the
    terminal bell (on stderr) with each cue. ``played`` lists the cues given,
    for tests and logs.
    """

    def __init__(self, sound: bool = True, bell: bool = True,
                 directory: str | Path | None = None) -> None:
        self.sound = sound
        self.bell = bell
        self.played: list[str] = []
        self.files: dict[str, Path] = {}
        self.player = find_player() if sound else None
        self._procs: list[subprocess.Popen] = []
        if sound:
            folder = Path(directory or tempfile.mkdtemp(prefix="vrtrainer-beeps-"))
            folder.mkdir(parents=True, exist_ok=True)
            for name, (freq, dur) in TONES.items():
                self.files[name] = write_tone(folder / f"{name}.wav", freq, dur)

    def __call__(self, cue: str) -> None:
        """Give the cue ``cue`` ('tick', 'start' or 'stop')."""
        self.played.append(cue)
        if self.bell:
            try:
                sys.stderr.write("\a")
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
        if self.player is None or cue not in self.files:
            return
        self._procs = [p for p in self._procs if p.poll() is None]
        try:
            self._procs.append(subprocess.Popen(
                [*self.player, str(self.files[cue])], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        except OSError:
            self.player = None  # the player vanished or cannot run: stay silent

    def close(self) -> None:
        """Wait briefly for beeps still playing, then stop them."""
        for p in self._procs:
            try:
                p.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                p.kill()
        self._procs.clear()
