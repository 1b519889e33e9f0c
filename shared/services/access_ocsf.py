"""The ledger `details` of an access event: an OCSF 1.5 API Activity (6003) or Datastore Activity (6005) body.

Class rule: Datastore Activity when `resource` names a datastore (an S3 or DynamoDB ARN, or an `s3://`,
`dynamodb://` or `db://` URI); API Activity otherwise. OCSF has no field for the consumer, categories, purpose or
request: they are our own top-level fields. The body holds the raw consumer identifier, so it lives only inside
the encrypted, locked event object (DESIGN 3). Integers and strings only: canonical JSON forbids floats.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.ledger.canonical import canonical_bytes, sha256_hex
from shared.models.access_events import AccessEventIn
from shared.timefmt import rfc3339

OCSF_VERSION = "1.5.0"
PRODUCT = "ccpa-audit"
API_ACTIVITY, DATASTORE_ACTIVITY = 6003, 6005

# activity ids differ per class; export and share have none in either, so they are 99 Other with our name.
_ACTIVITIES = {
    API_ACTIVITY: {"create": (1, "Create"), "read": (2, "Read"), "update": (3, "Update"), "delete": (4, "Delete")},
    DATASTORE_ACTIVITY: {"read": (1, "Read"), "update": (2, "Update"), "create": (6, "Create"),
                         "delete": (7, "Delete")},
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CLASS_NAMES = {API_ACTIVITY: "API Activity", DATASTORE_ACTIVITY: "Datastore Activity"}


def producer_key(event: AccessEventIn, service: str) -> str:
    """The dedupe key: hex SHA-256 over (producer, source service, producer event id). `service` is the
    authenticated producer (the caller's principal id): one producer can neither collide with another's ids nor
    pre-empt them, and a forwarder posting for several source services keeps their ids apart too."""
    return sha256_hex(canonical_bytes(["ccpa-audit/access-event/v1", service, event.source.service,
                                       event.event_id]))


def datastore(resource: str | None) -> dict[str, Any] | None:
    """The OCSF datastore objects a resource names, or None when it is not a datastore."""
    if not resource:
        return None
    if resource.startswith(("arn:aws:s3:::", "s3://")):
        bucket = resource.removeprefix("arn:aws:s3:::").removeprefix("s3://").split("/", 1)[0]
        return {"type_id": 2, "type": "Databucket", "databucket": {"name": bucket, "type_id": 1, "type": "S3"}}
    if resource.startswith("arn:aws:dynamodb:") and ":table/" in resource:
        prefix, _, rest = resource.partition(":table/")
        name = rest.split("/", 1)[0]  # drop /index/... or /stream/...
        return {"type_id": 3, "type": "Table", "table": {"name": name, "uid": f"{prefix}:table/{name}"}}
    if resource.startswith("dynamodb://"):
        return {"type_id": 3, "type": "Table", "table": {"name": resource.removeprefix("dynamodb://")}}
    if resource.startswith("db://"):
        database, _, table = resource.removeprefix("db://").partition("/")
        found: dict[str, Any] = {"database": {"name": database, "type_id": 0, "type": "Unknown"}}
        if table:
            return {"type_id": 3, "type": "Table", "table": {"name": table}, **found}
        return {"type_id": 1, "type": "Database", **found}
    return None


def ocsf_details(event: AccessEventIn, received_at: datetime) -> dict[str, Any]:
    """The stored body: OCSF names and types where OCSF has them (times as integer epoch ms plus `*_dt` text)."""
    store = datastore(event.resource)
    class_uid = DATASTORE_ACTIVITY if store else API_ACTIVITY
    activity_id, activity_name = _ACTIVITIES[class_uid].get(event.action, (99, event.action.capitalize()))
    failed = event.outcome == "failure"
    user: dict[str, Any] = {"uid": event.actor.id, "type": "User" if event.actor.type == "user" else "Service",
                            "type_id": 1 if event.actor.type == "user" else 4}
    if event.actor.role:
        user["role"] = event.actor.role  # not an OCSF user attribute: ours, like consumer and purpose
    src: dict[str, Any] = {"svc_name": event.source.service}
    if event.source.ip:
        src["ip"] = event.source.ip
    details: dict[str, Any] = {
        "class_uid": class_uid,
        "class_name": _CLASS_NAMES[class_uid],
        "category_uid": 6,
        "category_name": "Application Activity",
        "activity_id": activity_id,
        "activity_name": activity_name,
        "type_uid": class_uid * 100 + activity_id,
        "type_name": f"{_CLASS_NAMES[class_uid]}: {activity_name}",
        "severity_id": 1,
        "severity": "Informational",
        "time": _epoch_ms(event.occurred_at),  # OCSF timestamp_t: integer milliseconds
        "time_dt": rfc3339(event.occurred_at),  # OCSF date/time profile
        "status_id": 2 if failed else 1,
        "status": "Failure" if failed else "Success",
        "actor": {"user": user},
        "src_endpoint": src,
        "api": {"operation": event.action, "service": {"name": event.source.service}},
        "metadata": {
            "product": {"name": PRODUCT},
            "version": OCSF_VERSION,
            "original_uid": event.event_id,
            "logged_time": _epoch_ms(received_at),  # when we received it
            "logged_time_dt": rfc3339(received_at),
        },
        "consumer": event.consumer.model_dump(exclude_none=True),
        "data_categories": list(event.data_categories),
        "purpose": event.purpose,
    }
    if event.resource:
        details["resources"] = [{"uid": event.resource}]
    if store:
        details.update(store)
    if event.request_id:
        details["request_id"] = event.request_id
    return details


def _epoch_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)  # exact integer arithmetic, no float on the way
