"""Schemathesis hooks for tests/rag/test_contract.py (SCHEMATHESIS_HOOKS names this file).

JSON Schema cannot say that a filter's `since` is not after its `until`: the server refuses
such a request (422), as the field's description says, and that one refusal of a
schema-valid body is not counted as a failure. Every other failure stands.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData


@schemathesis.hook
def filter_failure(context: schemathesis.HookContext, failure: Any, case: Any,
                   response: Any) -> bool:
    filters = case.body.get("filters") if isinstance(case.body, dict) else None
    since, until = (filters.get("since"), filters.get("until")) if isinstance(
        filters, dict) else (None, None)
    reversed_range = isinstance(since, str) and isinstance(until, str) and since > until
    return not (isinstance(failure, RejectedPositiveData) and reversed_range
                and response.status_code == 422 and "is after until" in response.text)
