"""Fixtures of the OpenXR stage: a real Monado per test, its remote feeder."""

from __future__ import annotations

import os

import pytest
from monado_service import MonadoService

from vrtrainer.xr.remote_feeder import RemoteFeeder


def pytest_collection_modifyitems(config, items):
    # Everything here needs the runtime: keep it out of the default `make test`.
    for item in items:
        if "tests/xr/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.xr)


@pytest.fixture
def monado(tmp_path, monkeypatch):
    """A running monado-service; this process's OpenXR clients talk to it."""
    service = MonadoService(tmp_path)
    try:
        service.wait_ready()
    except BaseException:
        service.stop()
        raise
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(service.runtime_dir))
    yield service
    code = service.stop()
    if code not in (0, -9):
        print(service.log()[-3000:])


@pytest.fixture
def feeder(monado):
    """A connection to the running Monado's remote driver."""
    with RemoteFeeder.connect() as f:
        yield f
