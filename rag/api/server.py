"""`rag serve`: one process, one port, the API and the chat."""

from __future__ import annotations

import uvicorn

from rag.api.app import create_app
from rag.settings import Settings


def serve(settings: Settings, host: str, port: int) -> None:
    app = create_app(settings)  # loads the model and opens the store before the port opens
    docs = len(app.state.service.documents())
    print(f"Serving {docs} documents. Chat: http://{host}:{port}/  "
          f"API docs: http://{host}:{port}/docs", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="info")
