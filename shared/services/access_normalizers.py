"""Adapters from real producers' formats to the access-event envelope (pure: no I/O). docs/access-events.md
maps every field: AWS CloudTrail data events for S3 objects and DynamoDB items (one record, an EventBridge event,
or a log file as delivered to S3), and a generic JSON mapping configured per service."""

import gzip
import ipaddress
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from shared.ledger.canonical import canonical_bytes, sha256_hex
from shared.models.access_events import AccessEventIn, Action, DataLabel
from shared.models.fields import ShortText, Strict
from shared.timefmt import rfc3339

# ---- CloudTrail ------------------------------------------------------------------------------------------------


class PersonalData(BaseModel):
    """What a configured bucket prefix or table holds, and how its consumer identifier is reported."""

    model_config = Strict

    data_categories: Annotated[list[DataLabel], Field(min_length=1, max_length=30)]
    purpose: ShortText
    consumer_as: Literal["id", "email"] = "id"


class S3Location(PersonalData):
    bucket: ShortText
    prefix: str = ""
    consumer_pattern: str  # searched in the object key; its named group `consumer` is the consumer

    @field_validator("consumer_pattern")
    @classmethod
    def _has_consumer_group(cls, value: str) -> str:
        if "consumer" not in re.compile(value).groupindex:
            raise ValueError("needs a named group (?P<consumer>...)")
        return value


class DynamoTable(PersonalData):
    table: ShortText  # the table name (CloudTrail may log a name or an ARN; both match)
    consumer_attribute: ShortText  # the key attribute holding the consumer identifier


class CloudTrailMapping(BaseModel):
    """Which S3 locations and DynamoDB tables hold personal data. Anything else is not personal data: dropped."""

    model_config = Strict

    s3: list[S3Location] = []
    dynamodb: list[DynamoTable] = []
    # Accesses to configured data that name no single consumer (Scan, Query, keys outside the pattern) are
    # dropped, unless this is set: then they are recorded against this consumer id (e.g. "bulk").
    bulk_consumer_id: ShortText | None = None


_S3_ACTIONS = {
    "GetObject": "read", "HeadObject": "read", "GetObjectAttributes": "read", "SelectObjectContent": "read",
    # CloudTrail cannot tell a new object from an overwrite: every put is an update.
    "PutObject": "update", "CompleteMultipartUpload": "update",
    "CopyObject": "create",  # the logged bucket and key are the copy's destination
    "DeleteObject": "delete", "DeleteObjects": "delete",
}
_DYNAMO_ACTIONS = {
    "GetItem": "read", "BatchGetItem": "read", "TransactGetItems": "read", "Query": "read", "Scan": "read",
    "PutItem": "update",  # as PutObject: create or replace, CloudTrail does not say which
    "UpdateItem": "update", "DeleteItem": "delete", "BatchWriteItem": "update", "TransactWriteItems": "update",
}
# Per-item operations inside Batch*/Transact* calls; ConditionCheck reads no data out, so it is not an access.
_ITEM_ACTIONS = {"Get": "read", "Put": "update", "Update": "update", "Delete": "delete", "ConditionCheck": None}
_HUMAN = {"IAMUser", "Root", "IdentityCenterUser", "FederatedUser", "SAMLUser", "WebIdentityUser"}

Touch = tuple[str, PersonalData, str | None, str]  # resource, its config, consumer (None: unknown), action


def cloudtrail_events(record: dict[str, Any], config: CloudTrailMapping) -> list[AccessEventIn]:
    """One event per (resource, consumer, action) a CloudTrail data event touched in configured personal data;
    a single touch keeps the eventID, several get `eventID#<hash of the touch>` (stable across re-deliveries)."""
    source = record.get("eventSource")
    touches = (_s3_touches(record, config) if source == "s3.amazonaws.com"
               else _dynamo_touches(record, config) if source == "dynamodb.amazonaws.com" else [])
    found: dict[tuple[str, str, str, str], PersonalData] = {}
    for resource, data, consumer, action in touches:
        if consumer is not None:
            found.setdefault((resource, data.consumer_as, consumer, action), data)
        elif config.bulk_consumer_id:
            found.setdefault((resource, "id", config.bulk_consumer_id, action), data)
    events = []
    for touch in sorted(found):
        event_id = str(record.get("eventID", ""))
        if len(found) > 1:
            event_id += "#" + sha256_hex(canonical_bytes(list(touch)))[:16]
        events.append(_cloudtrail_event(record, event_id, touch, found[touch]))
    return events


def from_cloudtrail_record(record: dict[str, Any], config: CloudTrailMapping) -> AccessEventIn | None:
    """The access event of a single-item CloudTrail record; None when it touched no configured personal data."""
    events = cloudtrail_events(record, config)
    if len(events) > 1:
        raise ValueError(f"CloudTrail event {record.get('eventID')} touches {len(events)} consumers or "
                         "resources; use cloudtrail_events")
    return events[0] if events else None


