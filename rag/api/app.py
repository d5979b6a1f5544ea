"""The FastAPI app: health, the /v1 API, and the Gradio chat at "/" on the same port.

The chat is mounted in the background once the server runs (rag/api/ui_gate.py), so the
API answers without waiting for Gradio's import.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.routing import Route

from rag.api.errors import install_error_handlers
from rag.api.guard import ApiGuard
from rag.api.openapi import state_the_settings
from rag.api.routes import ask, documents, health, openai_compat
from rag.api.ui_gate import ChatBuilder, UiGate
from rag.service import RagService
from rag.settings import Settings


def create_app(settings: Settings, service: RagService | None = None,
               with_ui: bool = True, ui_builder: ChatBuilder | None = None,
               ui_off_reason: str = "") -> FastAPI:
    """The app. with_ui: mount the chat (built by ui_builder, default the Gradio window);
    without it "/" explains ui_off_reason when one is given, else it is a plain 404."""
    service = service or RagService(settings)
    service.warm()  # the first question must not wait for the model
    gate = None
    if with_ui:
        gate = UiGate(ui_builder or (lambda: _build_chat(service)))
    elif ui_off_reason:
        gate = UiGate(None, ui_off_reason)
    app = FastAPI(title="Article Q&A", version="0.1.0",
                  description="Answers about news articles with numbered citations to exact "
                  "passages. Errors are JSON {\"error\": {\"code\", \"message\"}}.",
                  lifespan=gate.lifespan if gate else None)
    app.state.service = service
    app.state.ui = gate
    install_error_handlers(app)
    routers = (health.router, ask.router, documents.router, openai_compat.router)
    for router in routers:
        app.include_router(router)
    # Every API route, by its full path: the app's own (/openapi.json, /docs ...) and the
    # routers' (which newer FastAPI keeps apart from app.router.routes).
    api_routes = [r for r in app.router.routes if isinstance(r, Route)] + \
        [r for router in routers for r in router.routes]
    if gate:  # mounted last: the API routes above take precedence over "/"
        app.mount("/", gate)
    # The API key, the size of a body and the API's 404/405, checked before a body is read.
    app.add_middleware(ApiGuard, routes=api_routes, api_key=service.settings.api_key,
                       max_upload_mb=service.settings.max_upload_mb)
    state_the_settings(app, service)
    return app


def _build_chat(service: RagService) -> FastAPI:
    from ui.shell import build_chat_app  # imports Gradio: seconds, in the builder's thread

    return build_chat_app(service)
