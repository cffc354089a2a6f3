"""The trainer's web server (Starlette): sessions publish to it, trainers watch and coach.

Two doors, two kinds of credential. Sessions: ``POST /api/publish/register`` with the
site's publish key gives a per-session token; ``POST /api/publish/<session>`` with that
token carries live frames and results and returns the trainer's commands. Trainers sign
in with an account of the results database and get an HTTP-only, same-site cookie; the
page, its WebSocket and every ``/api/sessions`` route refuse anyone else. Each trainer
action is stored (with its xAPI statement) before it is queued for the session.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from vrtrainer.results.trainers import Trainer, TrainerAccounts
from vrtrainer.serve.registry import UUID_RE, Registry
from vrtrainer.session.published import CUE_TEXT
from vrtrainer.session.publisher import MAX_BODY

STATIC = Path(__file__).with_name("static")
COOKIE = "vrtrainer_trainer"
SIGN_IN_HOURS = 12.0
#: Failed sign-ins allowed per name in FAIL_WINDOW_S before further tries are refused.
MAX_FAILS = 5
FAIL_WINDOW_S = 300.0
#: How often the page's WebSocket gets the grid, and the watched session's frame.
GRID_PERIOD_S = 0.5
LIVE_PERIOD_S = 1.0 / 15.0
ACTION_KINDS = ("cue", "message", "retry", "end_step")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; "
                                "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"),
}


@dataclass
class ServerState:
    """Everything the routes share (used from the event loop only)."""

    registry: Registry
    accounts: TrainerAccounts
    store: Any
    secure_cookies: bool = False
    signed_in: dict[str, tuple[Trainer, float]] = field(default_factory=dict)
    failures: dict[str, list[float]] = field(default_factory=dict)

    def trainer(self, token: str | None) -> Trainer | None:
        if not token:
            return None
        entry = self.signed_in.get(token)
        if entry is None:
            return None
        trainer, until = entry
        if time.monotonic() > until:
            del self.signed_in[token]
            return None
        return trainer


def _state(request: Request | WebSocket) -> ServerState:
    return request.app.state.vrtrainer


def _headers(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


def _bearer(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else ""


async def _json_body(request: Request) -> dict[str, Any] | None:
    """The request's JSON object, or None (wrong type, too large, not JSON)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return None
    size = request.headers.get("content-length")
    if size is None or not size.isdigit() or int(size) > MAX_BODY:
        return None
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return None
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _refuse(status: int, error: str) -> JSONResponse:
    return JSONResponse({"error": error}, status_code=status)


# -- sessions publishing -------------------------------------------------------------------

async def publish_register(request: Request) -> Response:
    state = _state(request)
    if not state.registry.key_ok(_bearer(request)):
        return _refuse(401, "wrong publish key")
    body = await _json_body(request)
    if body is None:
        return _refuse(400, "expected a JSON object")
    token = state.registry.register(body)
    if token is None:
        return _refuse(400, "session must be a UUID")
    return JSONResponse({"token": token})


async def publish(request: Request) -> Response:
    state = _state(request)
    session = state.registry.authorise(request.path_params["session"], _bearer(request))
    if session is None:
        return _refuse(404 if request.path_params["session"] not in state.registry.sessions
                       else 403, "unknown session or wrong token")
    body = await _json_body(request)
    if body is None:
        return _refuse(400, "expected a JSON object")
    return JSONResponse(state.registry.publish(session, body))


# -- trainers ------------------------------------------------------------------------------

def _signed_in(request: Request) -> Trainer | None:
    return _state(request).trainer(request.cookies.get(COOKIE))


async def index(request: Request) -> Response:
    if _signed_in(request) is None:
        return RedirectResponse("/login", status_code=303)
    return _headers(FileResponse(STATIC / "index.html"))


async def login_page(request: Request) -> Response:
    return _headers(FileResponse(STATIC / "login.html"))


async def login(request: Request) -> Response:
    state = _state(request)
    body = await _json_body(request)
    if body is None:
        return _refuse(400, "expected a JSON object")
    name = str(body.get("name", ""))[:200]
    password = str(body.get("password", ""))[:1000]
    now = time.monotonic()
    fails = [t for t in state.failures.get(name, []) if now - t < FAIL_WINDOW_S]
    state.failures[name] = fails
    if len(fails) >= MAX_FAILS:
        return _refuse(429, "locked")
    trainer = await run_in_threadpool(state.accounts.authenticate, name, password)
    if trainer is None:
        fails.append(now)
        return _refuse(401, "wrong")
    state.failures.pop(name, None)
    token = secrets.token_urlsafe(32)
    state.signed_in[token] = (trainer, now + SIGN_IN_HOURS * 3600)
    await run_in_threadpool(state.accounts.record_action, trainer, "sign_in")
    response = JSONResponse({"trainer": trainer.name})
    response.set_cookie(COOKIE, token, max_age=int(SIGN_IN_HOURS * 3600), httponly=True,
                        samesite="strict", secure=state.secure_cookies, path="/")
    return _headers(response)


async def logout(request: Request) -> Response:
    _state(request).signed_in.pop(request.cookies.get(COOKIE, ""), None)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return _headers(response)


async def sessions(request: Request) -> Response:
    trainer = _signed_in(request)
    if trainer is None:
        return _refuse(401, "sign in first")
    registry = _state(request).registry
    return JSONResponse({"trainer": trainer.name, "sessions": registry.grid(),
                         "cues": CUE_TEXT, "results_received": registry.results_received})