def from_eventbridge(event: dict[str, Any], config: CloudTrailMapping) -> list[AccessEventIn]:
    """An EventBridge event carrying a CloudTrail record; other detail types are not ours: []."""
    if event.get("detail-type") != "AWS API Call via CloudTrail" or not isinstance(event.get("detail"), dict):
        return []
    return cloudtrail_events(event["detail"], config)


def from_cloudtrail_log_file(body: bytes, config: CloudTrailMapping) -> list[AccessEventIn]:
    """A CloudTrail log file as delivered to S3: `{"Records": [...]}`, gzipped (as delivered) or plain."""
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    records = json.loads(body).get("Records") or []  # a digest file has no Records: nothing to do
    return [event for record in records for event in cloudtrail_events(record, config)]


def _cloudtrail_event(record: dict[str, Any], event_id: str, touch: tuple[str, str, str, str],
                      data: PersonalData) -> AccessEventIn:
    resource, consumer_as, consumer, action = touch
    identity = record.get("userIdentity") or {}
    source: dict[str, Any] = {"service": record["eventSource"]}
    if _is_ip(record.get("sourceIPAddress")):  # AWS services show a host name instead (e.g. dynamodb.amazonaws.com)
        source["ip"] = record["sourceIPAddress"]
    return AccessEventIn.model_validate({
        "event_id": event_id,
        "occurred_at": record.get("eventTime"),
        "actor": _actor(identity),
        "action": action,
        "source": source,
        "consumer": {consumer_as: consumer},
        "data_categories": data.data_categories,
        "purpose": data.purpose,
        "resource": _fit(resource),
        "outcome": "failure" if record.get("errorCode") else "success",
    })


def _actor(identity: dict[str, Any]) -> dict[str, Any]:
    kind = identity.get("type") or "Unknown"
    role = ((identity.get("sessionContext") or {}).get("sessionIssuer") or {}).get("userName")
    # An Identity Center (SSO) sign-in is a person behind an AWSReservedSSO_* role.
    human = kind in _HUMAN or (kind == "AssumedRole" and str(role or "").startswith("AWSReservedSSO_"))
    actor_id = identity.get("arn") or identity.get("principalId") or identity.get("invokedBy") or f"aws:{kind}"
    actor = {"id": _fit(str(actor_id)), "type": "user" if human else "service"}
    if role:
        actor["role"] = _fit(str(role))
    return actor


def _s3_touches(record: dict[str, Any], config: CloudTrailMapping) -> list[Touch]:
    action = _S3_ACTIONS.get(record.get("eventName", ""))
    if action is None:
        return []
    params = record.get("requestParameters") or {}
    if params.get("bucketName") and params.get("key"):
        objects = [(str(params["bucketName"]), str(params["key"]))]
    else:  # DeleteObjects and friends: the objects are listed as resources
        paths = [str(r.get("ARN", "")).removeprefix("arn:aws:s3:::") for r in record.get("resources") or []
                 if r.get("type") == "AWS::S3::Object"]
        objects = [(path.partition("/")[0], path.partition("/")[2]) for path in paths if "/" in path]
    touches: list[Touch] = []
    for bucket, key in objects:
        location = next((loc for loc in config.s3 if loc.bucket == bucket and key.startswith(loc.prefix)), None)
        if location is not None:
            match = re.search(location.consumer_pattern, key)
            consumer = (match.group("consumer") or None) if match else None
            touches.append((f"arn:aws:s3:::{bucket}/{key}", location, consumer, action))
    return touches


def _dynamo_touches(record: dict[str, Any], config: CloudTrailMapping) -> list[Touch]:
    default = _DYNAMO_ACTIONS.get(record.get("eventName", ""))
    if default is None:
        return []
    params = _lower_keys(record.get("requestParameters") or {})
    items = params.get("requestitems")
    if isinstance(items, list):  # Transact*/Batch* as CloudTrail logs them: one entry per item
        entries = [(_lower_keys(item), _ITEM_ACTIONS.get(item.get("operation"), default)) for item in items
                   if isinstance(item, dict)]
    elif isinstance(items, dict):  # the SDK's shape: {table: {"Keys": [...]}}
        entries = [({"tablename": table, **_lower_keys(spec if isinstance(spec, dict) else {})}, default)
                   for table, spec in items.items()]
    else:
        entries = [(params, default)]
    touches: list[Touch] = []
    for entry, action in entries:
        name = str(entry.get("tablename") or "").rpartition(":table/")[2].split("/")[0]
        table = next((t for t in config.dynamodb if t.table == name), None)
        if table is None or action is None:
            continue
        keys = entry.get("keys") if isinstance(entry.get("keys"), list) else [entry.get("key")]
        for key in keys:
            consumer = _attribute(key, table.consumer_attribute)
            touches.append((_table_arn(record, name), table, consumer, action))
    return touches


def _attribute(key: Any, name: str) -> str | None:
    """A key attribute's value: CloudTrail logs it plain; the typed form {"S": "..."} is accepted too."""
    value = key.get(name) if isinstance(key, dict) else None
    if isinstance(value, dict) and len(value) == 1:
        value = next(iter(value.values()))
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) and value != "" else None


