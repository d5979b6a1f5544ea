"""Hostile requests to the API over real HTTP (uvicorn on loopback, embedded Chroma), with
the chat mounted at "/" and without: refused before the body is read, in the API's error
shape, naming no server path, leaving no lock file behind (issue 20)."""

from __future__ import annotations

import http.client
import json
import select
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from rag.api.app import create_app
from rag.service import RagService
from tests.conftest import ARTICLES, make_settings, serving, wait_for_chat

KEY = "s3cret"
AUTH = {"Authorization": f"Bearer {KEY}"}
LIMIT_MB = 1.0  # the request limit is this plus 1 MB for a form's framing
HUGE = 200_000_000


def light_chat() -> FastAPI:
    """A stand-in for the Gradio chat: its own page, its own {"detail": ...} 404s."""
    chat = FastAPI()

    @chat.get("/")
    def page() -> HTMLResponse:
        return HTMLResponse("the chat")

    return chat


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> RagService:
    service = RagService(make_settings(tmp_path_factory.mktemp("guarded") / "index",
                                       api_key=KEY, max_upload_mb=LIMIT_MB))
    service.ingest_paths([sorted(ARTICLES.glob("*.txt"))[0]], progress=False)
    return service


class Served(NamedTuple):
    url: str
    with_chat: bool


@pytest.fixture(scope="module", params=[False, True], ids=["api-only", "with-chat"])
def served(request: pytest.FixtureRequest, service: RagService) -> Iterator[Served]:
    app = create_app(service.settings, service, with_ui=request.param,
                     ui_builder=light_chat if request.param else None)
    with serving(app) as base:
        if request.param:
            wait_for_chat(base)
        yield Served(base, request.param)


@pytest.fixture
def url(served: Served) -> str:
    return served.url


def assert_api_error(r: httpx.Response | tuple[int, dict[str, str], bytes], status: int,
                     code: str) -> dict[str, str]:
    got, headers, body = (r.status_code, dict(r.headers), r.content) \
        if isinstance(r, httpx.Response) else r
    assert got == status, body
    error = json.loads(body)
    assert set(error) == {"error"} and error["error"]["code"] == code, error
    return {k.lower(): v for k, v in headers.items()}


