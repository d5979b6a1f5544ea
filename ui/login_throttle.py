"""Slows password guessing on the chat's login, which Gradio itself never limits.

Gradio's login form posts to "/login" (or "/login/") of the app it is mounted in; a wrong
password answers 400, a right one 200 with the session cookie.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOGIN_PATHS = frozenset({"/login", "/login/"})


@dataclass
class _Client:
    failures: int = 0
    last: float = 0.0  # when the latest attempt was made
    locked_until: float = 0.0


class LoginThrottle:
    """ASGI middleware: once a client address has made `threshold` failed logins, each
    with less than `window_s` since the one before, its further attempts answer 429 until
    a delay has passed; the delay doubles with each further failure, up to `max_delay_s`.
    A successful login forgets the client. At most `max_clients` addresses are kept."""

    def __init__(self, app: ASGIApp, threshold: int = 5, window_s: float = 900.0,
                 base_delay_s: float = 2.0, max_delay_s: float = 300.0,
                 max_clients: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.threshold, self.window_s, self.max_clients = threshold, window_s, max_clients
        self.base_delay_s, self.max_delay_s = base_delay_s, max_delay_s
        self.clock = clock
        self.clients: dict[str, _Client] = {}  # oldest attempt first: evicted first

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _is_login(scope):
            await self.app(scope, receive, send)
            return
        key = scope["client"][0] if scope.get("client") else ""
        now = self.clock()
        client = self.clients.pop(key, None)
        if client is None or now - client.last > self.window_s:
            client = _Client()
        if now < client.locked_until:
            self.clients[key] = client
            wait = math.ceil(client.locked_until - now)
            await JSONResponse({"detail": f"Too many failed logins: try again in {wait} s."},
                               429, headers={"Retry-After": str(wait)})(scope, receive, send)
            return
        # Counted as failed before it runs, so that attempts sent at once cannot all pass
        # while none has failed yet; a success below undoes it.
        client.failures += 1
        client.last = now
        if client.failures >= self.threshold:
            delay = self.base_delay_s * 2 ** (client.failures - self.threshold)
            client.locked_until = now + min(delay, self.max_delay_s)
        self.clients[key] = client
        while len(self.clients) > self.max_clients:
            del self.clients[next(iter(self.clients))]
        status = 0

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, send_noting_status)
        if 200 <= status < 300:
            self.clients.pop(key, None)


def _is_login(scope: Scope) -> bool:
    if scope["type"] != "http" or scope["method"] != "POST":
        return False
    path, root = scope["path"], scope.get("root_path", "")
    return (path[len(root):] if root and path.startswith(root) else path) in LOGIN_PATHS
