"""Text to WAV with espeak-ng, ahead of time, cached; checked WAV files recorded by packs.

Synthesis runs before an attempt (or on a worker thread), never on the frame
loop. Each file is named by a hash of everything that made it (engine
version, voice, rate, volume, text), in a folder per scenario pack and
language, so a second session speaks from the cache and a changed text gets
a new file. Recorded audio shipped by a pack is data from another
organisation: only small PCM WAV files are accepted, read through the pack's
bounded file access, and re-written at the session's volume.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import threading
import wave
from pathlib import Path

import numpy as np

from vrtrainer.errors import InvalidFileError

#: espeak-ng voice for each session language.
VOICES = {"fr": "fr-fr", "en": "en-gb"}
#: Speaking rate in words per minute: a little slower than espeak-ng's 175, for learners.
RATE_WPM = 150
#: Caps on a pack's recorded WAV: bytes, seconds, channels, sample rates.
MAX_WAV_BYTES = 8 * 1024 * 1024
MAX_WAV_SECONDS = 60.0
SAMPLE_RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000)
#: Longest text handed to the engine (characters); longer texts are cut at a word.
MAX_TEXT = 600


def _engine_version(exe: str) -> str:
    """The engine's version line ("" when it does not run)."""
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, timeout=10,
                             check=True, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.decode("utf-8", "replace").split("Data at")[0].strip() or "espeak-ng"