def head_only(url: str, method: str, path: str, headers: dict[str, str],
              ) -> tuple[int, dict[str, str], bytes]:
    """Send a request's head and none of the body it announces; return the answer. A server
    that waited for the body would time out here."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.putrequest(method, path)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        r = conn.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        conn.close()


# -- before the body -------------------------------------------------------------------------

def test_without_the_key_the_401_comes_before_the_body(url: str) -> None:
    announced = {"Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(HUGE)}
    for headers in (announced, {**announced, "Authorization": "Bearer wrong"}):
        got = head_only(url, "POST", "/v1/documents", headers)
        assert assert_api_error(got, 401, "unauthorized")["www-authenticate"] == "Bearer"
    assert_api_error(httpx.get(f"{url}/v1/documents"), 401, "unauthorized")
    assert httpx.get(f"{url}/v1/documents", headers=AUTH).status_code == 200


def test_a_body_announced_over_the_limit_gets_413_before_it_is_read(url: str) -> None:
    got = head_only(url, "POST", "/v1/documents", {
        **AUTH, "Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(HUGE)})
    assert_api_error(got, 413, "upload_too_large")
    assert b"RAG_MAX_UPLOAD_MB" in got[2]


def test_a_chunked_body_gets_413_once_past_the_limit(url: str) -> None:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.putrequest("POST", "/v1/documents")
    for name, value in {**AUTH, "Content-Type": "multipart/form-data; boundary=x",
                        "Transfer-Encoding": "chunked"}.items():
        conn.putheader(name, value)
    conn.endheaders()
    def chunk(data: bytes) -> bytes:
        return b"%x\r\n%s\r\n" % (len(data), data)

    block, sent = b"x" * 65536, 0
    conn.send(chunk(b"--x\r\nContent-Disposition: form-data; name=\"files\"; "
                    b"filename=\"big.txt\"\r\n\r\n"))  # a file part whose bytes never end
    assert conn.sock is not None
    while sent < 6_000_000 and not select.select([conn.sock], [], [], 0.01)[0]:  # paced
        conn.send(chunk(block))
        sent += len(block)
    r = conn.getresponse()
    got = (r.status, dict(r.getheaders()), r.read())
    conn.close()
    assert_api_error(got, 413, "upload_too_large")
    # answered once past the 2 MB limit (what the sockets' buffers held aside)
    assert sent < (LIMIT_MB + 1) * 1e6 + 1_500_000, sent
    assert httpx.get(f"{url}/health").status_code == 200


def test_a_chunked_upload_within_the_limit_is_ingested(url: str, service: RagService) -> None:
    text = b"The Zarvonian delegation toured the harbour's new grain terminal."
    form = (b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"harbour.txt\""
            b"\r\nContent-Type: text/plain\r\n\r\n" + text + b"\r\n--b--\r\n")
    r = httpx.post(f"{url}/v1/documents", content=iter([form[:50], form[50:]]),  # chunked
                   headers={**AUTH, "Content-Type": "multipart/form-data; boundary=b"})
    assert r.status_code == 200 and r.json()["added"] + r.json()["unchanged"] == ["harbour.txt"]
    assert "transfer-encoding" in r.request.headers


# -- what is told, to whom -----------------------------------------------------------------

def test_ready_tells_the_document_count_only_with_the_key(url: str, service: RagService) -> None:
    open_body = httpx.get(f"{url}/ready").json()
    assert open_body["status"] == "ready" and {"store", "answerer"} <= set(open_body)
    assert "documents" not in open_body
    keyed = httpx.get(f"{url}/ready", headers=AUTH).json()
    assert keyed["documents"] == len(service.documents()) > 0


@pytest.mark.parametrize("doc_id", ["%00", "a" * 300, "..%2F..", "..%2F..%2Fetc%2Fpasswd",
                                    "0123456789ABCDEF", "0123456789abcde", "%2e%2e",
                                    "0123456789abcdef%00"])
def test_a_malformed_id_is_a_4xx_in_the_api_shape_naming_no_path(
        url: str, service: RagService, doc_id: str) -> None:
    r = httpx.delete(f"{url}/v1/documents/{doc_id}", headers=AUTH)
    assert 400 <= r.status_code < 500, r.text
    assert_api_error(r, r.status_code, r.json()["error"]["code"])
    for path in (service.settings.data_dir, Path.cwd()):
        assert str(path) not in r.text


def test_unknown_ids_take_no_lock_and_leave_no_file(url: str, service: RagService) -> None:
    with httpx.Client(base_url=url, headers=AUTH) as client:
        for i in range(300):
            assert_api_error(client.delete(f"/v1/documents/{i:016x}"), 404,
                             "document_not_found")
    locks = service.settings.data_dir / "locks"
    assert not locks.exists() or [p for p in locks.rglob("*") if p.is_file()] == []


def test_a_store_failure_names_no_server_path(
        url: str, service: RagService, monkeypatch: pytest.MonkeyPatch) -> None:
    where = service.settings.data_dir / "locks" / "articles" / ("a" * 300)

    def too_long(*args: object, **kwargs: object) -> None:
        raise OSError(36, "File name too long", str(where))

    monkeypatch.setattr(service.store.registry, "get", too_long)
    r = httpx.get(f"{url}/v1/documents", headers=AUTH)
    assert_api_error(r, 503, "store_unavailable")
    assert "File name too long" in r.text and str(service.settings.data_dir) not in r.text


# -- paths no API route serves, under the chat's mount or not --------------------------------

def test_unknown_api_paths_are_the_apis_404(url: str) -> None:
    for path in ("/v1/nothing", "/v1", "/v1/documents/", "/v1/documents/a/b",
                 "/v1/documents/..%2F.."):
        r = httpx.get(f"{url}{path}", headers=AUTH)
        assert_api_error(r, 404, "not_found")


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("OPTIONS", "/v1/documents", "GET, POST"), ("PUT", "/v1/documents", "GET, POST"),
    ("TRACE", "/v1/ask", "POST"), ("GET", "/v1/chat/completions", "POST"),
    ("GET", "/v1/documents/0123456789abcdef", "DELETE"), ("POST", "/health", "GET"),
    ("DELETE", "/ready", "GET"), ("POST", "/openapi.json", "GET, HEAD"),
    ("PATCH", "/docs", "GET, HEAD")])
def test_a_known_path_with_another_method_is_405_with_allow(
        url: str, method: str, path: str, allowed: str) -> None:
    r = httpx.request(method, f"{url}{path}", headers=AUTH)
    assert assert_api_error(r, 405, "method_not_allowed")["allow"] == allowed


def test_other_paths_are_the_chats(served: Served) -> None:
    if served.with_chat:
        assert httpx.get(f"{served.url}/").text == "the chat"
        assert httpx.get(f"{served.url}/elsewhere").json() == {"detail": "Not Found"}
    else:
        assert_api_error(httpx.get(f"{served.url}/elsewhere"), 404, "not_found")
