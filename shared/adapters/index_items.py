"""DynamoDB item shapes of the index table (single table; see the GSIs in template.yaml).

Keys: a request's items share `pk = REQ#<id>` (META, CLOCK#<name>, E#<seq>), so one Query reads a request with
its timeline. Standalone events use `pk = EVT#<event_id>`. GSI keys are only set where a lookup needs them:
`ByConsumer` (HMAC tag), `ByKind` (request type+status / event type), `ByMonth` (sharded month), `OpenClocks`
(sparse: unsatisfied clocks), `Unsealed` (sparse: events not yet in the Merkle log), `ByEventId`, and for the
access log `ByActor`, `ByAction` and `ByService` (sparse: only access events, reads of the ledger and exports).
"""

import hashlib
from datetime import date, datetime
from typing import Any

from shared.cursors import position
from shared.models.alerts import ClockAlert
from shared.models.domain import Channel, ClockName, RequestStatus, RequestType
from shared.models.records import ClockRecord, DownstreamState, RequestRecord, StoredEvent
from shared.timefmt import parse_rfc3339, rfc3339

META = "META"


def request_pk(request_id: str) -> str:
    return f"REQ#{request_id}"


def shard_of(value: str, shards: int) -> int:
    return int(hashlib.sha256(value.encode()).hexdigest()[:8], 16) % shards



def request_kind_pk(request_type: str, status: str) -> str:
    return f"R#{request_type}#{status}"


def request_month_pk(moment: datetime, shard: int) -> str:
    return f"RM#{rfc3339(moment)[:7]}#{shard}"


def consumer_pk(tag: str) -> str:
    return f"C#{tag}"


def open_clocks_pk(shard: int) -> str:
    return f"OPEN#{shard}"


def unsealed_pk(shard: int) -> str:
    return f"U#{shard}"


def request_item(record: RequestRecord, shards: int) -> dict[str, Any]:
    pos = position(record.received_at, record.request_id)
    item: dict[str, Any] = {
        "pk": request_pk(record.request_id),
        "sk": META,
        "entity": "request",
        **request_fields(record),
        "kind_pk": request_kind_pk(record.type.value, record.status.value),
        "kind_sk": pos,
        "month_pk": request_month_pk(record.received_at, shard_of(record.request_id, shards)),
        "month_sk": pos,
    }
    if record.consumer_tag:
        item.update(consumer_pk=consumer_pk(record.consumer_tag), consumer_sk="R#" + pos)
    return item


def request_fields(record: RequestRecord) -> dict[str, Any]:
    """The request's own attributes, without the keys that place it in the table's indexes (`to_request` reads
    them back)."""
    item: dict[str, Any] = {
        **record.identity_fields(),
        "chain_seq": record.chain_seq,
        "chain_head": record.chain_head,
        "clocks": {name.value: _clock_map(clock) for name, clock in record.clocks.items()},
        "intake_key": record.intake_key,
        "intake_version": record.intake_version,
    }
    if record.consumer_tag:
        item["consumer_tag"] = record.consumer_tag
    for name in ("response_nature", "denial_basis", "scope"):
        if getattr(record, name) is not None:
            item[name] = getattr(record, name)
    if record.response_date is not None:
        item["response_date"] = rfc3339(record.response_date)
    if record.fanout is not None:
        item["fanout"] = record.fanout
    if record.downstream:
        item["downstream"] = {system: _downstream_map(state) for system, state in record.downstream.items()}
    return item


def _downstream_map(state: DownstreamState) -> dict[str, Any]:
    out: dict[str, Any] = {"status": state.status, "attempts": state.attempts}
    for name in ("connector", "instruction_id", "last_error", "outcome_for"):
        if getattr(state, name) is not None:
            out[name] = getattr(state, name)
    for name in ("instruction_sent_at", "confirmed_at"):
        if getattr(state, name) is not None:
            out[name] = rfc3339(getattr(state, name))
    return out


def _downstream_state(value: dict[str, Any]) -> DownstreamState:
    times = {name: parse_rfc3339(value[name]) for name in ("instruction_sent_at", "confirmed_at") if value.get(name)}
    return DownstreamState(
        status=value["status"],
        attempts=int(value.get("attempts", 0)),
        connector=value.get("connector"),
        instruction_id=value.get("instruction_id"),
        last_error=value.get("last_error"),
        outcome_for=value.get("outcome_for"),
        **times,
    )


def _clock_map(clock: ClockRecord) -> dict[str, Any]:
    out: dict[str, Any] = {"due": clock.due.isoformat(), "extended": clock.extended}
    if clock.satisfied_at is not None:
        out["satisfied_at"] = rfc3339(clock.satisfied_at)
    if clock.alerted is not None:
        out["alerted"] = clock.alerted
    return out


def clock_items(record: RequestRecord, shards: int) -> list[dict[str, Any]]:
    """One item per clock; only unsatisfied ones carry the sparse OpenClocks keys the sweeper reads."""
    items = []
    for name, clock in record.clocks.items():
        item: dict[str, Any] = {
            "pk": request_pk(record.request_id),
            "sk": f"CLOCK#{name.value}",
            "entity": "clock",
            "request_id": record.request_id,
            "request_type": record.type.value,
            "clock": name.value,
            **_clock_map(clock),
        }
        if clock.satisfied_at is None:
            item["open_pk"] = open_clocks_pk(shard_of(record.request_id, shards))
            item["open_sk"] = f"{clock.due.isoformat()}#{record.request_id}#{name.value}"
            # A copy of the request, so the sweeper records a transition without reading the request again.
            item["request"] = request_fields(record)
        items.append(item)
    return items


