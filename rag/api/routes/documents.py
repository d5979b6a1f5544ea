"""GET/POST /v1/documents and DELETE /v1/documents/{doc_id}."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from rag.api.deps import ServiceDep
from rag.api.errors import DocumentNotFoundError, UploadTooLargeError
from rag.schemas import DocumentInfo

router = APIRouter(prefix="/v1/documents", tags=["documents"])

_READ_BLOCK = 1 << 20


@router.get("")
def list_documents(service: ServiceDep) -> dict[str, list[DocumentInfo]]:
    return {"documents": service.documents()}


@router.post("", responses={413: {"description": "a file is over RAG_MAX_UPLOAD_MB"}})
async def upload_documents(request: Request, files: Annotated[list[UploadFile], File()],
                           service: ServiceDep) -> dict[str, Any]:
    """Ingest the uploaded files at once; bad files are skipped with a reason each."""
    limit = int(service.settings.max_upload_mb * 1_000_000)
    declared = int(request.headers.get("content-length") or 0)
    if declared > limit * max(1, len(files)) + 1_000_000:
        raise _too_large(declared, limit)
    uploads = [(f.filename or "upload", await _read_capped(f, limit)) for f in files]
    report = await run_in_threadpool(service.ingest_uploads, uploads)
    return report.as_dict()


@router.delete("/{doc_id}", responses={404: {"description": "no such document"}})
def delete_document(doc_id: str, service: ServiceDep) -> dict[str, str]:
    if not service.delete_document(doc_id):
        raise DocumentNotFoundError(f"no document with id '{doc_id}'")
    return {"deleted": doc_id}


async def _read_capped(upload: UploadFile, limit: int) -> bytes:
    """Read at most limit bytes; one byte more means the file is over the limit."""
    data = bytearray()
    while chunk := await upload.read(_READ_BLOCK):
        data += chunk
        if len(data) > limit:
            raise _too_large(len(data), limit, upload.filename)
    return bytes(data)


def _too_large(size: int, limit: int, name: str | None = None) -> UploadTooLargeError:
    what = f"'{name}'" if name else "the upload"
    return UploadTooLargeError(f"{what} is over the {limit / 1e6:.1f} MB limit "
                               "(RAG_MAX_UPLOAD_MB)")
