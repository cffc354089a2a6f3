"""`vrtrainer doctor` without a runtime: it says so, with advice, and fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_doctor_without_runtime_fails_with_advice(tmp_path):
    env = dict(os.environ, XR_RUNTIME_JSON=str(tmp_path / "no-runtime.json"),
               NUMBA_CACHE_DIR=str(tmp_path / "numba"), PYTHONPATH=str(ROOT))  # fmt: skip
    run = subprocess.run([sys.executable, "-m", "vrtrainer", "doctor"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 1
    lines = run.stdout.splitlines()
    runtime = next(line for line in lines if "OpenXR runtime" in line)
    assert runtime.startswith("FAIL") and "SteamVR" in runtime and "monado-service" in runtime
    assert any("GL renderer" in line and "EGL" in line for line in lines)
    assert any("numba cache" in line and "empty" in line for line in lines)
    assert "Traceback" not in run.stderr
