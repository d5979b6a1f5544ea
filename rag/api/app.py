"""The FastAPI app: health, the /v1 API, and the Gradio chat mounted at / on the same port."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from rag.api.deps import require_api_key
from rag.api.errors import install_error_handlers
from rag.api.routes import ask, documents, health, openai_compat
from rag.service import RagService
from rag.settings import Settings


def create_app(settings: Settings, service: RagService | None = None,
               with_ui: bool = True) -> FastAPI:
    app = FastAPI(title="Article Q&A", version="0.1.0",
                  description="Answers about news articles with numbered citations to exact "
                  "passages. Errors are JSON {\"error\": {\"code\", \"message\"}}.")
    app.state.service = service or RagService(settings)
    install_error_handlers(app)
    app.include_router(health.router)
    for router in (ask.router, documents.router, openai_compat.router):
        app.include_router(router, dependencies=[Depends(require_api_key)])
    if with_ui:  # mounted last: the API routes above take precedence over "/"
        app = _mount_ui(app, app.state.service)
    return app


def _mount_ui(app: FastAPI, service: RagService) -> FastAPI:
    import gradio as gr

    from ui.app import UI_CSS, build_ui

    auth = None
    if service.settings.api_key:  # the chat is as protected as the API: user "rag", the key
        auth = ("rag", service.settings.api_key.get_secret_value())
    # run_history off: Gradio would otherwise keep every answer, passages included, in the
    # browser's storage. The UI's CSS uses relative font URLs, so it must stay at "/".
    return gr.mount_gradio_app(
        app, build_ui(service), path="/", css=UI_CSS, auth=auth, footer_links=[],
        show_error=True, run_history=False,
        max_file_size=int(service.settings.max_upload_mb * 1_000_000))