async def session_detail(request: Request) -> Response:
    if _signed_in(request) is None:
        return _refuse(401, "sign in first")
    state = _state(request)
    session = state.registry.sessions.get(request.path_params["session"])
    if session is None:
        return _refuse(404, "no such session")
    return JSONResponse(state.registry.detail(session))


async def session_action(request: Request) -> Response:
    trainer = _signed_in(request)
    if trainer is None:
        return _refuse(401, "sign in first")
    state = _state(request)
    session = state.registry.sessions.get(request.path_params["session"])
    if session is None:
        return _refuse(404, "no such session")
    body = await _json_body(request)
    if body is None:
        return _refuse(400, "expected a JSON object")
    kind = body.get("kind")
    key = str(body.get("key") or "")
    text = " ".join(str(body.get("text") or "").split())[:200]
    if kind not in ACTION_KINDS:
        return _refuse(400, f"kind must be one of {', '.join(ACTION_KINDS)}")
    if kind == "cue" and key not in CUE_TEXT:
        return _refuse(400, f"cue must be one of {', '.join(CUE_TEXT)}")
    if kind == "message" and not text:
        return _refuse(400, "an empty message")
    shown = CUE_TEXT[key][session.language] if kind == "cue" else text
    frame = session.frame or {}
    step = frame.get("step")
    # Recorded first: an action that could not be recorded is not sent.
    await run_in_threadpool(
        state.accounts.record_action, trainer, kind, shown, session_uuid=session.uuid,
        trainee=session.trainee, scenario_id=session.scenario,
        step=None if step is None else str(int(step) + 1),
        locale="fr-FR" if session.language == "fr" else "en-US")
    command = state.registry.command(session, kind, trainer.name, key=key, text=text)
    if command is None:
        return _refuse(429, "too many commands wait for this session")
    return JSONResponse({"id": command["id"]})


async def attempt_report(request: Request) -> Response:
    """An existing attempt report, made from this server's results store."""
    if _signed_in(request) is None:
        return _refuse(401, "sign in first")
    state = _state(request)
    lang = "en" if request.query_params.get("lang") == "en" else "fr"
    attempt = int(request.path_params["attempt"])

    def write() -> str | None:
        from vrtrainer.report import write_attempt_report
        from vrtrainer.results import AttemptNotFoundError

        with tempfile.TemporaryDirectory() as folder:
            try:
                path = write_attempt_report(state.store, attempt,
                                            Path(folder) / "report.html", lang=lang)
            except AttemptNotFoundError:
                return None
            return Path(path).read_text(encoding="utf-8")

    html = await run_in_threadpool(write)
    if html is None:
        return _refuse(404, "this attempt is not in this server's results store")
    response = HTMLResponse(html)
    response.headers.update({k: v for k, v in SECURITY_HEADERS.items()
                             if k != "Content-Security-Policy"})
    return response


async def live_socket(websocket: WebSocket) -> None:
    """Grid twice a second, the watched session's frame 15 times a second."""
    state = _state(websocket)
    trainer = state.trainer(websocket.cookies.get(COOKIE))
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host", "")
    if trainer is None or (origin is not None and origin.split("://", 1)[-1] != host):
        await websocket.close(code=4401)
        return
    await websocket.accept()
    watched: list[str | None] = [None]

    async def listen() -> None:
        while True:
            message = await websocket.receive_text()
            try:
                wanted = json.loads(message[:200]).get("watch")
            except (ValueError, AttributeError):
                continue
            watched[0] = wanted if isinstance(wanted, str) and UUID_RE.match(wanted) else None

    reader = asyncio.create_task(listen())
    try:
        next_grid = 0.0
        while not reader.done():
            if state.trainer(websocket.cookies.get(COOKIE)) is None:
                await websocket.close(code=4401)
                return
            now = time.monotonic()
            if now >= next_grid:
                next_grid = now + GRID_PERIOD_S
                await websocket.send_json({"type": "grid", "sessions": state.registry.grid()})
            session = state.registry.sessions.get(watched[0] or "")
            if session is not None:
                await websocket.send_json({"type": "live",
                                           **state.registry.detail(session)})
            await asyncio.sleep(LIVE_PERIOD_S)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        reader.cancel()


async def healthz(request: Request) -> Response:
    return JSONResponse({"ok": True, "sessions": len(_state(request).registry.sessions)})


def make_app(store: Any, publish_key: str, *, secure_cookies: bool = False) -> Starlette:
    """The ASGI application over an open :class:`~vrtrainer.results.ResultsStore`."""
    routes = [
        Route("/", index),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/healthz", healthz),
        Route("/favicon.ico", lambda _request: Response(status_code=204)),
        Route("/api/publish/register", publish_register, methods=["POST"]),
        Route("/api/publish/{session}", publish, methods=["POST"]),
        Route("/api/sessions", sessions),
        Route("/api/sessions/{session}", session_detail),
        Route("/api/sessions/{session}/actions", session_action, methods=["POST"]),
        Route("/reports/attempt/{attempt:int}", attempt_report),
        WebSocketRoute("/ws", live_socket),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.vrtrainer = ServerState(
        registry=Registry(publish_key), accounts=TrainerAccounts(store.engine), store=store,
        secure_cookies=secure_cookies)
    return app
