"""Questions scoped by document, outlet and date (issue 22, item 4), on real components.

The corpus: the five sample articles published by three outlets, each its own copy with
its own sidecar metadata (dates, outlet, headline). Every search result and citation must
obey the filter, and top_k passages come back whenever that many chunks match: the filter
runs inside Chroma's `where` (embedded and `chroma run`) and inside BM25's scoring, it does
not thin out an unfiltered top k.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from rag.api.app import create_app
from rag.schemas import NO_MATCH, Filters, Passage
from rag.service import RagService
from tests.conftest import ARTICLES, make_settings
from tests.rag.test_cli import run

QUESTION = "Where did Orban and Putin meet during the Belt and Road Forum?"
# outlet -> the publication days of its copies of the five articles (None: undated)
OUTLETS: dict[str, list[str | None]] = {
    "Reuters": ["2024-07-01", "2024-07-02", "2024-07-03", "2024-07-04", "2024-07-05"],
    "AP": ["2023-10-16", "2023-10-17", "2023-10-18", "2023-10-19", "2023-10-20"],
    "Blog": [None] * 5,
}


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    sidecar = {}
    for outlet, days in OUTLETS.items():
        for i, (path, day) in enumerate(zip(sorted(ARTICLES.glob("*.txt")), days, strict=True)):
            name = f"{outlet.lower()}-{i}.txt"
            (folder / name).write_bytes(path.read_bytes())
            sidecar[name] = {"title": f"{outlet} story {i}", "published": day, "site": outlet}
    (folder / "metadata.json").write_text(json.dumps(sidecar))
    return folder


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("scoped") / "news")


@pytest.fixture(scope="module", params=["embedded", "server"])
def service(request: pytest.FixtureRequest, corpus: Path,
            tmp_path_factory: pytest.TempPathFactory) -> RagService:
    where = {}
    if request.param == "server":
        where = {"chroma_host": "127.0.0.1", "collection": "scoped_news",
                 "chroma_port": request.getfixturevalue("chroma_server")}
    svc = RagService(make_settings(tmp_path_factory.mktemp("scoped-index"), **where))
    assert len(svc.ingest_paths([corpus], progress=False).added) == 15
    return svc


def doc_id(service: RagService, source: str) -> str:
    return next(d.doc_id for d in service.documents() if d.source == source)


# filter -> the file names it must admit
CASES: dict[str, tuple[dict[str, object], set[str]]] = {
    "doc_ids": ({"doc_ids": ["ap-3.txt"]}, {"ap-3.txt"}),
    "sites": ({"sites": ["Reuters"]}, {f"reuters-{i}.txt" for i in range(5)}),
    "since-until": ({"since": "2024-07-02", "until": "2024-07-04"},  # both ends included
                    {"reuters-1.txt", "reuters-2.txt", "reuters-3.txt"}),
    "until": ({"until": "2023-12-31"}, {f"ap-{i}.txt" for i in range(5)}),
    "since": ({"since": "1900-01-01"},  # the undated Blog copies never match
              {f"{o}-{i}.txt" for o in ("reuters", "ap") for i in range(5)}),
    "all": ({"doc_ids": ["ap-0.txt", "ap-3.txt", "ap-4.txt", "blog-0.txt", "reuters-0.txt"],
             "sites": ["AP", "Blog"], "until": "2023-10-19"}, {"ap-0.txt", "ap-3.txt"}),
}


def filters_for(service: RagService, spec: dict[str, object]) -> Filters:
    """The case's filter, its documents named by their ids."""
    ids = [doc_id(service, name) for name in spec.get("doc_ids", [])]  # type: ignore[attr-defined]
    return Filters.model_validate({**spec, "doc_ids": ids or None})


@pytest.mark.parametrize("case", CASES)
def test_every_result_obeys_the_filter_and_top_k_come_back(service: RagService,
                                                           case: str) -> None:
    spec, admitted = CASES[case]
    filters = filters_for(service, spec)
    matching = sum(d.chunks for d in service.documents() if d.source in admitted)
    assert matching >= 4, "each case admits enough chunks to ask for several"
    for k in (1, 3, matching, matching + 7):  # past what matches: all of it, no more
        found = service.search(QUESTION, k, filters=filters)
        assert {p.source for p in found} <= admitted, (case, k)
        assert len(found) == min(k, matching), (case, k)
    assert {p.source for p in service.search(QUESTION, matching, filters=filters)} == admitted

    answer = service.ask(QUESTION, top_k=4, filters=filters)
    assert answer.retrieved and {p.source for p in answer.retrieved} <= admitted
    assert {c.source for c in [*answer.citations, *answer.related]} <= admitted, answer.answer
    if "Reuters" in spec.get("sites", []) or case == "doc_ids":  # type: ignore[operator]
        assert not answer.refused and "Beijing" in answer.answer


