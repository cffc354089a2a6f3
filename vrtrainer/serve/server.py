"""Run the trainer's server under uvicorn, with the site's publish key in place."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from vrtrainer.errors import VrtrainerError
from vrtrainer.session.publisher import default_key_file


def ensure_publish_key(path: Path | None = None) -> tuple[str, Path]:
    """The site's publish key from ``path`` (default :func:`default_key_file`), made if absent.

    The file is created readable by its owner only: whoever reads it can publish sessions.
    """
    path = path or default_key_file()
    try:
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key, path
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError) as exc:
        raise VrtrainerError(f"{path}: cannot read the publish key ({exc})") from None
    key = secrets.token_urlsafe(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as stream:
            stream.write(key + "\n")
    except FileExistsError:
        return ensure_publish_key(path)
    except OSError as exc:
        raise VrtrainerError(f"{path}: cannot write the publish key ({exc.strerror})") from None
    return key, path


def uvicorn_server(app: Any, host: str = "127.0.0.1", port: int = 8765,
                   log_level: str = "warning", **tls: Any) -> Any:
    """A uvicorn server for ``app`` (not started); ``tls`` are uvicorn's ssl_* options."""
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level=log_level,
                            ws="auto", lifespan="off", timeout_graceful_shutdown=2,
                            proxy_headers=False, server_header=False, **tls)
    return uvicorn.Server(config)
