"""What the server refuses before the app reads a request (a pure ASGI middleware).

- /v1 without the API key: 401 before the body is read. A FastAPI dependency runs only
  after the whole body arrived and, for a form, was parsed: a 200 MB upload first.
- A body over the upload limit: 413 from its Content-Length before reading it, or, sent
  chunked, as soon as the bytes received pass the limit.
- An API path that no API route serves: the API's JSON 404, or 405 with every method of
  the path in Allow. Under the chat mounted at "/" Gradio answered both with its own 404,
  and Starlette's router names only the methods of the first route that matches the path.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from pydantic import SecretStr
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.api.errors import UnauthorizedError, UploadTooLargeError, error_body, error_response

# Room for a multipart form's framing (boundaries, part headers) beside the files' bytes.
FORM_OVERHEAD = 1_000_000


def authorized(headers: Mapping[str, str], api_key: SecretStr | None) -> bool:
    """True without RAG_API_KEY, else with `Authorization: Bearer <key>` (constant time)."""
    if api_key is None:
        return True
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(
        token.strip().encode(), api_key.get_secret_value().encode())


def is_api_path(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/")


class _BodyTooLarge(Exception):
    """Raised into the app by receive(): the body it was reading is over the limit."""


class ApiGuard:
    def __init__(self, app: ASGIApp, routes: list[BaseRoute], api_key: SecretStr | None,
                 max_upload_mb: float) -> None:
        """routes: the API's (not the chat's mount, which matches every path)."""
        self.app, self.routes, self.api_key = app, routes, api_key
        self.max_upload_mb = max_upload_mb
        self.max_body = int(max_upload_mb * 1_000_000) + FORM_OVERHEAD

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:  # answered without reading a byte of the body
            await refusal(scope, receive, send)
            return
        await self._counting(scope, receive, send)

    def _refusal(self, scope: Scope) -> Response | None:
        headers = Headers(scope=scope)
        if is_api_path(scope["path"]) and not authorized(headers, self.api_key):
            return error_response(UnauthorizedError(
                "missing or wrong API key: send 'Authorization: Bearer <RAG_API_KEY>'"))
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            return self._too_large()
        return self._unrouted(scope)

    def _unrouted(self, scope: Scope) -> Response | None:
        """404/405 for an API path no API route takes; None when one does (or for the
        chat's paths, which its mount answers)."""
        allowed: set[str] = set()
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return None
            if match is Match.PARTIAL:  # the path, with another method
                allowed |= getattr(route, "methods", None) or set()
        if allowed:
            return JSONResponse(error_body("method_not_allowed", "Method Not Allowed"), 405,
                                headers={"Allow": ", ".join(sorted(allowed))})
        if is_api_path(scope["path"]):
            return JSONResponse(error_body("not_found", "Not Found"), 404)
        return None

    def _too_large(self) -> Response:
        return error_response(UploadTooLargeError(
            f"the request is over the {self.max_body / 1e6:.1f} MB limit (RAG_MAX_UPLOAD_MB "
            f"{self.max_upload_mb:g}, plus {FORM_OVERHEAD / 1e6:g} MB for the form's framing)"))

    async def _counting(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app, counting the body's bytes as they arrive (a chunked body states no
        length); past the limit the app's read fails, and its answer gives way to a 413."""
        received, over, started = 0, False, False

        async def counted() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    over = True
                    raise _BodyTooLarge
            return message

        async def unless_over(message: Message) -> None:
            nonlocal started
            if over and not started:  # the app's answer to a body cut short: ours instead
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, unless_over)
        except Exception:
            if not over or started:
                raise
        if over and not started:
            await self._too_large()(scope, receive, send)