def _table_arn(record: dict[str, Any], name: str) -> str:
    for resource in record.get("resources") or []:
        arn = str(resource.get("ARN", ""))
        if resource.get("type") == "AWS::DynamoDB::Table" and arn.endswith(f":table/{name}"):
            return arn
    account = record.get("recipientAccountId") or (record.get("userIdentity") or {}).get("accountId", "")
    return f"arn:aws:dynamodb:{record.get('awsRegion', '')}:{account}:table/{name}"


def _lower_keys(data: dict[str, Any]) -> dict[str, Any]:
    # CloudTrail's DynamoDB entries mix `tableName`/`TableName` and `key`/`Key` within one record.
    return {str(k).lower(): v for k, v in data.items()}


def _is_ip(value: Any) -> bool:
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return True


def _fit(text: str, limit: int = 200) -> str:
    """Envelope texts are at most 200 characters; long S3 keys are cut, marked with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- Generic JSON mapping --------------------------------------------------------------------------------------

Target = Literal["event_id", "occurred_at", "actor.id", "actor.type", "actor.role", "action", "source.ip",
                 "consumer.email", "consumer.id", "data_categories", "purpose", "resource", "request_id", "outcome"]
REQUIRED_TARGETS = ("event_id", "occurred_at", "actor.id", "actor.type", "action", "data_categories", "purpose")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SourcePath = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Const(BaseModel):
    model_config = Strict

    const: str | list[str]


class JsonMapping(BaseModel):
    """A producer's JSON event -> the envelope: each target field from a source path (`user.id`, `$.user.id`,
    `items.0.id`) or a constant ({"const": ...}); `source.service` is always `service`."""

    model_config = Strict

    service: ShortText
    fields: dict[Target, SourcePath | Const]
    actions: dict[str, Action] = {}  # the producer's action names -> ours, e.g. {"VIEW": "read"}
    time_format: Literal["rfc3339", "epoch_seconds", "epoch_millis"] = "rfc3339"

    @model_validator(mode="after")
    def _complete(self) -> "JsonMapping":
        missing = [target for target in REQUIRED_TARGETS if target not in self.fields]
        if "consumer.email" not in self.fields and "consumer.id" not in self.fields:
            missing.append("consumer.email or consumer.id")
        if missing:
            raise ValueError(f"fields must map {', '.join(missing)}")
        for spec in self.fields.values():
            if isinstance(spec, str) and "" in _segments(spec):
                raise ValueError(f"path {spec!r} has an empty segment")
        return self


def from_json_mapping(record: dict[str, Any], mapping: JsonMapping) -> dict[str, Any]:
    """An AccessEventIn-shaped dict for validate_batch (which checks the values). ValueError when a required
    source is absent, naming the target field and its path."""
    out: dict[str, Any] = {"source": {"service": mapping.service}}
    for target, spec in mapping.fields.items():
        value = spec.const if isinstance(spec, Const) else _resolve(record, spec)
        if value is None:
            if target in REQUIRED_TARGETS:
                raise ValueError(f"{target}: the record has nothing at path {spec!r}")
            continue
        section, _, name = target.rpartition(".")
        converted = _convert(target, value, mapping, spec)
        (out.setdefault(section, {}) if section else out)[name] = converted
    if "consumer" not in out:
        paths = [f"{t} path {mapping.fields[t]!r}" for t in ("consumer.email", "consumer.id") if t in mapping.fields]
        raise ValueError(f"consumer: the record has nothing at {' nor '.join(paths)}")
    return out


def _segments(path: str) -> list[str]:
    path = path.removeprefix("$").removeprefix(".")  # `$.a.b` and `a.b` are the same path
    return path.split(".") if path else []


def _resolve(record: Any, path: str) -> Any:
    value = record
    for segment in _segments(path):
        if isinstance(value, dict):
            value = value.get(segment)
        elif isinstance(value, list) and segment.isdigit() and int(segment) < len(value):
            value = value[int(segment)]
        else:
            return None
    return value


def _convert(target: str, value: Any, mapping: JsonMapping, spec: Any) -> Any:
    if target == "occurred_at":
        return _time(value, mapping.time_format, spec)
    if target == "action" and isinstance(value, str):
        return mapping.actions.get(value, value)  # unmapped names pass through; validation then names them
    if target == "data_categories" and isinstance(value, str):
        return [value]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # numeric ids become text
    return value


def _time(value: Any, time_format: str, spec: Any) -> Any:
    if time_format == "rfc3339":
        return value
    number: int | float
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = value
    else:
        raise ValueError(f"occurred_at: {value!r} at path {spec!r} is not {time_format.replace('_', ' ')}")
    try:
        delta = timedelta(milliseconds=number) if time_format == "epoch_millis" else timedelta(seconds=number)
        return rfc3339(_EPOCH + delta)
    except OverflowError:
        raise ValueError(f"occurred_at: {value!r} at path {spec!r} is out of range") from None
