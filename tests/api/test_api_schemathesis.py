"""Property-based run of every operation in the OpenAPI document: no input gives a 5xx, and every
response conforms to the document (status code, content type, body schema, headers)."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import ApiEnv

CONFORMANCE = [
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

MAX_EXAMPLES = 12


def test_no_server_errors_for_generated_requests(stats_env: ApiEnv) -> None:
    env = stats_env
    schema = schemathesis.openapi.from_asgi("/openapi.json", env.app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        path = operation.path
        keys = [env.admin_key] if path.startswith(("/v1/stats", "/v1/admin")) else [env.user_a_key, env.admin_key]

        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(), key=st.sampled_from(keys))
        def run(case: Any, key: str) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {key}"}
            response = case.call()
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:300]}")
                return
            if response.status_code >= 400:
                body = response.json()
                assert set(body["error"]) == {"code", "message", "details"}, body
            # Semantic refusals (a bad cursor, from > to, a bad signature) are expected; the shape is not negotiable.
            case.validate_response(response, checks=CONFORMANCE)

        run()
    assert operations >= 25
    assert not failures, "\n".join(failures[:20])
