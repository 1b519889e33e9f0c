"""The OpenAPI 3.1 document served at /openapi.json, built from the same pydantic models that validate input."""

from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter

from shared.models.api import ActionBody, RequestPageOut, RequestRecordOut, RequestSummaryOut, SubmitRequestBody

ERROR = {
    "type": "object",
    "required": ["error", "message", "details"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "array"}},
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): {"description": "error", **_json(_ref("Error"))} for code in codes}


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    models = {m.__name__: m for m in (SubmitRequestBody, RequestSummaryOut, RequestRecordOut, RequestPageOut)}
    schemas: dict[str, Any] = {"Error": ERROR}
    for name, model in models.items():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    action = TypeAdapter(ActionBody).json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(action.pop("$defs", {}))
    schemas["ActionBody"] = action
    bearer = [{"bearer": []}]
    query = ["consumer_email", "type", "status", "from", "to", "at_risk", "overdue", "cursor", "limit"]
    return {
        "openapi": "3.1.0",
        "info": {"title": "ccpa-audit", "version": "1"},
        "components": {"schemas": schemas, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/health": {"get": {"responses": {"200": {"description": "ok"}}}},
            "/requests": {
                "post": {
                    "summary": "Create a consumer request (public for web_form; agent for staff channels)",
                    "parameters": [{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}],
                    "requestBody": _json(_ref("SubmitRequestBody")),
                    "responses": {"201": _json(_ref("RequestSummaryOut")) | {"description": "created"},
                                  "200": _json(_ref("RequestSummaryOut")) | {"description": "replayed"},
                                  **_errors(401, 403, 409, 413, 422)},
                },
                "get": {
                    "summary": "Search requests (analyst, auditor)",
                    "security": bearer,
                    "parameters": [{"name": n, "in": "query", "schema": {"type": "string"}} for n in query],
                    "responses": {"200": _json(_ref("RequestPageOut")) | {"description": "a page"},
                                  **_errors(401, 403, 422)},
                },
            },
            "/requests/{request_id}": {
                "get": {
                    "summary": "The complete record (analyst, auditor)",
                    "security": bearer,
                    "parameters": [{"name": "request_id", "in": "path", "required": True,
                                    "schema": {"type": "string"}}],
                    "responses": {"200": _json(_ref("RequestRecordOut")) | {"description": "the record"},
                                  **_errors(401, 403, 404)},
                }
            },
            "/requests/{request_id}/actions": {
                "post": {
                    "summary": "Record a lifecycle action (agent, analyst); 409 codes name the rule refused",
                    "security": bearer,
                    "parameters": [{"name": "request_id", "in": "path", "required": True,
                                    "schema": {"type": "string"}}],
                    "requestBody": _json(_ref("ActionBody")),
                    "responses": {"200": _json(_ref("RequestRecordOut")) | {"description": "the updated record"},
                                  **_errors(401, 403, 404, 409, 413, 422)},
                }
            },
        },
    }
