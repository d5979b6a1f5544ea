"""Liveness and readiness (open, no API key)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from rag.api.deps import ServiceDep
from rag.api.errors import as_rag_error, error_body
from rag.api.guard import authorized
from rag.api.models import ErrorResponse

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", responses={503: {"model": ErrorResponse,
                                     "description": "store or answerer unreachable"}})
def ready(service: ServiceDep, request: Request) -> JSONResponse:
    """The API is ready when the store and the answerer are; "ui" tells the chat's state
    (starting, ok, failed: why, off) without holding the API's readiness back. How many
    documents there are is for holders of the API key (when one is set) only."""
    try:
        detail = service.readiness()
    except Exception as exc:  # the reason is the point of this endpoint (a bug's stays logged)
        return JSONResponse(error_body("not_ready", as_rag_error(exc).user_message()),
                            status_code=503)
    ui = getattr(request.app.state, "ui", None)
    body: dict[str, object] = {"status": "ready", **detail}
    if authorized(request.headers, service.settings.api_key):
        body["documents"] = len(service.documents())
    if ui:
        body["ui"] = ui.status
    return JSONResponse(body)
