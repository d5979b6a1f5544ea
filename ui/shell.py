"""The chat as an app of its own, for rag/api/ui_gate.py to put at "/" of the API's app.

`build_chat_app(service)` imports Gradio (seconds), builds the window and mounts it on a
fresh FastAPI "shell". The shell's lifespan, entered once the server runs, starts Gradio's
queue, and stops it at shutdown.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import gradio as gr
from fastapi import FastAPI
from gradio.utils import get_cache_folder

from rag.service import RagService
from rag.settings import Settings
from ui.app import UI_CSS, build_ui
from ui.login_throttle import LoginThrottle


def build_chat_app(service: RagService) -> FastAPI:
    uploads = upload_folder(service.settings)
    shutil.rmtree(uploads, ignore_errors=True)  # an earlier run's uploads: never ingestable
    uploads.mkdir(parents=True, exist_ok=True)
    # Gradio reads GRADIO_TEMP_DIR (gradio.utils.get_upload_folder) as each component is
    # built (its cache), as the app is mounted (where uploads are written) and at each
    # event (which input paths it accepts): so it is set before the Blocks and stays set.
    os.environ["GRADIO_TEMP_DIR"] = str(uploads)
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
    # show_error off: Gradio's own errors name server paths (a refused input's, every blocked
    # path); each handler here shows its own errors as messages.
    shell = FastAPI(lifespan=stop_queue, openapi_url=None, docs_url=None, redoc_url=None)
    shell.state.blocks = blocks
    gr.mount_gradio_app(
        shell, blocks, path="/", css=UI_CSS, auth=auth, footer_links=[], show_error=False,
        run_history=False, max_file_size=int(service.settings.max_upload_mb * 1_000_000),
        allowed_paths=[], blocked_paths=_blocked_paths(service.settings, uploads))
    # Gradio checks the file paths of an event's inputs (processing_utils._check_allowed:
    # only its upload folder, never blocked_paths) only once `has_launched`, which launch()
    # sets and mount_gradio_app never does: so any server path named by a client was read.
    blocks.has_launched = True
    if auth:
        shell.add_middleware(LoginThrottle)
    return shell


def upload_folder(settings: Settings) -> Path:
    """Where the chat's uploads wait to be ingested: the data dir, not the system's temp."""
    return (settings.data_dir / "chat-uploads").resolve()


def _blocked_paths(settings: Settings, uploads: Path) -> list[str]:
    """What Gradio must never read or serve even if a later check let it: the index beside
    the uploads, and the places Gradio trusts by default (the working and temp directories,
    its examples cache), except those holding the uploads (a block wins over them)."""
    data = settings.data_dir.resolve()
    places = [Path.cwd(), Path(tempfile.gettempdir()), get_cache_folder(), Path.home(), data,
              *(p for p in data.iterdir() if p != uploads)]
    return [str(p) for p in (p.resolve() for p in places) if not uploads.is_relative_to(p)]
