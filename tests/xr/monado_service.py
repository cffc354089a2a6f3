"""Run a real monado-service for the OpenXR integration tests.

The service runs with the null compositor (no display needed, lavapipe for its
Vulkan) and the ``remote`` driver (hands fed over TCP by
:mod:`vrtrainer.xr.remote_feeder`). Its stdin is a pipe we hold open: a newline
on it is Monado's clean shutdown. Readiness is the IPC socket in
``$XDG_RUNTIME_DIR`` plus the "service has started" line in its log.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

STARTED_LINE = "The Monado service has started."


class MonadoService:
    """One monado-service process with its own runtime and config folders."""

    def __init__(self, workdir: Path | None = None) -> None:
        exe = shutil.which("monado-service")
        if exe is None:
            raise RuntimeError(
                "monado-service is not installed here: run the OpenXR stage with `make test-xr`"
            )
        # Unix socket paths are short (108 bytes): a private folder under /tmp.
        self.runtime_dir = Path(tempfile.mkdtemp(prefix="xr", dir="/tmp"))
        self.workdir = workdir or self.runtime_dir
        self.log_path = self.workdir / "monado.log"
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME") or "/root",
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
            "XDG_CONFIG_HOME": str(self.runtime_dir / "config"),
            "XRT_COMPOSITOR_NULL": "1",
            "P_OVERRIDE_ACTIVE_CONFIG": "remote",
        }
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [exe], stdin=subprocess.PIPE, stdout=self._log, stderr=subprocess.STDOUT,
            env=self.env,
        )  # fmt: skip

    @property
    def socket_path(self) -> Path:
        return self.runtime_dir / "monado_comp_ipc"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"monado-service exited with {self.proc.returncode} before it was ready:\n"
                    + self.log()[-4000:]
                )
            if self.socket_path.exists() and STARTED_LINE in self.log():
                return
            time.sleep(0.05)
        raise RuntimeError(f"monado-service not ready after {timeout} s:\n" + self.log()[-4000:])

    def kill(self) -> None:
        """Kill the service abruptly (a runtime crash)."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, timeout: float = 15.0) -> int:
        """Stop cleanly (newline on stdin), escalating to SIGTERM then SIGKILL."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b"\n")
                self.proc.stdin.flush()
            except OSError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)
        if self.proc.stdin:
            self.proc.stdin.close()
        self._log.close()
        shutil.rmtree(self.runtime_dir, ignore_errors=True)
        return self.proc.returncode
