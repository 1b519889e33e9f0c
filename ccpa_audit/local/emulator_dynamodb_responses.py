"""Lean DynamoDB response bodies for moto 5.2.5.

moto serializes every successful DynamoDB answer by walking the operation's output shape and asking an attribute
picker, for every member of every structure (each attribute value of each item included), up to six alias
providers where the value might hide. Under the local soak that was about a sixth of the emulator's CPU. DynamoDB's
results reach the serializer as plain dicts (`dynamo_to_dict`): for a dict that holds none of the other names
moto's providers would try for a member (its shape's name, a prefix-stripped or snake_case form), the value moto
finds is the one under the member's own name, and keys that are no member are never read. Here each operation's
output shape is compiled once into plain functions that do what moto's JSON serializer does with such values:
members in the shape's order, None left out, blobs base64, numbers cast, strings as they are. Anything else (an
error, a value that is not a plain dict, a dict holding one of those alias names, a None inside a list or map, a
shape with timestamps or renamed members, pretty printing) goes to moto's serializer unchanged, so the body is
byte for byte moto's (tests/local compares the two on every call of a workload).
"""

import base64
import functools
import json
from collections.abc import Callable
from typing import Any

Encoder = Callable[[Any], Any]


class _Unsupported(Exception):
    """A value or shape this module leaves to moto's own serializer."""


def apply() -> None:
    from moto import settings
    from moto.core.responses import ActionResult
    from moto.dynamodb.responses import DynamoHandler, DynamoResult

    original = DynamoHandler.serialized
    plain_results = (ActionResult, DynamoResult)  # PaginatedResult and others change the result first

    @functools.wraps(original)
    def serialized(self: Any, action_result: Any) -> Any:
        result = action_result.result
        if type(action_result) not in plain_results or isinstance(result, Exception) or settings.PRETTIFY_RESPONSES:
            return original(self, action_result)
        lean = _operation(self._get_action(), self.headers.get("Content-Type", ""))
        if lean is None:
            return original(self, action_result)
        status, content_type, encode = lean
        try:
            body = json.dumps(encode(result))
        except _Unsupported:
            return original(self, action_result)
        headers = {"Content-Type": content_type}
        headers.update(self.response_headers)
        return status, headers, body

    serialized.moto_serialized = original  # type: ignore[attr-defined]  for the tests' side-by-side comparison
    DynamoHandler.serialized = serialized  # type: ignore[method-assign]


@functools.lru_cache(maxsize=256)
def _operation(action: str, request_content_type: str) -> tuple[int, str, Encoder] | None:
    """(status, content type, body encoder) for one operation answered in AWS JSON, or None for moto's path."""
    from moto.core.request import determine_request_protocol
    from moto.core.serialize import JSONSerializer, get_serializer_class
    from moto.core.utils import get_service_model

    service_model = get_service_model("dynamodb")
    try:
        operation = service_model.operation_model(action)
        protocol = determine_request_protocol(service_model, request_content_type)
    except Exception:  # noqa: BLE001  unknown operation or protocol: moto's path reports it as moto does
        return None
    if protocol != "json" or get_serializer_class("dynamodb", protocol) is not JSONSerializer:
        return None
    shape = operation.output_shape
    try:
        encode = _encoder(shape, {}) if shape is not None else (lambda _: {})
    except _Unsupported:
        return None
    version = service_model.metadata.get("jsonVersion", "1.0")
    top = _top_level(encode)
    return operation.http.get("responseCode", 200), f"application/x-amz-json-{version}", top


def _top_level(encode: Encoder) -> Encoder:
    return lambda result: {} if result is None else encode(result)


def _encoder(shape: Any, built: dict[str, Encoder | None]) -> Encoder:
    """One function per shape name (names are unique in a service model); recursive shapes refer back by name."""
    name = shape.name
    if name in built:
        ready = built[name]
        return ready if ready is not None else (lambda value: built[name](value))  # type: ignore[misc]
    built[name] = None
    built[name] = _build(shape, built)
    return built[name]  # type: ignore[return-value]


def _build(shape: Any, built: dict[str, Encoder | None]) -> Encoder:
    kind = shape.type_name
    if kind == "structure":
        if shape.is_document_type:
            return lambda value: value
        for key, member in shape.members.items():
            if member.serialization.get("name", key) != key:
                raise _Unsupported  # moto would look the value up under another name too
        return _structure([(key, _encoder(member, built)) for key, member in shape.members.items()],
                          _alias_names(shape))
    if kind == "list":
        return _list(_encoder(shape.member, built))
    if kind == "map":
        return _map(_encoder(shape.value, built))
    if kind == "string":
        return _string
    if kind == "blob":
        return _blob
    if kind in ("integer", "long"):
        return int
    if kind in ("float", "double"):
        return float
    if kind == "boolean":
        return lambda value: value
    raise _Unsupported  # timestamps and anything newer: moto's own serializer


def _alias_names(shape: Any) -> frozenset[str]:
    """The keys other than its members' own names that moto's attribute picker (moto.core.serialize,
    DEFAULT_ALIAS_PROVIDERS, each name also in snake_case) may read from a dict standing for this structure."""
    from botocore import xform_name

    members = shape.members
    tried: list[str] = []
    for key, member in members.items():
        if member.type_name in ("list", "structure") and member.name not in members and key != member.name:
            tried.append(member.name)  # ShapeNameAlias, tried before the key itself
        if key.lower().startswith(shape.name.lower()) and key[len(shape.name):] not in members:
            tried.append(key[len(shape.name):])  # ShapePrefixAlias
        if key.lower().startswith("dict"):
            tried.append(key[len("dict"):])  # ClassPrefixAlias, for a dict
        tried.append(key)
    return frozenset(tried + [xform_name(name) for name in tried]) - set(members)


def _structure(members: list[tuple[str, Encoder]], aliases: frozenset[str]) -> Encoder:
    def encode(value: Any) -> dict[str, Any]:
        if type(value) is not dict or not aliases.isdisjoint(value):
            raise _Unsupported
        out = {}
        for key, member in members:
            found = value.get(key)
            if found is not None:
                out[key] = member(found)
        return out

    return encode


def _list(member: Encoder) -> Encoder:
    def encode(value: Any) -> list[Any]:
        if type(value) is not list or None in value:
            raise _Unsupported
        return [member(item) for item in value]

    return encode


def _map(member: Encoder) -> Encoder:
    def encode(value: Any) -> dict[str, Any]:
        if type(value) is not dict:
            raise _Unsupported
        out = {}
        for key, item in value.items():
            if item is None:
                raise _Unsupported
            out[key] = member(item)
        return out

    return encode


def _string(value: Any) -> str:
    if type(value) is not str:
        raise _Unsupported  # enums and other objects: moto's conversions
    return value


def _blob(value: Any) -> str:
    if isinstance(value, str):
        value = value.encode("utf-8")
    elif not isinstance(value, bytes):
        raise _Unsupported
    return base64.b64encode(value).strip().decode("utf-8")
