"""The chat's file and login defences, tried as an attacker would: over real HTTP against
the real app (`create_app`: API and chat on one port, served by uvicorn), with the real
service over an empty index of its own."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from rag.api.app import create_app
from rag.service import RagService
from tests.conftest import make_settings, serving, wait_for_chat
from ui.login_throttle import LoginThrottle
from ui.shell import upload_folder

WORD = "zorblaxian"  # in no sample article: finding it means the file was read
SECRET = f"Zorblaxian council memo\n\nThe {WORD} council met in secret on Tuesday.\n"
KEY = "correct horse battery staple"


@contextmanager
def chat_server(service: RagService) -> Iterator[httpx.Client]:
    """The app served, its chat mounted; a client with the app's URL as base."""
    with serving(create_app(service.settings, service)) as url:
        wait_for_chat(url)
        with httpx.Client(base_url=url, timeout=60) as client:
            yield client


def file_data(path: str | Path) -> dict[str, Any]:
    return {"path": str(path), "meta": {"_type": "gradio.FileData"}}


def ingest_event(client: httpx.Client, files: list[dict[str, Any]],
                 route: str = "call") -> tuple[bool, str]:
    """Run the chat's ingest event over Gradio's HTTP API; (completed, its first output, or
    the error as sent). route "call": POST /gradio_api/call/on_ingest then read its event
    stream; "run": the one-request form."""
    body = {"data": [files]}
    if route == "run":
        response = client.post("/gradio_api/run/on_ingest", json=body)
        done = response.status_code == 200
        return done, response.json()["data"][0] if done else response.text
    event_id = client.post("/gradio_api/call/on_ingest", json=body).json()["event_id"]
    stream = client.get(f"/gradio_api/call/on_ingest/{event_id}").text
    done = stream.split("event: ")[-1].startswith("complete")
    return done, json.loads(stream.rsplit("data: ", 1)[-1])[0] if done else stream


def upload(client: httpx.Client, *files: tuple[str, bytes]) -> list[str]:
    """Upload through Gradio's own route, as the browser does; the server-side paths."""
    response = client.post("/gradio_api/upload",
                           files=[("files", (name, data)) for name, data in files])
    response.raise_for_status()
    return response.json()


def found(client: httpx.Client, word: str = WORD) -> list[str]:
    """The sources of the passages holding `word` that the API's search finds."""
    hits = client.post("/v1/search", json={"query": f"{word} council"}).json()["results"]
    return [h["source"] for h in hits if word in h["text"].lower()]


def documents(client: httpx.Client) -> list[str]:
    return [d["source"] for d in client.get("/v1/documents").json()["documents"]]


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if not p.is_dir()) if folder.exists() else []


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A server file the chat must never read. Its access time is set before its change
    time, so that reading it (relatime: the atime then moves past the mtime) shows."""
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    mtime = path.stat().st_mtime
    os.utime(path, (mtime - 3600, mtime))
    return path


def was_read(path: Path) -> bool:
    stat = path.stat()
    return stat.st_atime >= stat.st_mtime


def test_a_client_supplied_path_is_refused_and_never_read(
        fresh_service: RagService, secret: Path) -> None:
    uploads = upload_folder(fresh_service.settings)
    with chat_server(fresh_service) as client:
        link = uploads / "link.txt"  # a symlink in the upload folder, out to the secret
        link.symlink_to(secret)
        attacks = [("run", secret), ("call", secret), ("call", f"{uploads}/../../{secret.name}"),
                   ("call", link), ("call", "README.md")]  # relative: the server's own dir
        for route, path in attacks:
            done, said = ingest_event(client, [file_data(path)], route)
            assert not done or "error-msg" in said, (route, path, said)
            assert "Zorblaxian" not in said, said
            assert str(secret.parent) not in said and os.getcwd() not in said, said  # no path
        assert found(client) == [] and documents(client) == []
        assert not any(WORD in p.read_text(errors="replace").lower()
                       for p in files_under(uploads) if not p.is_symlink())
    assert not was_read(secret)
    secret.read_text()  # the check can tell: a read shows
    assert was_read(secret)


def test_uploads_are_ingested_from_the_data_dir_then_deleted_and_nothing_else(
        fresh_service: RagService) -> None:
    settings = fresh_service.settings
    uploads = upload_folder(settings)
    assert uploads.is_relative_to(settings.data_dir.resolve())
    with chat_server(fresh_service) as client:
        paths = upload(client, ("memo.txt", b"Quorvint memo\n\nThe quorvint council met.\n"),
                       ("photo.jpg", b"\xff\xd8\xff"))
        assert [Path(p).name for p in paths] == ["memo.txt", "photo.jpg"]
        assert files_under(uploads) == sorted(Path(p).resolve() for p in paths)
        # In the upload folder, passing Gradio's check, yet never uploaded: say a file
        # Gradio fetched there for a URL given as a path.
        planted = uploads / "f00d" / "planted.txt"
        planted.parent.mkdir()
        planted.write_text(SECRET)

        done, said = ingest_event(client, [file_data(p) for p in [*paths, planted]])
        assert done, said
        assert '"ingest-added"><span class="ingest-outcome">added</span> <code>memo.txt' in said
        assert "photo.jpg</code> <span" in said and "unsupported" in said
        assert "planted.txt</code> <span" in said and "not a file uploaded" in said
        assert found(client, "quorvint") == ["memo.txt"] and found(client) == []
        assert documents(client) == ["memo.txt"]
        assert list(uploads.iterdir()) == []  # the files, their folders, no temp file left

        # The same upload again: ingested once, so refused now, with the reason.
        done, said = ingest_event(client, [file_data(paths[0])])
        assert done and "error-msg" in said and "not a file uploaded to this chat" in said


def test_wrong_passwords_are_slowed_per_client_over_http(tmp_path: Path) -> None:
    service = RagService(make_settings(tmp_path / "index", api_key=KEY))

    def login(client: httpx.Client, password: str, address: str = "") -> httpx.Response:
        # uvicorn takes the client's address from X-Forwarded-For when the peer is loopback
        headers = {"X-Forwarded-For": address} if address else {}
        return client.post("/login", data={"username": "rag", "password": password},
                           headers=headers)

    with chat_server(service) as client:
        assert [login(client, "guess").status_code for _ in range(5)] == [400] * 5
        locked = login(client, KEY)  # even the right password waits now
        assert locked.status_code == 429, locked.text
        wait = int(locked.headers["retry-after"])
        assert 1 <= wait <= 300 and "try again" in locked.json()["detail"]
        assert login(client, KEY, "203.0.113.7").status_code == 200  # another client
        time.sleep(wait)
        assert login(client, KEY).status_code == 200
        assert login(client, "guess").status_code == 400  # the success cleared the count
        assert client.get("/gradio_api/info").status_code == 200  # logged in


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def fake_login(scope: Scope, receive: Receive, send: Send) -> None:
    """Gradio's login answers as far as the throttle sees: 200 right, 400 wrong."""
    ok = scope["query_string"] == b"right"
    await PlainTextResponse("", 200 if ok else 400)(scope, receive, send)