def test_each_side_ranks_only_what_the_filter_admits(service: RagService) -> None:
    """Filtered, dense search and BM25 each return the best k of the admitted chunks: the
    same scores as their full ranking keeps once the others are struck out."""
    filters = Filters(sites=["AP"], until="2023-10-18")
    only = service.store.matching_documents(filters)
    assert len(only) == 3

    def of_admitted(ranked: list[tuple[str, float]]) -> list[float]:
        return [round(s, 4) for cid, s in ranked if cid.partition(":")[0] in only]

    lexical = service.retriever.lexical
    full = of_admitted(lexical.search(QUESTION, 10_000))
    for k in (1, 5, len(full)):
        got = lexical.search(QUESTION, k, only=only)
        assert [round(s, 4) for _, s in got] == full[:k]
        assert {cid.partition(":")[0] for cid, _ in got} <= only

    vector = service.embedder.embed_query(QUESTION)

    def pairs(passages: list[Passage]) -> list[tuple[str, float]]:
        return [(p.chunk_id, p.score) for p in passages]

    full = of_admitted(pairs(service.store.query(vector, 10_000)))
    for k in (1, 5, len(full)):
        got = service.store.query(vector, k, where=filters.chunk_where())
        assert [p.score for p in got] == full[:k] and {p.doc_id for p in got} <= only


def test_a_filter_that_matches_nothing_says_so(service: RagService) -> None:
    for spec, said in [
        ({"sites": ["Nobody"], "since": "2024-01-01"},
         "site 'Nobody', since 2024-01-01 (an article without a publication date never "
         "matches a date range)"),
        ({"sites": ["Blog"], "until": "2030-01-01"}, "site 'Blog', until 2030-01-01 ("),
        ({"doc_ids": ["0123456789abcdef"]}, "document '0123456789abcdef'")]:
        answer = service.ask(QUESTION, filters=Filters.model_validate(spec))
        assert answer.refused and not answer.citations and not answer.retrieved
        assert answer.answer.startswith(f"{NO_MATCH}: {said}"), answer.answer
        assert service.search(QUESTION, 5, filters=Filters.model_validate(spec)) == []
    named = service.ask(QUESTION, filters=filters_for(service, {"doc_ids": ["ap-3.txt"],
                                                                "since": "2025-01-01"}))
    assert named.answer.startswith(f"{NO_MATCH}: document 'AP story 3', since 2025-01-01 (")


def test_the_filter_model_refuses_what_it_cannot_mean() -> None:
    for bad in [{"since": "2024-02-30"}, {"until": "2024-7-5"}, {"since": "05/07/2024"},
                {"since": "2024-07-06", "until": "2024-07-05"}, {"site": ["AP"]},
                {"doc_ids": ["ABC"]}, {"doc_ids": ["0123456789abcdef"] * 101},
                {"sites": [""]}, {"since": 20240705}]:
        with pytest.raises(ValidationError):
            Filters.model_validate(bad)
    assert not Filters(doc_ids=[], sites=[]).given()  # empty lists do not restrict
    assert Filters(doc_ids=["0123456789abcdef"] * 2, sites=["AP", "AP"]).model_dump() == {
        "doc_ids": ["0123456789abcdef"], "sites": ["AP"], "since": None, "until": None}
    assert Filters(since="2024-07-05", until="2024-07-05").chunk_where() == {"$and": [
        {"published_day": {"$gte": 20240705}}, {"published_day": {"$lte": 20240705}}]}
    assert Filters(sites=["AP"]).chunk_where() == {"site": {"$in": ["AP"]}}


# -- the API and the CLI ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    svc = RagService(make_settings(tmp_path_factory.mktemp("scoped-api")))
    svc.ingest_paths([corpus], progress=False)
    with TestClient(create_app(svc.settings, svc, with_ui=False),
                    raise_server_exceptions=False) as c:
        yield c


