"""DynamoScopeIndex: the Queries behind export scopes and yearly reports. Each selection reads the partitions of the
narrowest scope given (consumer tag, then type, then sharded months) between the time bounds, so its cost follows
what it returns, not the size of the table. Nothing here scans."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from shared.adapters import index_items as items
from shared.adapters.dynamo_ledger_index import DEFAULT_LOOKBACK, FUTURE_MARGIN, LATEST_READ
from shared.adapters.merged_query import MergedQuery, Partition, plain
from shared.models.domain import RequestStatus
from shared.models.records import RequestRecord, StoredEvent
from shared.observability import tracer
from shared.timefmt import rfc3339

HIGHEST = "\uffff"


class DynamoScopeIndex:
    def __init__(self, table: str, client: Any, shards: int = 4) -> None:
        self._table = table
        self._db = client
        self._shards = shards

    @tracer.capture_method(capture_response=False)
    def requests(self, *, consumer_tag: str | None = None, request_type: str | None = None,
                 received_from: datetime | None = None, received_to: datetime | None = None) -> list[RequestRecord]:
        lo, hi = _bounds(received_from, received_to)
        typed = [Partition("ByKind", "kind_pk", items.request_kind_pk(request_type, status.value), "kind_sk")
                 for status in RequestStatus] if request_type else None
        partitions, filters = self._leading("R", consumer_tag, request_type, typed, received_from, received_to)
        found = [items.to_request(item) for part in partitions for item in self._query(part, lo, hi, filters)]
        return sorted(found, key=lambda record: (record.received_at, record.request_id))

    @tracer.capture_method(capture_response=False)
    def events(self, *, consumer_tag: str | None = None, event_type: str | None = None,
               recorded_from: datetime | None = None, recorded_to: datetime | None = None,
               standalone_only: bool = False) -> list[StoredEvent]:
        lo, hi = _bounds(recorded_from, recorded_to)
        typed = [Partition("ByKind", "kind_pk", f"T#{event_type}", "kind_sk")] if event_type else None
        partitions, filters = self._leading("E", consumer_tag, event_type, typed, recorded_from, recorded_to)
        found = [items.to_event(item) for part in partitions
                 for item in self._query(part, lo, hi, filters, standalone_only)]
        return sorted(found, key=lambda event: (event.recorded_at, event.event_id))

    @tracer.capture_method(capture_response=False)
    def access_events(self, *, consumer_tag: str | None = None, actor_tag: str | None = None,
                      action: str | None = None, service: str | None = None,
                      recorded_from: datetime | None = None, recorded_to: datetime | None = None,
                      limit: int = 50, cursor: str | None = None) -> tuple[list[StoredEvent], str | None]:
        """The narrowest index leads (consumer, actor, service, action, then sharded months); the other criteria
        filter it. Only items carrying access-log keys are returned."""
        filters = {"actor_tag": actor_tag, "access_action": action, "access_service": service}
        months = _months(recorded_from, recorded_to)
        if consumer_tag:
            partitions = [Partition("ByConsumer", "consumer_pk", items.consumer_pk(consumer_tag), "consumer_sk",
                                    prefix="E#")]
        elif actor_tag:
            partitions = [Partition("ByActor", "actor_pk", items.actor_pk(actor_tag), "actor_sk")]
            filters.pop("actor_tag")
        elif service:
            partitions = [Partition("ByService", "service_pk", items.service_pk(service, m), "service_sk",
                                    newest=_month_end(m), oldest=m) for m in months]
            filters.pop("access_service")
        elif action:
            partitions = [Partition("ByAction", "action_pk", items.action_pk(action, m), "action_sk",
                                    newest=_month_end(m), oldest=m) for m in months]
            filters.pop("access_action")
        else:
            partitions = [Partition("ByMonth", "month_pk", f"EM#{m}#{shard}", "month_sk", newest=_month_end(m),
                                    oldest=m)
                          for m in months for shard in range(self._shards)]
        conditions, values, names = ["attribute_exists(access_action)"], {}, {}
        for number, (name, value) in enumerate(sorted((k, v) for k, v in filters.items() if v is not None)):
            conditions.append(f"#a{number} = :a{number}")
            names[f"#a{number}"] = name
            values[f":a{number}"] = {"S": value}
        lo, hi = _bounds(recorded_from, recorded_to)
        before = min(hi, cursor) if cursor else hi
        query = MergedQuery(self._db, self._table, partitions, oldest=lo, before=before, page=min(limit + 1, 500),
                            filter_expression=" AND ".join(conditions), filter_values=values, filter_names=names)
        found, next_cursor = query.take(limit)
        return [items.to_event(item) for item in found], next_cursor

    def _leading(self, kind: str, consumer_tag: str | None, type_value: str | None, typed: list[Partition] | None,
                 start: datetime | None, end: datetime | None) -> tuple[list[Partition], dict[str, str]]:
        """The partitions of the narrowest scope (consumer, then type, then sharded months of requests `R` or
        events `E`), and the type as a filter when the consumer leads."""
        if consumer_tag:
            consumer = Partition("ByConsumer", "consumer_pk", items.consumer_pk(consumer_tag), "consumer_sk",
                                 prefix=f"{kind}#")
            return [consumer], ({"type": type_value} if type_value else {})
        if typed:
            return typed, {}
        return [Partition("ByMonth", "month_pk", f"{kind}M#{month}#{shard}", "month_sk")
                for month in _months(start, end) for shard in range(self._shards)], {}

    def _query(self, partition: Partition, lo: str, hi: str, equals: dict[str, str],
               standalone_only: bool = False) -> Iterator[dict[str, Any]]:
        index, pk_name, pk, sk_name, prefix = (partition.index, partition.pk_name, partition.pk, partition.sk_name,
                                               partition.prefix)
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :lo AND :hi",
            "ExpressionAttributeNames": {"#pk": pk_name, "#sk": sk_name},
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":lo": {"S": prefix + lo}, ":hi": {"S": prefix + hi}},
        }
        conditions = []
        for number, (name, value) in enumerate(sorted(equals.items())):
            params["ExpressionAttributeNames"][f"#f{number}"] = name
            params["ExpressionAttributeValues"][f":f{number}"] = {"S": value}
            conditions.append(f"#f{number} = :f{number}")
        if standalone_only:
            conditions.append("attribute_not_exists(request_id)")
        if conditions:
            params["FilterExpression"] = " AND ".join(conditions)
        while True:
            response = self._db.query(**params)
            yield from (plain(raw) for raw in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _bounds(start: datetime | None, end: datetime | None) -> tuple[str, str]:
    """Sort-key bounds of `<RFC 3339>#<id>` positions; both ends inclusive."""
    return (rfc3339(start) if start else "0"), (rfc3339(end) + "#" + HIGHEST if end else HIGHEST)


def _months(start: datetime | None, end: datetime | None) -> list[str]:
    """Every UTC `YYYY-MM` (the month keys' own zone) from start to end; an open start looks back over the
    retention window."""
    last = min(end or LATEST_READ, datetime.now(UTC) + FUTURE_MARGIN)  # nothing is recorded after now
    first = start or last - DEFAULT_LOOKBACK
    year, month = first.year, first.month
    months = []
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    return months


def _month_end(month: str) -> str:
    return f"{month}-\uffff"
