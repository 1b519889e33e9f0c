"""The OpenAPI 3.1 document served at /openapi.json, built from the same pydantic models that validate input."""

from functools import lru_cache
from typing import Any

from pydantic import TypeAdapter

from shared.models.access_events import AccessAcceptedOut, AccessEventBatch, AccessPageOut
from shared.models.actions import ActionBody
from shared.models.api import SubmitRequestBody
from shared.models.consent import ConsentBody, ConsentListOut, ConsentOut, DecisionOut
from shared.models.export_api import ExportBody, ExportOut
from shared.models.downstream import CallbackBody, ConfirmationOut, GpcSignalBody, GpcSignalOut, GpcStatusOut
from shared.models.ledger_api import CheckpointOut, ConsistencyOut, KeysOut, ProofOut
from shared.models.notices import NoticeBody, NoticeListOut, NoticeOut, NoticeTextOut
from shared.models.request_views import RequestPageOut, RequestRecordOut, RequestSummaryOut
from shared.models.status import RequestStatusOut
from shared.models.system_api import SystemBody, SystemListOut, SystemOut

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
    if 413 in codes:  # a route that reads a body also refuses one not declared as JSON
        codes = (*codes, 415)
    return {str(code): {"description": "error", **_json(_ref("Error"))} for code in codes}


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    models = {m.__name__: m for m in (SubmitRequestBody, RequestSummaryOut, RequestRecordOut, RequestPageOut,
                                      SystemBody, SystemOut, SystemListOut, GpcSignalBody, GpcSignalOut,
                                      GpcStatusOut, CallbackBody, ConfirmationOut, ProofOut, CheckpointOut,
                                      ConsistencyOut, KeysOut, ExportBody, ExportOut, AccessEventBatch,
                                      AccessAcceptedOut, AccessPageOut, NoticeBody, NoticeOut, NoticeTextOut,
                                      NoticeListOut, ConsentBody, ConsentOut, ConsentListOut, DecisionOut,
                                      RequestStatusOut)}
    schemas: dict[str, Any] = {"Error": ERROR}
    for name, model in models.items():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[name] = schema
    action = TypeAdapter(ActionBody).json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(action.pop("$defs", {}))
    schemas["ActionBody"] = action
    bearer = [{"bearer": []}]
    query = ["consumer_email", "type", "status", "from", "to", "at_risk", "overdue", "open", "cursor", "limit"]
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
                                  **_errors(401, 403, 404, 503)},
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
                                  **_errors(401, 403, 404, 409, 413, 422, 503)},
                }
            },
            **_downstream_paths(bearer),
            **_ledger_paths(bearer),
            **_export_and_access_paths(bearer),
            **_notice_and_consent_paths(bearer),
            "/status/{token}": {"get": {
                "summary": "A web form request's state for its consumer, by the status_token of its 201 (public)",
                "parameters": [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _json(_ref("RequestStatusOut")) | {"description": "the state"},
                              **_errors(404)}}},
        },
    }


