"""`rag serve`: the API and the chat on one port, in one process or in N workers."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from rag.api.app import create_app
from rag.settings import Settings, load_settings

# Gradio keeps its queue, sessions and logins in the memory of one process, and uvicorn's
# workers share the port without sticky sessions, so the chat's requests would scatter.
WORKERS_NO_CHAT = ("The chat needs a single process: this server runs several workers "
                   "(rag serve --workers N) and serves the HTTP API only. Run a second "
                   "`rag serve` without --workers for the chat.")
# The parent waits this long for a worker to answer its health ping; a worker loading the
# model on a busy machine can be slower than uvicorn's 5 s default, and would be killed.
WORKER_HEALTHCHECK_S = 60


def serve(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    if workers > 1:
        print(f"Serving the API with {workers} workers: http://{host}:{port}/docs", flush=True)
        uvicorn.run("rag.api.server:app_factory", factory=True, host=host, port=port,
                    workers=workers, log_level="info",
                    timeout_worker_healthcheck=WORKER_HEALTHCHECK_S)
        return
    app = create_app(settings)  # loads the model and opens the store before the port opens
    docs = len(app.state.service.documents())
    print(f"Serving {docs} documents. API docs: http://{host}:{port}/docs  "
          f"Chat: http://{host}:{port}/ (ready a few seconds after the API)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="info")


def app_factory() -> FastAPI:
    """One worker's app: its own service, from the settings in the environment."""
    return create_app(load_settings(), with_ui=False, ui_off_reason=WORKERS_NO_CHAT)