def find_espeak() -> str | None:
    """Path of the espeak-ng program, or None when it is not installed."""
    return shutil.which("espeak-ng")


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/vrtrainer/voice`` (``~/.cache/vrtrainer/voice`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "vrtrainer" / "voice"


def _slug(text: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "-" for c in text)
    return keep.strip("-.")[:80] or "pack"


def _clip_text(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= MAX_TEXT:
        return text
    return text[:MAX_TEXT].rsplit(" ", 1)[0]


class Synthesiser:
    """Speaks texts of one language into WAV files under ``cache_dir/pack/language``.

    ``volume`` 0-1 scales the engine's amplitude (1 is espeak-ng's default);
    ``exe`` is the espeak-ng program (found on PATH when None; without one,
    :attr:`available` is False and :meth:`wav_for` returns None). ``made`` and
    ``hits`` count files synthesised and found in the cache; ``threads`` the
    thread ids that synthesised (a test checks the frame loop's is not one).
    """

    def __init__(self, language: str, pack: str = "builtin",
                 cache_dir: str | Path | None = None, volume: float = 1.0,
                 rate_wpm: int = RATE_WPM, exe: str | None = None) -> None:
        if language not in VOICES:
            raise ValueError(f"no voice for language {language!r}; choose from {sorted(VOICES)}")
        self.language = language
        self.voice = VOICES[language]
        self.volume = min(max(float(volume), 0.0), 1.0)
        self.rate_wpm = int(rate_wpm)
        self.exe = exe if exe is not None else find_espeak()
        self.folder = Path(cache_dir or default_cache_dir()) / _slug(pack) / language
        self.made = 0
        self.hits = 0
        self.threads: set[int] = set()
        self._lock = threading.Lock()
        self._version = _engine_version(self.exe) if self.exe else ""

    @property
    def available(self) -> bool:
        return bool(self.exe) and bool(self._version)


    def key(self, text: str) -> str:
        """Content hash naming the file of ``text`` (engine, voice, rate, volume, text)."""
        blob = "\n".join((self._version, self.voice, str(self.rate_wpm),
                          f"{self.volume:.3f}", _clip_text(text)))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:24]

    def path_for(self, text: str) -> Path:
        return self.folder / f"{self.key(text)}.wav"

    def wav_for(self, text: str) -> Path | None:
        """The WAV file speaking ``text``: from the cache, or synthesised now (blocking).

        Returns None when there is nothing to say or no engine. Call it ahead
        of time or from a worker thread, not from the frame loop.
        """
        text = _clip_text(text)
        exe = self.exe
        if not text or not exe or not self.available:
            return None
        path = self.path_for(text)
        if path.is_file() and path.stat().st_size > 44:
            with self._lock:
                self.hits += 1
            return path
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp")
        amplitude = str(round(100 * self.volume))
        try:
            subprocess.run(
                [exe, "-v", self.voice, "-s", str(self.rate_wpm), "-a", amplitude,
                 "-b", "1", "-w", str(tmp), "--stdin"],
                input=text.encode("utf-8"), capture_output=True, timeout=60, check=True)
            os.replace(tmp, path)  # whole files only: a reader never sees half of one
        except (OSError, subprocess.SubprocessError):
            tmp.unlink(missing_ok=True)
            return None
        with self._lock:
            self.made += 1
            self.threads.add(threading.get_ident())
        return path

    def recorded(self, data: bytes, where: str) -> Path:
        """Cache a pack's recorded WAV (checked, at this volume); the file to play."""
        rate, samples = load_recorded_wav(data, where)
        digest = hashlib.sha256(data + f"{self.volume:.3f}".encode()).hexdigest()[:24]
        path = self.folder / f"rec-{digest}.wav"
        if path.is_file():
            with self._lock:
                self.hits += 1
            return path
        self.folder.mkdir(parents=True, exist_ok=True)
        scaled = np.clip(samples.astype(np.float64) * self.volume, -32768, 32767)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp")
        write_wav(tmp, scaled.astype(np.int16), rate)
        os.replace(tmp, path)
        return path


def write_wav(path: str | Path, samples: np.ndarray, rate: int) -> Path:
    """Mono 16-bit PCM ``samples`` to ``path``."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(rate))
        w.writeframes(np.ascontiguousarray(samples, "<i2").tobytes())
    return Path(path)


def load_recorded_wav(data: bytes, where: str) -> tuple[int, np.ndarray]:
    """Check a recorded WAV and return (sample rate, mono int16 samples).

    Accepted: RIFF/WAVE, PCM 8 or 16 bit, one or two channels, a usual
    sample rate, at most :data:`MAX_WAV_BYTES` and :data:`MAX_WAV_SECONDS`.
    Anything else raises :class:`InvalidFileError` (one clear line).
    """
    if len(data) > MAX_WAV_BYTES:
        raise InvalidFileError(where, f"is {len(data)} bytes, over the cap of {MAX_WAV_BYTES}")
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise InvalidFileError(where, "is not a WAV file (no RIFF/WAVE header)")
    try:
        with wave.open(io.BytesIO(data)) as w:
            channels, width, rate, n = (w.getnchannels(), w.getsampwidth(), w.getframerate(),
                                        w.getnframes())
            if channels not in (1, 2) or width not in (1, 2) or rate not in SAMPLE_RATES:
                raise InvalidFileError(where, f"has {channels} channels, {8 * width}-bit "
                                       f"samples at {rate} Hz; expected PCM 8/16-bit, mono "
                                       "or stereo, 8-48 kHz")
            if n / rate > MAX_WAV_SECONDS:
                raise InvalidFileError(where, f"lasts {n / rate:.0f} s, over the cap of "
                                       f"{MAX_WAV_SECONDS:.0f} s")
            raw = w.readframes(n)
    except (wave.Error, EOFError) as exc:
        raise InvalidFileError(where, f"is not a readable PCM WAV file ({exc})") from None
    if width == 1:
        samples = (np.frombuffer(raw, np.uint8).astype(np.int16) - 128) * 256
    else:
        samples = np.frombuffer(raw[: len(raw) // 2 * 2], "<i2").astype(np.int16)
    if channels == 2:
        samples = samples[: len(samples) // 2 * 2].reshape(-1, 2).mean(axis=1).astype(np.int16)
    return rate, samples


def wav_stats(path: str | Path) -> tuple[float, float]:
    """Duration (s) and RMS level (0-1 of full scale) of a 16-bit PCM WAV file."""
    with wave.open(str(path)) as w:
        rate, n, width, channels = w.getframerate(), w.getnframes(), w.getsampwidth(), \
            w.getnchannels()
        raw = w.readframes(n)
    if width != 2:
        raise ValueError(f"{path}: expected 16-bit samples, got {8 * width}-bit")
    x = np.frombuffer(raw, "<i2").astype(np.float64) / 32768.0
    rms = float(np.sqrt(np.mean(x ** 2))) if x.size else 0.0
    return n / rate if rate else 0.0, rms if channels else 0.0


def wav_duration(path: str | Path) -> float:
    """Duration of a WAV file in seconds (0 when it cannot be read)."""
    try:
        with wave.open(str(path)) as w:
            return w.getnframes() / max(w.getframerate(), 1)
    except (OSError, wave.Error, EOFError):
        return 0.0
