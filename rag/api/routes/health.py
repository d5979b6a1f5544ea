"""Liveness and readiness (open, no API key)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from rag.api.deps import ServiceDep
from rag.api.errors import as_rag_error, error_body

router = APIRouter(tags=["health"])


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "store or answerer unreachable"}})
def ready(service: ServiceDep, request: Request) -> JSONResponse:
    """The API is ready when the store and the answerer are; "ui" tells the chat's state
    (starting, ok, failed: why, off) without holding the API's readiness back."""
    try:
        detail = service.readiness()
    except Exception as exc:  # the reason is the point of this endpoint (a bug's stays logged)
        return JSONResponse(error_body("not_ready", as_rag_error(exc).user_message()),
                            status_code=503)
    ui = getattr(request.app.state, "ui", None)
    return JSONResponse({"status": "ready", **detail, "documents": len(service.documents()),
                         **({"ui": ui.status} if ui else {})})
