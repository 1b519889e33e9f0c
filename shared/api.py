"""The HTTP edge shared by API functions: resolver, role checks, body parsing and the error shape of API.md."""

import base64
import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

import orjson
import pydantic
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter  # a resolver, or a Router included in one
from aws_lambda_powertools.event_handler.exceptions import NotFoundError as RouteNotFoundError

from shared.auth import Principal, principal_from_event, require
from shared.config import get_settings
from shared.errors import (
    DomainError,
    PayloadTooLargeError,
    UnauthorizedError,
    UnsupportedMediaTypeError,
    ValidationError,
)
from shared.http import error_body, status_for
from shared.json_input import parse_json
from shared.ledger.envelope import Actor
from shared.models.domain import Role
from shared.models.fields import FieldRuleError, names_staff_channel
from shared.models.labels import label_key
from shared.observability import logger
from shared.text_rules import unsafe_issue

Model = TypeVar("Model", bound=pydantic.BaseModel)
CONSUMER = Actor(type="consumer")  # frozen: one instance serves every submission


def json_text(payload: Any) -> str:
    """A response body as compact JSON, as pydantic writes the models' (UTF-8, no whitespace): orjson, in a tenth of
    json.dumps' time; what orjson refuses (keys that are not text, integers beyond 64 bits) takes the standard
    library, which answers or fails as it always has."""
    try:
        return orjson.dumps(payload).decode()
    except orjson.JSONEncodeError:
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    body = payload.model_dump_json() if isinstance(payload, pydantic.BaseModel) else json_text(payload)
    return Response(status_code=status, content_type="application/json", body=body, headers=headers or {})


def build_resolver() -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(serializer=json_text)  # what a route returns as a dict is written the same way

    @app.exception_handler(DomainError)
    def _domain(error: DomainError) -> Response:
        return json_response(status_for(error), error_body(error.code, error.message, error.details))

    @app.exception_handler(pydantic.ValidationError)
    def _invalid(error: pydantic.ValidationError) -> Response:
        details = validation_details(error)
        first = details[0]
        message = f"Field {first['field']} {first['issue']}." if first["field"] else f"{first['issue']}."
        return json_response(422, error_body("validation_failed", message, details))

    @app.not_found
    def _no_route(error: RouteNotFoundError) -> Response:
        return json_response(404, error_body("route_not_found", "No such endpoint."))

    @app.exception_handler(Exception)
    def _ours(error: Exception) -> Response:
        logger.exception("unhandled error")
        return json_response(500, error_body("internal_error", "Something went wrong on our side."))

    return app


def validation_details(error: pydantic.ValidationError) -> list[dict[str, Any]]:
    details = []
    for item in error.errors(include_url=False, include_input=False):
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, FieldRuleError):
            details.append({"field": cause.field, "issue": cause.issue, "type": "rule"})
            continue
        field = ""
        for part in item["loc"]:
            field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
        issue = "is not an allowed field" if item["type"] == "extra_forbidden" else _lower_first(item["msg"])
        details.append({"field": field, "issue": issue, "type": item["type"]})
    return details


def _lower_first(text: str) -> str:
    text = text.removeprefix("Value error, ")
    return text[:1].lower() + text[1:]


def caller(app: BaseRouter) -> Principal | None:
    settings = get_settings()
    return principal_from_event(app.current_event.raw_event, settings.auth_mode, settings.jwt_groups_claim)


def current_actor(app: BaseRouter) -> Actor:
    """The authenticated caller of a route behind `allow(...)`, as the ledger records actors."""
    return app.context["principal"].actor(app.context["role"])


def allow(*roles: Role) -> Callable[..., Response]:
    """Route middleware: authentication and role come before anything reads the body (API.md)."""

    def middleware(app: BaseRouter, next_middleware: Callable[..., Response]) -> Response:
        principal, role = require(caller(app), roles)
        app.append_context(principal=principal, role=role)
        return next_middleware(app)

    return middleware


def raw_body(app: BaseRouter) -> bytes:
    """The body's bytes; a body API Gateway passed base64-encoded (binary, or not valid UTF-8) is decoded."""
    event = app.current_event
    body = event.body or ""
    data = base64.b64decode(body) if event.is_base64_encoded else body.encode("utf-8", "surrogatepass")
    if len(data) > get_settings().max_body_bytes:
        raise PayloadTooLargeError(f"The body is larger than {get_settings().max_body_bytes} bytes.")
    return data


def json_body(app: BaseRouter) -> Any:
    """The body of every JSON route, checked in one place: declared as JSON, then I-JSON (shared/json_input.py)."""
    return parse_json(json_bytes(app))


