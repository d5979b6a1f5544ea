"""The parts of the OpenAPI schema that only the settings know, added per app: the longest
question (RAG_MAX_QUESTION_CHARS), the answerers this server runs, and, with RAG_API_KEY,
the bearer key every /v1 operation needs and its 401."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from rag.api.guard import is_api_path
from rag.service import RagService

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}


def state_the_settings(app: FastAPI, service: RagService) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _add_settings(build(), service)  # build() caches the schema; edited in place
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def _add_settings(schema: dict[str, Any], service: RagService) -> None:
    settings, models = service.settings, schema["components"]["schemas"]
    for model, field in (("AskRequest", "question"), ("SearchRequest", "query")):
        models[model]["properties"][field]["maxLength"] = settings.max_question_chars
    for option in models["AskRequest"]["properties"]["answerer"]["anyOf"]:
        if "enum" in option:
            option["enum"] = list(service.answerers)
    if settings.api_key is None:
        return
    schema["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    for path, operations in schema["paths"].items():
        if is_api_path(path):
            for operation in operations.values():
                operation["security"] = [{"bearer": []}]
                operation["responses"]["401"] = {
                    "description": "missing or wrong API key", "content": _ERROR}
