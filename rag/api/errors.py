"""Every error leaves the API as JSON {"error": {"code", "message"}} with a fitting status."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.answering.generative import LLMBusyError, LLMUnavailableError
from rag.components.embedding import EmbeddingEndpointError
from rag.components.store import EmbeddingMismatchError, StoreError

log = logging.getLogger("rag.api")

RETRY_AFTER_S = 5


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def as_api_error(exc: Exception) -> ApiError:
    """Map a service exception to its HTTP meaning (used by streams too)."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, LLMBusyError):
        return ApiError(503, "llm_busy", str(exc), {"Retry-After": str(RETRY_AFTER_S)})
    if isinstance(exc, LLMUnavailableError):
        return ApiError(503, "llm_unavailable", str(exc))
    if isinstance(exc, EmbeddingEndpointError):
        return ApiError(503, "embedding_unavailable", str(exc))
    if isinstance(exc, EmbeddingMismatchError):
        return ApiError(409, "embedding_mismatch", str(exc))
    if isinstance(exc, StoreError):
        return ApiError(503, "store_unavailable", str(exc))
    log.exception("unhandled error", exc_info=exc)
    return ApiError(500, "internal_error", "internal error; the server log has the details")


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts) or "malformed request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body("invalid_request", _validation_message(exc)), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
            exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), exc.status_code,
                            headers=getattr(exc, "headers", None))

    async def _known(_: Request, exc: Exception) -> JSONResponse:
        err = as_api_error(exc)
        return JSONResponse(error_body(err.code, err.message), err.status, headers=err.headers)

    # Expected failures are answered here; anything else reaches the catch-all below, which
    # answers 500 and lets the server log the traceback.
    for known in (ApiError, LLMBusyError, LLMUnavailableError, StoreError,
                  EmbeddingEndpointError):
        app.add_exception_handler(known, _known)
    app.add_exception_handler(Exception, _known)
