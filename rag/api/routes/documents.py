"""GET/POST /v1/documents and DELETE /v1/documents/{doc_id}."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError, WithJsonSchema
from starlette.concurrency import run_in_threadpool

from rag.api.deps import ServiceDep, get_service
from rag.api.errors import DocumentNotFoundError, UploadTooLargeError
from rag.api.models import UrlRequest, error_responses
from rag.schemas import DocumentInfo

router = APIRouter(prefix="/v1/documents", tags=["documents"])

_READ_BLOCK = 1 << 20
# What ingest/loaders.py's doc_id_for makes: 16 lowercase hex digits. Anything else is
# refused with 422 before the store (or a lock file's name) sees it.
DocId = Annotated[str, Path(pattern="^[0-9a-f]{16}$", examples=["3f2a9c1b7d4e5f60"])]
# Any bytes: `format: binary` (beside 3.1's contentMediaType) tells clients and fuzzers so.
Upload = Annotated[UploadFile, WithJsonSchema(
    {"type": "string", "format": "binary", "contentMediaType": "application/octet-stream"})]


@router.get("")
def list_documents(service: ServiceDep) -> dict[str, list[DocumentInfo]]:
    return {"documents": service.documents()}


class _UploadOrUrl(APIRoute):
    """One operation, two bodies: a JSON body ({"url": ...}) is taken here, before FastAPI
    would read it as the form the upload declares (and refuse it: no files)."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        upload = super().get_route_handler()

        async def handler(request: Request) -> Response:
            media_type = request.headers.get("content-type", "").partition(";")[0]
            if media_type.strip().lower() == "application/json":
                return await _ingest_url(request)
            return await upload(request)

        return handler


async def _ingest_url(request: Request) -> Response:
    try:
        asked = UrlRequest.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None
    report = await run_in_threadpool(get_service(request).ingest_urls, [asked.url])
    return JSONResponse(report.as_dict())


async def upload_documents(files: Annotated[list[Upload], File(min_length=1)],
                           service: ServiceDep) -> dict[str, Any]:
    """Ingest the uploaded files at once, or, with a JSON body {"url": ...}, an article's
    page or a feed's new entries. Bad files and URLs are skipped with a reason each. The
    request as a whole is bounded before it is read (rag/api/guard.py), each file here."""
    limit = int(service.settings.max_upload_mb * 1_000_000)
    uploads = [(f.filename or "upload", await _read_capped(f, limit)) for f in files]
    report = await run_in_threadpool(service.ingest_uploads, uploads)
    return report.as_dict()


router.add_api_route(
    "", upload_documents, methods=["POST"], route_class_override=_UploadOrUrl,
    responses=error_responses(
        {413: "a file is over RAG_MAX_UPLOAD_MB, or the request over it plus 1 MB"}),
    openapi_extra={"requestBody": {"content": {"application/json": {
        "schema": UrlRequest.model_json_schema()}}}})


@router.delete("/{doc_id}", responses=error_responses({404: "no such document"}))
def delete_document(doc_id: DocId, service: ServiceDep) -> dict[str, str]:
    if not service.delete_document(doc_id):
        raise DocumentNotFoundError(f"no document with id '{doc_id}'")
    return {"deleted": doc_id}


async def _read_capped(upload: UploadFile, limit: int) -> bytes:
    """Read at most limit bytes; one byte more means the file is over the limit."""
    data = bytearray()
    while chunk := await upload.read(_READ_BLOCK):
        data += chunk
        if len(data) > limit:
            raise _too_large(limit, upload.filename)
    return bytes(data)


def _too_large(limit: int, name: str | None) -> UploadTooLargeError:
    return UploadTooLargeError(f"'{name or 'upload'}' is over the {limit / 1e6:.1f} MB limit "
                               "(RAG_MAX_UPLOAD_MB)")