def event_item(event: StoredEvent, shards: int) -> dict[str, Any]:
    pos = position(event.recorded_at, event.event_id)
    if event.request_id is not None and event.seq is not None:
        pk, sk = request_pk(event.request_id), f"E#{event.seq:08d}"
    else:
        pk, sk = f"EVT#{event.event_id}", f"E#{event.event_id}"
    shard = shard_of(event.event_id, shards)
    item: dict[str, Any] = {
        "pk": pk,
        "sk": sk,
        "entity": "event",
        "event_id": event.event_id,
        "type": event.type,
        "event_hash": event.event_hash,
        "occurred_at": rfc3339(event.occurred_at),
        "recorded_at": rfc3339(event.recorded_at),
        "record_type": event.record_type,
        "actor_type": event.actor_type,
        "s3_key": event.s3_key,
        "s3_version_id": event.s3_version_id,
        "kind_pk": f"T#{event.type}",
        "kind_sk": pos,
        "month_pk": f"EM#{rfc3339(event.recorded_at)[:7]}#{shard}",
        "month_sk": pos,
        "unsealed_pk": unsealed_pk(shard),
        "unsealed_sk": pos,
    }
    optional = {
        "request_id": event.request_id,
        "seq": event.seq,
        "prev_event_hash": event.prev_event_hash,
        "actor_role": event.actor_role,
    }
    item.update({key: value for key, value in optional.items() if value is not None})
    if event.consumer_tag:
        item.update(consumer_tag=event.consumer_tag, consumer_pk=consumer_pk(event.consumer_tag))
        item["consumer_sk"] = "E#" + pos
    if event.access_action and event.access_service and event.actor_tag:
        month = rfc3339(event.recorded_at)[:7]
        item.update(actor_tag=event.actor_tag, access_action=event.access_action, access_service=event.access_service,
                    actor_pk=actor_pk(event.actor_tag), actor_sk=pos,
                    action_pk=action_pk(event.access_action, month), action_sk=pos,
                    service_pk=service_pk(event.access_service, month), service_sk=pos)
    return item


def actor_pk(tag: str) -> str:
    return f"AA#{tag}"


def action_pk(action: str, month: str) -> str:
    """Month-bucketed: every service reads, so one partition per action would run hot."""
    return f"AX#{action}#{month}"


def service_pk(service: str, month: str) -> str:
    return f"AS#{service}#{month}"


def to_request(item: dict[str, Any]) -> RequestRecord:
    clocks = {
        ClockName(name): ClockRecord(
            due=date.fromisoformat(value["due"]),
            satisfied_at=parse_rfc3339(value["satisfied_at"]) if value.get("satisfied_at") else None,
            extended=bool(value.get("extended", False)),
            alerted=value.get("alerted"),
        )
        for name, value in item.get("clocks", {}).items()
    }
    return RequestRecord(
        request_id=item["request_id"],
        type=RequestType(item["type"]),
        channel=Channel(item["channel"]),
        status=RequestStatus(item["status"]),
        received_at=parse_rfc3339(item["received_at"]),
        recorded_at=parse_rfc3339(item["recorded_at"]),
        consumer_tag=item.get("consumer_tag"),
        clocks=clocks,
        chain_seq=int(item["chain_seq"]),
        chain_head=item["chain_head"],
        response_date=parse_rfc3339(item["response_date"]) if item.get("response_date") else None,
        response_nature=item.get("response_nature"),
        denial_basis=item.get("denial_basis"),
        scope=item.get("scope"),
        intake_key=item["intake_key"],
        intake_version=item["intake_version"],
        fanout=item.get("fanout"),
        downstream={system: _downstream_state(value) for system, value in item.get("downstream", {}).items()},
    )


def to_event(item: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        event_id=item["event_id"],
        type=item["type"],
        request_id=item.get("request_id"),
        seq=int(item["seq"]) if item.get("seq") is not None else None,
        event_hash=item["event_hash"],
        prev_event_hash=item.get("prev_event_hash"),
        consumer_tag=item.get("consumer_tag"),
        occurred_at=parse_rfc3339(item["occurred_at"]),
        recorded_at=parse_rfc3339(item["recorded_at"]),
        record_type=item["record_type"],
        actor_type=item["actor_type"],
        actor_role=item.get("actor_role"),
        s3_key=item["s3_key"],
        s3_version_id=item["s3_version_id"],
        leaf_index=int(item["leaf_index"]) if item.get("leaf_index") is not None else None,
        sealed_size=int(item["sealed_size"]) if item.get("sealed_size") is not None else None,
        inclusion_path=bytes(item["inclusion_path"]) if item.get("inclusion_path") is not None else None,
        actor_tag=item.get("actor_tag"),
        access_action=item.get("access_action"),
        access_service=item.get("access_service"),
    )


OUTBOX_PK = "ALERT#OUTBOX"  # one partition: an item lives only from its event's commit until it is published


def outbox_item(alert: ClockAlert) -> dict[str, Any]:
    """A pending alert (ids, dates and counts only, like the alert itself)."""
    return {"pk": OUTBOX_PK, "sk": alert.alert_id, "entity": "alert_outbox", "alert": alert.model_dump_json()}
