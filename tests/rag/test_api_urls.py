"""POST /v1/documents with {"url": ...}: a feed from a local server, ingested through the
live app over real HTTP (uvicorn, embedded Chroma); its metadata in /v1/documents and
/v1/search; bad URLs and bodies refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rag.api.app import create_app
from rag.service import RagService
from tests.conftest import make_settings, serving
from tests.ingest.news_server import NewsSite, news_site


@pytest.fixture(scope="module")
def site() -> Iterator[NewsSite]:
    with news_site() as served:
        yield served


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    service = RagService(make_settings(tmp_path_factory.mktemp("urls") / "index",
                                       fetch_allow_private=True))
    with serving(create_app(service.settings, service, with_ui=False)) as base:
        yield base


def test_a_feed_posted_as_a_url_is_ingested_once(api: str, site: NewsSite) -> None:
    feed = site.url("/feed.xml")
    first = httpx.post(f"{api}/v1/documents", json={"url": feed}, timeout=120)
    assert first.status_code == 200, first.text
    body = first.json()
    assert len(body["added"]) == 5 and body["skipped"] == []
    assert body["from_feed"] == [{"url": site.url("/news/ferry-timetable"),
                                  "reason": "HTTP 404 Not Found"}]
    again = httpx.post(f"{api}/v1/documents", json={"url": feed}, timeout=120).json()
    assert again["added"] == [] and len(again["unchanged"]) == 5

    docs = {d["source"]: d for d in httpx.get(f"{api}/v1/documents").json()["documents"]}
    grain = docs[site.url("/economy/grain-convoy")]
    assert (grain["title"], grain["published"], grain["site"], grain["url"]) == (
        "Grain convoy reaches Constanta", "2024-07-05", "Danube Daily",
        site.url("/economy/grain-convoy"))
    found = httpx.post(f"{api}/v1/search", json={"query": "barges waiting at Ruse",
                                                  "top_k": 1}).json()["results"][0]
    assert (found["title"], found["published"], found["site"]) == (
        "Grain convoy reaches Constanta", "2024-07-05", "Danube Daily")


def test_a_url_that_fails_is_skipped_with_its_reason(api: str, site: NewsSite) -> None:
    body = httpx.post(f"{api}/v1/documents", json={"url": site.url("/nothing-here")}).json()
    assert body["added"] == [] and body["skipped"] == [
        {"file": site.url("/nothing-here"), "reason": "HTTP 404 Not Found"}]


@pytest.mark.parametrize(("payload", "says"), [
    ({"url": "file:///etc/passwd"}, "url"),
    ({"url": 5}, "url"),
    ({"link": "https://example.com/"}, "link"),
    ({}, "url"),
])
def test_a_body_outside_the_schema_is_a_422(api: str, payload: object, says: str) -> None:
    response = httpx.post(f"{api}/v1/documents", json=payload)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"
    assert says in response.json()["error"]["message"]


def test_the_schema_states_both_bodies(api: str) -> None:
    operation = httpx.get(f"{api}/openapi.json").json()["paths"]["/v1/documents"]["post"]
    content = operation["requestBody"]["content"]
    assert set(content) == {"multipart/form-data", "application/json"}
    assert content["application/json"]["schema"]["required"] == ["url"]


def test_private_addresses_are_refused_by_default(tmp_path: Path, site: NewsSite) -> None:
    service = RagService(make_settings(tmp_path / "index"))
    with serving(create_app(service.settings, service, with_ui=False)) as base:
        body = httpx.post(f"{base}/v1/documents", json={"url": site.url("/feed.xml")}).json()
        assert body["added"] == [] and "RAG_FETCH_ALLOW_PRIVATE" in body["skipped"][0]["reason"]
        # The app's own port is as private as any.
        body = httpx.post(f"{base}/v1/documents", json={"url": f"{base}/v1/documents"}).json()
        assert "private or local address" in body["skipped"][0]["reason"]