def json_bytes(app: APIGatewayHttpResolver) -> bytes:
    """The body's bytes once it is declared as JSON, for a route that parses them itself (as I-JSON)."""
    data = raw_body(app)
    if data:
        require_json_media_type(header(app, "content-type"))
    return data


def header(app: BaseRouter, name: str) -> str | None:
    """One request header, as Powertools' case-insensitive `current_event.headers` answers it (the last spelling
    given wins), without building that mapping each time it is asked (about 3 us even for a single header)."""
    name = name.lower()
    found = None
    for key, value in (app.current_event.get("headers") or {}).items():
        if key.lower() == name:
            found = value
    return found


def require_json_media_type(content_type: str | None) -> None:
    """A body declared as anything but JSON is not read as JSON (415); an undeclared (or blank) one is."""
    if content_type is None or not content_type.strip():
        return
    media_type, _, parameters = content_type.partition(";")
    media_type = media_type.strip().lower()
    charset = next((value.strip().strip('"').lower() for name, _, value in
                    (part.partition("=") for part in parameters.split(";")) if name.strip().lower() == "charset"),
                   "utf-8")
    is_json = media_type == "application/json" or media_type.endswith("+json")
    if is_json and charset in ("utf-8", "utf8"):
        return
    issue = f"charset {charset} is not UTF-8" if is_json else f"{media_type or 'empty'} is not application/json"
    raise UnsupportedMediaTypeError(
        "This endpoint takes a JSON body: send it as `Content-Type: application/json` (UTF-8).",
        [{"field": "Content-Type", "issue": issue}])


def query_params(app: BaseRouter) -> dict[str, str]:
    """The query string, held to the same character rules as bodies (a search's terms are recorded)."""
    params = app.current_event.query_string_parameters or {}
    for name, value in params.items():
        issue = unsafe_issue(name) or unsafe_issue(value)
        if issue:
            raise ValidationError(f"Query parameter {name!r} {issue}.", [{"field": name, "issue": issue}])
    return params


def parse(model: type[Model], data: Any) -> Model:
    if not isinstance(data, dict):
        raise ValidationError("The body must be a JSON object.", [{"field": "body", "issue": "must be an object"}])
    return model.model_validate(data)


def parse_action(data: Any) -> Any:
    """One of the lifecycle actions, chosen by its `action` field."""
    if not isinstance(data, dict):
        raise ValidationError("The body must be a JSON object.", [{"field": "body", "issue": "must be an object"}])
    if isinstance(data.get("action"), str):  # "Acknowledge", "confirm-system": the tag as clients spell it
        data = {**data, "action": label_key(data["action"])}
    try:
        return _action_adapter().validate_python(data)
    except pydantic.ValidationError as error:
        tag = str(data.get("action", ""))
        details = []
        for detail in validation_details(error):
            if detail["type"].startswith("union_tag"):
                detail = {**detail, "field": "action", "issue": "must be one of acknowledge, verify, extend, deny, "
                          "respond, confirm_system"}
            elif detail["field"].startswith(tag + "."):  # pydantic puts the union member's tag first
                detail = {**detail, "field": detail["field"][len(tag) + 1:]}
            details.append(detail)
        raise ValidationError(f"Field {details[0]['field']} {details[0]['issue']}.", details) from None


@lru_cache(maxsize=1)
def _action_adapter() -> pydantic.TypeAdapter[Any]:
    from shared.models.actions import ActionBody

    return pydantic.TypeAdapter(ActionBody)


def require_token(app: BaseRouter, roles: tuple[Role, ...]) -> tuple[Principal, Role]:
    principal = caller(app)
    if principal is None:
        raise UnauthorizedError("This request needs a bearer token.")
    return require(principal, roles)


def consent_caller(app: BaseRouter) -> tuple[Actor, Any]:
    """POST /consents: agents and services with a token; without one, only a consumer's own web-form record (the
    privacy center). Authentication comes before the body: a token-less caller with any other body gets 401."""
    if caller(app) is not None:
        principal, role = require_token(app, (Role.AGENT, Role.SERVICE))
        return principal.actor(role), json_body(app)
    try:
        data = json_body(app)
    except ValidationError:
        data = None
    if not (isinstance(data, dict) and data.get("method") == "web_form" and data.get("initiated_by") == "consumer"):
        raise UnauthorizedError("This request needs a bearer token (only a consumer's own web_form record is public).")
    return CONSUMER, data


def submitter(app: BaseRouter, data: Any) -> Actor:
    """Who submits a request: a consumer, unless the caller sends a token or names a staff channel, in which case
    an agent's token is required (staff entry must be attributable)."""
    staff = caller(app) is not None or (isinstance(data, dict) and names_staff_channel(data.get("channel")))
    return require_token(app, (Role.AGENT,))[0].actor(Role.AGENT) if staff else CONSUMER
