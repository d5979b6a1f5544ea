"""The HTTP API: FastAPI routers over the one RagService; the chat UI mounts on the same app."""
