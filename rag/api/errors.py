"""Every error leaves the API as JSON {"error": {"code", "message"}} with a fitting status.

A RagError carries its own code, status and message (rag/errors.py), so one handler
answers them all; anything else is a bug and becomes a 500 that names no internals.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.errors import RagError

log = logging.getLogger("rag.api")

INTERNAL_MESSAGE = "internal error; the server log has the details"


# -- failures only the HTTP layer meets ------------------------------------------------------

class InvalidRequestError(RagError):
    """A well-formed body the API cannot use (the same code as its validation errors)."""

    code = "invalid_request"
    status = 422


class UnauthorizedError(RagError):
    code = "unauthorized"
    status = 401

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class QuestionTooLongError(RagError):
    """422 (not 413): the schema states the limit, and a request outside its schema is a
    422 like any other."""

    code = "question_too_long"
    status = 422


class UploadTooLargeError(RagError):
    code = "upload_too_large"
    status = 413


class DocumentNotFoundError(RagError):
    code = "document_not_found"
    status = 404


# -- the mapping -------------------------------------------------------------------------------

def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def as_rag_error(exc: BaseException) -> RagError:
    """The error as the API reports it (used by streams too): a bug becomes a bare 500."""
    if isinstance(exc, RagError):
        return exc
    log.error("unhandled error", exc_info=exc)
    return RagError(INTERNAL_MESSAGE)


def error_response(exc: BaseException) -> JSONResponse:
    err = as_rag_error(exc)
    return JSONResponse(error_body(err.code, err.user_message()), err.status,
                        headers=err.headers() or None)


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
        return JSONResponse(error_body(InvalidRequestError.code, _validation_message(exc)),
                            InvalidRequestError.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI's "error parsing the body" (not UTF-8, a broken
            # form): a 422 like the JSON syntax errors it reports as validation errors
            return JSONResponse(error_body(InvalidRequestError.code, "the request body cannot "
                                           "be parsed"), InvalidRequestError.status)
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}.get(
            exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), exc.status_code,
                            headers=getattr(exc, "headers", None))

    async def _handle(_: Request, exc: Exception) -> JSONResponse:
        return error_response(exc)

    # RagErrors are answered in the app; anything else reaches the catch-all, which Starlette
    # runs outermost: it answers the 500 and re-raises, so the server logs the traceback.
    app.add_exception_handler(RagError, _handle)
    app.add_exception_handler(Exception, _handle)
