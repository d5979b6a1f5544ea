"""`rag`: ingest, ask, documents, serve, eval. Errors are one line and a non-zero exit."""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rag.cli_types import positive_int
from rag.errors import RagError
from rag.settings import Settings, load_settings

if TYPE_CHECKING:
    from rag.schemas import Filters
    from rag.service import RagService


class UsageError(RagError):
    """A bad argument the user can fix; printed as one line."""

    code = "usage_error"
    status = 400
    exit_code = 2


def entry() -> None:
    """The `rag` command. A command that writes nothing (`ask`) ends without Python's
    teardown of chromadb, onnxruntime and some 3,000 modules: 0.2-0.3 s of a 2 s call.
    Its output is flushed first, and the vector cache commits as it writes."""
    sys.exit(main(exit_when_done=True))


def main(argv: Sequence[str] | None = None, exit_when_done: bool = False) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        code = int(args.run(args, settings) or 0)
        if exit_when_done and args.run in _WRITES_NOTHING:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        return code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except RagError as exc:  # the class says how bad: 2 usage or settings, 1 otherwise
        print(f"error: {exc.user_message()}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:  # the promise: one clear line, never a traceback
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _service(settings: Settings, short_lived: bool = False):  # late: `rag --help` is instant
    from rag.service import RagService

    return RagService(settings, short_lived=short_lived)


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.limits import LoadError
    from ingest.metadata import ArticleMeta
    from ingest.pipeline import is_url

    urls = [p for p in args.paths if is_url(p)]
    paths = [Path(p) for p in args.paths if not is_url(p)]
    if (args.title or args.url) and len(args.paths) > 1:
        raise UsageError("--title and --url describe one article: give one FILE or URL")
    try:
        given = ArticleMeta.checked(title=args.title, published=args.published, url=args.url,
                                    site=args.site)
    except LoadError as exc:
        raise UsageError(str(exc)) from None
    service = _service(settings)
    if args.rebuild:
        service.rebuild()
    started = time.perf_counter()
    report = service.ingest_paths(paths, prune=args.prune, progress=not args.quiet,
                                  given=given, urls=urls)
    elapsed = time.perf_counter() - started
    for label in ("added", "updated", "unchanged", "removed"):
        for name in getattr(report, label):
            print(f"{label:9} {name}")
    for name, reason in report.skipped:
        print(f"{'skipped':9} {name}: {reason}")
    for name, reason in report.from_feed:
        print(f"{'note':9} {name}: the page failed ({reason}); read from the feed entry")
    print(f"{report.summary()} in {elapsed:.1f} s")
    written = report.added or report.updated or report.unchanged
    return 1 if report.skipped and not written else 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    if not args.question.strip():
        raise UsageError("the question is empty")
    service = _service(settings, short_lived=True)
    answer = service.ask(args.question, top_k=args.top_k, mode=args.answerer,
                         filters=_filters(args, service))
    if args.json:
        print(answer.model_dump_json(indent=2))
        return 0
    print(answer.answer)
    for c in answer.citations:
        print(f"\n[{c.n}] {_headline(c.title, c.site, c.published, c.source)}")
        print(f"    {c.url or c.source}  chars {c.start}-{c.end}  score {c.score:.3f}")
        print(textwrap.indent(textwrap.fill(c.text, 96), "    "))
    return 0


def _filters(args: argparse.Namespace, service: RagService) -> Filters | None:
    """--doc/--site/--since/--until as the service's filter; a --doc names a document by
    its id, its file name (or a path to it) or its URL."""
    from pydantic import ValidationError

    from rag.schemas import Filters

    doc_ids = None
    if args.doc:
        known = {key: d.doc_id for d in service.documents() for key in (d.doc_id, d.source)}
        missing = [r for r in args.doc if r not in known and Path(r).name not in known]
        if missing:
            raise UsageError(f"no document with id, file name or URL '{missing[0]}' "
                             "(`rag documents` lists them)")
        doc_ids = [known.get(r) or known[Path(r).name] for r in args.doc]
    try:
        filters = Filters(doc_ids=doc_ids, sites=args.site, since=args.since, until=args.until)
    except ValidationError as exc:
        flags = {"doc_ids": "--doc: ", "sites": "--site: ", "since": "--since: ",
                 "until": "--until: "}
        raise UsageError("; ".join(flags.get(str(e["loc"][0]) if e["loc"] else "", "")
                                   + e["msg"].removeprefix("Value error, ")
                                   for e in exc.errors())) from None
    return filters if filters.given() else None


def _headline(title: str | None, site: str | None, published: str | None, source: str) -> str:
    """What a reader knows an article by, "Headline — Outlet, 2024-07-05" (the file name
    where it has no title)."""
    about = ", ".join(x for x in (site, published) if x)
    return f"{title or source}{f' — {about}' if about else ''}"


def cmd_documents(args: argparse.Namespace, settings: Settings) -> int:
    service = _service(settings)
    if args.remove:
        by_name = {d.source: d.doc_id for d in service.documents()}
        for ref in args.remove:
            doc_id = by_name.get(ref, ref)
            if not service.delete_document(doc_id):
                raise UsageError(f"no document with id or file name '{ref}'")
            print(f"removed   {ref}")
        return 0
    docs = service.documents()
    for d in docs:
        print(f"{d.doc_id}  {d.chunks:4d} chunks  {d.chars:7d} chars  {d.published or '':10}  "
              f"{d.source}  {d.title[:50]}{f' ({d.site})' if d.site else ''}")
    print(f"{len(docs)} documents")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    if args.workers > 1:
        _check_shared_store(settings, args.workers)
    from rag.api.server import serve

    serve(settings, host=args.host or settings.host, port=args.port or settings.port,
          workers=args.workers)
    return 0


def _check_shared_store(settings: Settings, workers: int) -> None:
    """Workers share the index only through a Chroma server: embedded Chroma is one
    process's. Its reachability is checked here, once, rather than by every worker."""
    if not settings.chroma_host:
        raise UsageError(f"--workers {workers} needs a Chroma server (embedded Chroma is not "
                         "safe across processes): run `chroma run --path DIR --port 8001` and "
                         "set RAG_CHROMA_HOST and RAG_CHROMA_PORT")
    from rag.components.store import connect

    connect(settings)


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from eval.runner import run_from_cli

    return run_from_cli(args, settings)


_WRITES_NOTHING = {cmd_ask}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rag", description="Q&A over news articles, with citations.")
    sub = p.add_subparsers(required=True, metavar="COMMAND")

    def add(name: str, run: Callable[..., int], help_: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_, description=help_)
        sp.set_defaults(run=run)
        return sp

    sp = add("ingest", cmd_ingest, "Add or update files and folders (.txt .md .html .pdf), "
             "article pages and RSS/Atom feeds (http/https URLs).")
    sp.add_argument("paths", nargs="+", metavar="PATH_OR_URL")
    sp.add_argument("--prune", action="store_true",
                    help="remove documents whose files are not among PATHs (URLs' stay)")
    sp.add_argument("--published", metavar="YYYY-MM-DD",
                    help="publication date of every article given (over the file's own and "
                    "the sidecar's); lasting dates belong in the folder's metadata.json")
    sp.add_argument("--site", metavar="OUTLET", help="the outlet that published them")
    sp.add_argument("--title", help="the headline (one FILE or URL only)")
    sp.add_argument("--url", metavar="URL", help="where it was published (one FILE only)")
    sp.add_argument("--rebuild", action="store_true",
                    help="drop the index first (needed after changing the embedding model)")
    sp.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    sp = add("ask", cmd_ask, "Answer a question from the articles, with citations.")
    sp.add_argument("question")
    sp.add_argument("--json", action="store_true", help="print the API's JSON response")
    sp.add_argument("--top-k", type=positive_int, default=None, help="passages to retrieve")
    sp.add_argument("--answerer", choices=["extractive", "llm"], default=None,
                    help="override RAG_LLM for this question")
    scope = sp.add_argument_group("scope", "Search only some articles (all that are given "
                                  "must hold; an article without a date matches no date range)")
    scope.add_argument("--doc", action="append", metavar="DOC",
                       help="a document's id, file name or URL (repeatable)")
    scope.add_argument("--site", action="append", metavar="OUTLET",
                       help="an outlet, as `rag documents` shows it (repeatable)")
    scope.add_argument("--since", metavar="YYYY-MM-DD", help="published on that day or later")
    scope.add_argument("--until", metavar="YYYY-MM-DD", help="published on that day or earlier")

    sp = add("documents", cmd_documents, "List the ingested documents, or remove some.")
    sp.add_argument("--remove", nargs="+", metavar="DOC", help="doc_id or file name")

    sp = add("serve", cmd_serve, "Serve the HTTP API and the chat UI.")
    sp.add_argument("--host", default=None)
    sp.add_argument("--port", type=int, default=None)
    sp.add_argument("--workers", type=positive_int, default=1,
                    help="processes serving the API (needs RAG_CHROMA_HOST); the chat needs 1")

    sp = add("eval", cmd_eval, "Run the eval set and write a report.")
    # Late: eval depends on rag at import time, never the reverse.
    from eval.cli_args import add_eval_arguments

    add_eval_arguments(sp)
    return p


if __name__ == "__main__":
    entry()
