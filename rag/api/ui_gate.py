"""The chat at "/", mounted once the server runs, so the API answers while Gradio loads.

Importing Gradio and building the window takes 3-4 s, most of `rag serve`'s start. So the
port opens with the API alone; the app's lifespan builds the chat in a thread and then
hands "/" to it. Until then "/" is a page that reloads itself; if building fails, "/" says
why and the API keeps serving.
"""

from __future__ import annotations

import asyncio
import html
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from typing import TypeVar

from fastapi import FastAPI
from starlette.responses import HTMLResponse, JSONResponse
from starlette.types import Receive, Scope, Send

from rag.api.errors import error_body
from rag.errors import describe

# uvicorn's own logger: "chat ready" and build failures show next to its start-up lines.
log = logging.getLogger("uvicorn.error")

T = TypeVar("T")
ChatBuilder = Callable[[], FastAPI]  # runs in a thread; its app's lifespan is entered later

_PAGE = ('<!doctype html><html lang="en"><head><meta charset="utf-8">{refresh}'
         "<title>Article Q&amp;A</title></head><body style=\"font-family: sans-serif; "
         'margin: 3rem\"><h1>Article Q&amp;A</h1><p>{message}</p><p>The HTTP API answers '
         'already: <a href="docs">/docs</a>.</p></body></html>')


class UiGate:
    """Mounted at "/" below the API: forwards to the chat once it is built."""

    def __init__(self, build: ChatBuilder | None, off_reason: str = "") -> None:
        self.build = build
        self.chat: FastAPI | None = None
        self.status = "starting" if build else "off"
        self.off_reason = off_reason

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.chat is not None:
            await self.chat(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1013})  # try again later
            return
        await self._placeholder(scope["path"])(scope, receive, send)

    def _placeholder(self, path: str) -> HTMLResponse | JSONResponse:
        starting = self.status == "starting"
        if starting:
            message, code, status = "The chat is starting… this page reloads by itself.", \
                "ui_starting", 503
        elif self.status == "off":
            message, code, status = self.off_reason, "ui_off", 404
        else:
            message, code, status = (f"The chat could not start ({self.status}); the server "
                                     "log has the details."), "ui_failed", 503
        headers = {"Retry-After": "1"} if starting else None
        if path != "/":  # the chat's own assets and routes, asked for too early
            return JSONResponse(error_body(code, message), status, headers=headers)
        refresh = '<meta http-equiv="refresh" content="1">' if starting else ""
        return HTMLResponse(_PAGE.format(refresh=refresh, message=html.escape(message)),
                            status, headers=headers)

    @asynccontextmanager
    async def lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        """Build and mount the chat in the background; on shutdown stop it (its queue)."""
        async with AsyncExitStack() as stack:
            task = asyncio.create_task(self._mount(stack)) if self.build else None
            try:
                yield
            finally:
                if task:
                    task.cancel()
                    with suppress(asyncio.CancelledError):
                        await task

    async def _mount(self, stack: AsyncExitStack) -> None:
        assert self.build is not None
        started = time.perf_counter()
        try:
            chat = await in_daemon_thread(self.build)
            # Gradio starts its queue in the chat app's lifespan, which must run in this loop.
            await stack.enter_async_context(chat.router.lifespan_context(chat))
        except Exception as exc:
            log.error("The chat UI could not start; the API keeps serving.", exc_info=exc)
            self.status = f"failed: {describe(exc)}"
            return
        self.chat, self.status = chat, "ok"
        log.info("Chat UI ready at / (built in %.1f s)", time.perf_counter() - started)


async def in_daemon_thread(fn: Callable[[], T]) -> T:
    """fn() in a daemon thread. Unlike asyncio.to_thread, a server stopped meanwhile does
    not wait at exit for the thread (an import of several seconds) to finish."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(set_outcome: Callable[[object], None], value: object) -> None:
        if not future.done():  # cancelled: nobody waits any more
            set_outcome(value)

    def run() -> None:
        try:
            outcome: tuple[Callable[[object], None], object] = (future.set_result, fn())
        except Exception as exc:  # handed to the awaiting task, which decides
            outcome = (future.set_exception, exc)
        except BaseException as exc:  # SystemExit and the like must not stop the loop
            outcome = (future.set_exception, RuntimeError(f"stopped by {exc!r}"))
        with suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=run, name="build-chat-ui", daemon=True).start()
    return await future
