"""The ledger `details` of an access event: an OCSF 1.5.0 API Activity (6003) or Datastore Activity (6005) event
that validates against the published 1.5.0 JSON schema (tests check every shape we write).

Class rule: Datastore Activity when `resource` names a datastore (an S3 or DynamoDB ARN, or an `s3://`,
`dynamodb://` or `db://` URI); API Activity otherwise. Only attributes 1.5.0 defines for the class without
optional profiles are used, plus the date/time profile (declared in `metadata.profiles`) for the `*_dt` texts.
What OCSF has no attribute for (the consumer, data labels and categories, purpose, request, the producer's event
id and the actor's role) is under `unmapped`. The body holds the raw consumer identifier, so it lives only inside
the encrypted, locked event object (DESIGN 3). Integers and strings only: canonical JSON forbids floats.
"""

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from shared.ledger.canonical import canonical_bytes, canonical_json_bytes, sha256_hex
from shared.models.access_events import AccessEventIn
from shared.models.data_categories import Categorized, categorize
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
    return producer_keys([event], service)[0]


def producer_keys(events: list[AccessEventIn], service: str) -> list[str]:
    """producer_key of each event. The canonical list's first three items recur within a batch, so their bytes
    are written once per source service: canonical bytes of a list are its items' joined by commas."""
    prefixes: dict[str, bytes] = {}
    keys = []
    for event in events:
        prefix = prefixes.get(event.source.service)
        if prefix is None:
            prefix = prefixes[event.source.service] = canonical_bytes(
                [_KEY_LABEL, service, event.source.service])[:-1] + b","
        keys.append(sha256_hex(prefix + canonical_json_bytes(event.event_id) + b"]"))
    return keys


_KEY_LABEL = "ccpa-audit/access-event/v1"


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


def ocsf_details(event: AccessEventIn, received_at: datetime, category_table: dict[str, str]) -> dict[str, Any]:
    """The stored body of a validated event: ocsf_body of its JSON form (what its stream record carries)."""
    return ocsf_body(event.model_dump(mode="json", exclude_none=True), event.occurred_at, ocsf_metadata(received_at),
                     categorize(list(event.data_categories), category_table))


def ocsf_metadata(received_at: datetime) -> dict[str, Any]:
    """The body's `metadata`: the same for every event received at once, so a batch builds it once."""
    return {
        "product": {"name": PRODUCT},
        "version": OCSF_VERSION,
        "profiles": ["datetime"],
        "logged_time": _epoch_ms(received_at),  # when we received it
        "logged_time_dt": rfc3339(received_at),
    }


def ocsf_body(event: dict[str, Any], occurred_at: datetime, metadata: dict[str, Any],
              labels: Categorized) -> dict[str, Any]:
    """The stored body of an event in its JSON form (AccessEventIn's fields, None ones left out), `occurred_at`
    parsed, its labels categorized: OCSF names and types where OCSF has them (times as integer epoch ms plus
    `*_dt` text). The parts it is given are shared between bodies, never changed here."""
    actor, source, action, resource = event["actor"], event["source"], event["action"], event.get("resource")
    store = datastore(resource)
    failed = event.get("outcome") == "failure"
    # OCSF 1.5.0 user types: 1 User, 99 Other (its `type` names it); Service (4) exists only from 1.6.0.
    user = {"uid": actor["id"], "type": "User", "type_id": 1} if actor["type"] == "user" else \
        {"uid": actor["id"], "type": "Service", "type_id": 99}
    src: dict[str, Any] = {"svc_name": source["service"]}
    if source.get("ip"):
        src["ip"] = source["ip"]
    unmapped: dict[str, Any] = {
        "producer_event_id": event["event_id"],
        "consumer": event["consumer"],
        "data_labels": event["data_categories"],
        "data_categories": labels.categories,
        "unmapped_labels": labels.unmapped,
        "purpose": event["purpose"],
    }
    if actor.get("role"):
        unmapped["actor_role"] = actor["role"]
    if event.get("request_id"):
        unmapped["request_id"] = event["request_id"]
    details: dict[str, Any] = {
        **_classification(DATASTORE_ACTIVITY if store else API_ACTIVITY, action),
        "time": _epoch_ms(occurred_at),  # OCSF timestamp_t: integer milliseconds
        "time_dt": rfc3339(occurred_at),  # the date/time profile
        "status_id": 2 if failed else 1,
        "status": "Failure" if failed else "Success",
        "actor": {"user": user},
        "src_endpoint": src,
        "metadata": metadata,
        "unmapped": unmapped,
    }
    if store:
        details.update(store)
        if resource:
            unmapped["resource"] = resource  # 6005 has no `resources` (nor `api`) without the cloud profile
    else:
        details["api"] = {"operation": action, "service": {"name": source["service"]}}
        if resource:
            details["resources"] = [{"uid": resource}]
    return details


@lru_cache(maxsize=64)  # two classes times six actions: the same fields for every event of a kind
def _classification(class_uid: int, action: str) -> dict[str, Any]:
    """The body's class, activity, type and severity fields (copied into each body)."""
    activity_id, activity_name = _ACTIVITIES[class_uid].get(action, (99, action.capitalize()))
    class_name = _CLASS_NAMES[class_uid]
    return {"class_uid": class_uid, "class_name": class_name, "category_uid": 6,
            "category_name": "Application Activity", "activity_id": activity_id, "activity_name": activity_name,
            "type_uid": class_uid * 100 + activity_id, "type_name": f"{class_name}: {activity_name}",
            "severity_id": 1, "severity": "Informational"}


def access_view(details: dict[str, Any]) -> dict[str, Any]:
    """The search view of a stored body, of either layout: this one, or the first (our fields at the top level,
    `metadata.original_uid`, `actor.user.role`), which locked objects keep for their whole retention."""
    user = details["actor"]["user"]
    mine = details.get("unmapped") or details
    role = mine.get("actor_role", user.get("role"))
    categories = mine["data_categories"]
    return {
        "actor": {"id": user["uid"], "type": "user" if user["type"] == "User" else "service",
                  **({"role": role} if role else {})},
        "producer_event_id": mine.get("producer_event_id") or details["metadata"].get("original_uid"),
        "consumer": mine["consumer"],
        "data_categories": categories,
        "data_labels": mine.get("data_labels", categories),
        "unmapped_labels": mine.get("unmapped_labels", []),
        "purpose": mine["purpose"],
        "outcome": details["status"].lower(),
        "ip": details["src_endpoint"].get("ip"),
        "resource": mine.get("resource") or (details.get("resources") or [{}])[0].get("uid"),
        "request_id": mine.get("request_id"),
        "ocsf_class_uid": details["class_uid"],
        "ocsf_type_uid": details["type_uid"],
    }


def _epoch_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)  # exact integer arithmetic, no float on the way
