"""The chat as an app of its own, for rag/api/ui_gate.py to put at "/" of the API's app.

`build_chat_app(service)` imports Gradio (seconds), builds the window and mounts it on a
fresh FastAPI "shell". The shell's lifespan, entered once the server runs, starts Gradio's
queue, and stops it at shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import gradio as gr
from fastapi import FastAPI

from rag.service import RagService
from ui.app import UI_CSS, build_ui


def build_chat_app(service: RagService) -> FastAPI:
    blocks = build_ui(service)

    @asynccontextmanager
    async def stop_queue(_: FastAPI) -> AsyncIterator[None]:
        yield
        blocks._queue.close()  # a mounted app's queue is never stopped by Gradio itself

    auth = None
    if service.settings.api_key:  # the chat is as protected as the API: user "rag", the key
        auth = ("rag", service.settings.api_key.get_secret_value())
    # run_history off: Gradio would otherwise keep every answer, passages included, in the
    # browser's storage. The UI's CSS uses relative font URLs, so it must stay at "/".
    shell = FastAPI(lifespan=stop_queue, openapi_url=None, docs_url=None, redoc_url=None)
    shell.state.blocks = blocks
    return gr.mount_gradio_app(
        shell, blocks, path="/", css=UI_CSS, auth=auth, footer_links=[], show_error=True,
        run_history=False, max_file_size=int(service.settings.max_upload_mb * 1_000_000))
