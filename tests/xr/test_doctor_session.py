"""`vrtrainer doctor` against Monado, and a runtime killed under a running session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _doctor(*args, **kw):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "vrtrainer", "doctor", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **kw)  # fmt: skip


def test_doctor_reports_monado(monado):
    proc = _doctor("--session", "1")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    assert "Monado(XRT)" in out and "25.0" in out
    assert "XR_EXT_hand_tracking supported" in out
    assert "mode egl" in out
    session = next(line for line in out.splitlines() if line.strip().startswith("ok  session"))
    assert "FOCUSED" in session and "EXITING" in session


def test_killing_the_runtime_ends_the_app_with_a_clear_message(monado):
    proc = _doctor("--session", "600")
    try:
        for line in proc.stdout:
            if "session: focused" in line:
                break
        else:
            raise AssertionError("the session never got focused: " + proc.stderr.read()[-2000:])
        monado.kill()
        out, err = proc.communicate(timeout=60)  # never a hang
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 2
    message = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(message) == 1
    assert "lost the OpenXR runtime (Monado" in message[0]
    assert "Traceback" not in err
