"""The OpenAPI document: every route tagged and summarised, the error shape declared."""

from __future__ import annotations

import httpx


async def test_every_operation_is_tagged_summarised_and_declares_errors(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert "ErrorResponse" in spec["components"]["schemas"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, item in spec["paths"].items():
        for method, op in item.items():
            assert op.get("tags"), f"{method.upper()} {path} has no tag"
            assert op.get("summary"), f"{method.upper()} {path} has no summary"
            for status, response in op["responses"].items():
                if status.startswith(("4", "5")) and "content" in response:
                    ref = response["content"]["application/json"]["schema"].get("$ref", "")
                    assert ref.endswith("/ErrorResponse"), f"{method} {path} {status}: {ref}"
    assert spec["paths"]["/api/users"]["get"]["responses"]["403"]


async def test_docs_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()