def attempts(throttle: LoginThrottle, address: str, n: int = 1,
             password: str = "wrong") -> list[int | str]:
    """n login attempts at once from one address: each 4xx/2xx status, or a 429's wait."""

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=throttle, client=(address, 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://chat") as client:
            return await asyncio.gather(*(client.post(f"/login?{password}")
                                          for _ in range(n)))

    return [f"429 {r.headers['retry-after']}" if r.status_code == 429 else r.status_code
            for r in asyncio.run(run())]


def test_the_delay_doubles_per_failure_up_to_five_minutes_per_client() -> None:
    clock = Clock()
    throttle = LoginThrottle(fake_login, clock=clock)
    assert attempts(throttle, "10.0.0.1", 5) == [400] * 5
    assert attempts(throttle, "10.0.0.1", 2, "right") == ["429 2"] * 2
    assert attempts(throttle, "10.0.0.2", password="right") == [200]  # others unaffected
    waits = []
    for _ in range(10):
        clock.now += 300  # past any lock, within the window of the last failure
        assert attempts(throttle, "10.0.0.1") == [400]
        waits.append(attempts(throttle, "10.0.0.1")[0])
    assert waits == [f"429 {s}" for s in (4, 8, 16, 32, 64, 128, 256, 300, 300, 300)]
    clock.now += 300
    assert attempts(throttle, "10.0.0.1", password="right") == [200]
    assert attempts(throttle, "10.0.0.1", 5) == [400] * 5  # counted from zero again
    clock.now += 901  # quiet for longer than the window: forgiven
    assert attempts(throttle, "10.0.0.1", 4) == [400] * 4
    assert throttle.clients["10.0.0.1"].failures == 4


def test_attempts_sent_at_once_are_counted_before_they_answer() -> None:
    assert sorted(map(str, attempts(LoginThrottle(fake_login), "10.0.0.3", 12))) == \
        ["400"] * 5 + ["429 2"] * 7


def test_only_the_login_route_is_counted_and_clients_are_bounded() -> None:
    throttle = LoginThrottle(fake_login, max_clients=3)
    for n in range(5):
        assert attempts(throttle, f"10.0.1.{n}") == [400]
    assert list(throttle.clients) == ["10.0.1.2", "10.0.1.3", "10.0.1.4"]  # oldest dropped

    async def other_routes() -> list[int]:
        transport = httpx.ASGITransport(app=throttle, client=("10.0.1.4", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://chat") as client:
            return [(await client.post(path)).status_code
                    for path in ("/login_check", "/gradio_api/login", "/login/x")]

    assert asyncio.run(other_routes()) == [400] * 3
    assert throttle.clients["10.0.1.4"].failures == 1  # not counted