def _ledger_paths(bearer: list[dict[str, list[str]]]) -> dict[str, Any]:
    sizes = [{"name": name, "in": "query", "required": True, "schema": {"type": "integer", "minimum": 0}}
             for name in ("from", "to")]
    return {
        "/events/{event_id}/proof": {"get": {
            "summary": "Inclusion proof of an event in the latest checkpoint (analyst, auditor); 409 not_sealed",
            "security": bearer,
            "parameters": [{"name": "event_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": _json(_ref("ProofOut")) | {"description": "proof"}, **_errors(401, 403, 404, 409)}}},
        "/ledger/checkpoint": {"get": {
            "summary": "The latest signed checkpoint (analyst, auditor)", "security": bearer,
            "responses": {"200": _json(_ref("CheckpointOut")) | {"description": "checkpoint"},
                          **_errors(401, 403, 404)}}},
        "/ledger/consistency": {"get": {
            "summary": "RFC 6962 consistency proof between two tree sizes (analyst, auditor)", "security": bearer,
            "parameters": sizes,
            "responses": {"200": _json(_ref("ConsistencyOut")) | {"description": "proof"},
                          **_errors(401, 403, 422)}}},
        "/ledger/keys": {"get": {
            "summary": "Public keys that verify checkpoints (public)",
            "responses": {"200": _json(_ref("KeysOut")) | {"description": "keys"}}}},
    }


def _downstream_paths(bearer: list[dict[str, list[str]]]) -> dict[str, Any]:
    system_id = [{"name": "system_id", "in": "path", "required": True, "schema": {"type": "string"}}]
    signature = [{"name": "Ccpa-Signature", "in": "header", "required": True, "schema": {"type": "string"},
                  "description": "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, '<t>.' + body)>"}]
    return {
        "/.well-known/gpc.json": {"get": {"responses": {"200": {"description": "GPC support statement"}}}},
        "/gpc": {"post": {
            "summary": "A GPC signal from a page load (public); only Sec-GPC exactly 1 counts",
            "parameters": [{"name": "Sec-GPC", "in": "header", "schema": {"type": "string"}}],
            "requestBody": _json(_ref("GpcSignalBody")),
            "responses": {"200": _json(_ref("GpcSignalOut")) | {"description": "signal result"},
                          **_errors(413, 422)}}},
        "/gpc/status": {"get": {
            "summary": "Opt-out state of a device, for the 'Opt-Out Request Honored' display (public)",
            "parameters": [{"name": "device_id", "in": "query", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": _json(_ref("GpcStatusOut")) | {"description": "state"}, **_errors(422)}}},
        "/callbacks/{system_id}": {"post": {
            "summary": "Asynchronous confirmation from a downstream system, authenticated by its HMAC signature",
            "parameters": system_id + signature,
            "requestBody": _json(_ref("CallbackBody")),
            "responses": {"200": _json(_ref("ConfirmationOut")) | {"description": "recorded"},
                          **_errors(401, 404, 409, 422)}}},
        "/systems": {"get": {"summary": "The downstream registry (admin, analyst)", "security": bearer,
                             "responses": {"200": _json(_ref("SystemListOut")) | {"description": "systems"},
                                           **_errors(401, 403)}}},
        "/systems/{system_id}": {
            "get": {"security": bearer, "parameters": system_id,
                    "responses": {"200": _json(_ref("SystemOut")) | {"description": "the system"},
                                  **_errors(401, 403, 404)}},
            "put": {"summary": "Create or replace (admin); the webhook secret is write-only", "security": bearer,
                    "parameters": system_id, "requestBody": _json(_ref("SystemBody")),
                    "responses": {"201": _json(_ref("SystemOut")) | {"description": "created"},
                                  "200": _json(_ref("SystemOut")) | {"description": "replaced"},
                                  **_errors(401, 403, 409, 422)}},
            "delete": {"security": bearer, "parameters": system_id,
                       "responses": {"204": {"description": "removed"}, **_errors(401, 403, 404)}},
        },
    }


def _export_and_access_paths(bearer: list[dict[str, list[str]]]) -> dict[str, Any]:
    def queries(*names: str) -> list[dict[str, Any]]:
        return [{"name": n, "in": "query", "schema": {"type": "string"}} for n in names]

    return {
        "/exports": {"post": {
            "summary": "Build an evidence bundle (analyst, auditor): 201 ready with a presigned URL, 202 queued",
            "security": bearer, "requestBody": _json(_ref("ExportBody")),
            "responses": {"201": _json(_ref("ExportOut")) | {"description": "ready"},
                          "202": _json(_ref("ExportOut")) | {"description": "building"},
                          **_errors(401, 403, 404, 413, 422, 503)}}},
        "/exports/{export_id}": {"get": {
            "summary": "An export's state, progress and a fresh presigned URL once ready (analyst, auditor)",
            "security": bearer,
            "parameters": [{"name": "export_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": _json(_ref("ExportOut")) | {"description": "the export"},
                          **_errors(401, 403, 404)}}},
        "/reports/metrics": {"get": {
            "summary": "11 CCR 7102 metrics of a calendar year from the ledger (analyst, auditor); format=csv too",
            "security": bearer, "parameters": queries("year", "format"),
            "responses": {"200": {"description": "JSON, or CSV with format=csv"}, **_errors(401, 403, 422)}}},
        "/access-events": {
            "post": {
                "summary": "A batch of 1-500 personal-data access events (service); all or nothing",
                "security": bearer, "requestBody": _json(_ref("AccessEventBatch")),
                "responses": {"202": _json(_ref("AccessAcceptedOut")) | {"description": "accepted"},
                              **_errors(401, 403, 413, 422)}},
            "get": {
                "summary": "Search the access log newest first (analyst, auditor)", "security": bearer,
                "parameters": queries("consumer_email", "actor_id", "action", "service", "from", "to", "limit",
                                      "cursor"),
                "responses": {"200": _json(_ref("AccessPageOut")) | {"description": "a page"},
                              **_errors(401, 403, 422, 503)}},
        },
    }


def _notice_and_consent_paths(bearer: list[dict[str, list[str]]]) -> dict[str, Any]:
    def queries(*names: str) -> list[dict[str, Any]]:
        return [{"name": n, "in": "query", "schema": {"type": "string"}} for n in names]

    return {
        "/notices": {
            "post": {
                "summary": "Publish a privacy-notice version (admin); the same version unchanged again answers 200",
                "security": bearer, "requestBody": _json(_ref("NoticeBody")),
                "responses": {"201": _json(_ref("NoticeOut")) | {"description": "published"},
                              "200": _json(_ref("NoticeOut")) | {"description": "already published"},
                              **_errors(401, 403, 409, 413, 422)}},
            "get": {"summary": "Every notice with its versions (public)",
                    "responses": {"200": _json(_ref("NoticeListOut")) | {"description": "the notices"}}},
        },
        "/notices/{notice_id}": {"get": {
            "summary": "The version in force at `at` (default now), with its text when published with it (public)",
            "parameters": [{"name": "notice_id", "in": "path", "required": True, "schema": {"type": "string"}},
                           *queries("at")],
            "responses": {"200": _json(_ref("NoticeTextOut")) | {"description": "the version"},
                          **_errors(404, 422)}}},
        "/consents": {
            "post": {
                "summary": "Record an opt-in or its withdrawal (agent, service; public for a consumer's web_form)",
                "requestBody": _json(_ref("ConsentBody")),
                "responses": {"201": _json(_ref("ConsentOut")) | {"description": "recorded"},
                              **_errors(401, 403, 409, 413, 422)}},
            "get": {
                "summary": "A consumer's consent records, oldest first (analyst, auditor)", "security": bearer,
                "parameters": queries("consumer_email"),
                "responses": {"200": _json(_ref("ConsentListOut")) | {"description": "the records"},
                              **_errors(401, 403, 422)}},
        },
        "/consents/decision": {"get": {
            "summary": "May the consumer's data be used for the purpose now, and on what evidence (analyst, auditor, "
                       "service); audited",
            "security": bearer, "parameters": queries("consumer_email", "purpose"),
            "responses": {"200": _json(_ref("DecisionOut")) | {"description": "the decision"},
                          **_errors(401, 403, 422)}}},
    }