def test_the_api_takes_filters_on_ask_search_and_chat_completions(client: TestClient) -> None:
    docs = {d["source"]: d["doc_id"] for d in client.get("/v1/documents").json()["documents"]}
    reuters = {"sites": ["Reuters"], "since": "2024-07-03"}
    results = client.post("/v1/search", json={"query": QUESTION, "top_k": 6,
                                               "filters": reuters}).json()["results"]
    assert len(results) == 6 and {r["site"] for r in results} == {"Reuters"}
    assert min(r["published"] for r in results) >= "2024-07-03"

    one = {"doc_ids": [docs["reuters-3.txt"]]}
    body = client.post("/v1/ask", json={"question": QUESTION, "filters": one}).json()
    assert body["citations"] and {c["source"] for c in body["citations"]} == {"reuters-3.txt"}
    streamed = client.post("/v1/ask", json={"question": QUESTION, "filters": one,
                                            "stream": True}).text
    done = json.loads(streamed.split("event: done\ndata: ")[1].split("\n")[0])
    assert {c["source"] for c in done["citations"]} == {"reuters-3.txt"}

    chat = client.post("/v1/chat/completions", json={
        "messages": [{"role": "user", "content": QUESTION}], "filters": {"sites": ["AP"]}})
    assert chat.status_code == 200 and chat.json()["citations"]
    assert {c["site"] for c in chat.json()["citations"]} == {"AP"}


def test_the_api_answers_a_filter_of_nothing_and_refuses_a_malformed_one(
        client: TestClient) -> None:
    r = client.post("/v1/ask", json={"question": QUESTION,
                                     "filters": {"sites": ["Reuters"], "since": "2025-01-01"}})
    assert r.status_code == 200 and r.json()["refused"] is True
    assert r.json()["answer"].startswith(
        "No article matches the filter: site 'Reuters', since 2025-01-01")
    search = client.post("/v1/search", json={"query": QUESTION, "filters": {"sites": ["X"]}})
    assert search.status_code == 200 and search.json() == {"results": []}
    for filters, said in [({"since": "2024-07-06", "until": "2024-07-05"}, "is after until"),
                          ({"since": "2024-02-30"}, "not a day of the calendar"),
                          ({"site": ["AP"]}, "filters.site"),
                          ({"doc_ids": ["../etc"]}, "filters.doc_ids.0"),
                          ({"sites": ["AP"] * 101}, "filters.sites")]:
        for path, body in [("/v1/ask", {"question": QUESTION}), ("/v1/search", {"query": "x"}),
                           ("/v1/chat/completions",
                            {"messages": [{"role": "user", "content": QUESTION}]})]:
            r = client.post(path, json={**body, "filters": filters})
            assert r.status_code == 422, (path, filters, r.text)
            assert r.json()["error"]["code"] == "invalid_request" and said in r.text, r.text


def test_the_cli_scopes_a_question(corpus: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run(["ingest", "-q", str(corpus)], data).returncode == 0
    by_name = run(["ask", QUESTION, "--json", "--doc", str(corpus / "ap-3.txt"),
                   "--doc", "reuters-3.txt"], data)
    assert by_name.returncode == 0, by_name.stderr
    cited = {c["source"] for c in json.loads(by_name.stdout)["citations"]}
    assert cited and cited <= {"ap-3.txt", "reuters-3.txt"}
    dated = run(["ask", QUESTION, "--site", "AP", "--site", "Blog", "--since", "2023-10-18",
                 "--top-k", "3"], data)
    assert dated.returncode == 0 and "AP, 2023-10-" in dated.stdout, dated.stderr
    assert "Reuters" not in dated.stdout and "Blog" not in dated.stdout
    nothing = run(["ask", QUESTION, "--site", "Nobody"], data)
    assert nothing.returncode == 0 and "No article matches the filter: site 'Nobody'" in (
        nothing.stdout)
    for args, said in [(["--since", "2024-13-01"], "--since: 2024-13-01 is not a day"),
                       (["--since", "2024-07-02", "--until", "2024-07-01"], "is after until"),
                       (["--doc", "nope.txt"], "no document with id, file name or URL 'nope")]:
        bad = run(["ask", QUESTION, *args], data)
        assert bad.returncode == 2 and said in bad.stderr, bad.stderr
