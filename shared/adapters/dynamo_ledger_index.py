"""DynamoLedgerIndex: the index table. Every read path is a GetItem or a Query; nothing here scans."""

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from shared.adapters import index_items as items
from shared.adapters.merged_query import MergedQuery, Partition, plain
from shared.errors import ChainConflictError, ConflictError, StorageUnavailableError
from shared.models.alerts import ClockAlert
from shared.models.domain import RequestStatus, RequestType
from shared.models.records import OpenClock, RequestRecord, StoredEvent
from shared.observability import tracer
from shared.timefmt import rfc3339

if TYPE_CHECKING:  # a search's models load with the first search (GET /requests), not with every function
    from shared.models.search import RequestSearch, SearchPage

_serializer = TypeSerializer()
# Without a date range, a search looks back over the retention period (24 months plus a margin).
DEFAULT_LOOKBACK = timedelta(days=800)
FUTURE_MARGIN = timedelta(days=1)
LATEST_READ = datetime.max.replace(tzinfo=UTC)


def _av(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in item.items()}


class DynamoLedgerIndex:
    def __init__(self, table: str, client: Any, shards: int = 4) -> None:
        self._table = table
        self._db = client
        self._shards = shards

    # Writes -----------------------------------------------------------------------------------------------

    @tracer.capture_method(capture_response=False)
    def create_request(self, request: RequestRecord, event: StoredEvent) -> None:
        writes = [
            self._put(items.request_item(request, self._shards), "attribute_not_exists(pk)"),
            self._put(items.event_item(event, self._shards), "attribute_not_exists(pk)"),
            *(self._put(clock) for clock in items.clock_items(request, self._shards)),
        ]
        try:
            self._db.transact_write_items(TransactItems=writes)
        except ClientError as error:
            if _cancelled_by_condition(error):
                raise ConflictError(f"request {request.request_id} is already indexed") from error
            raise StorageUnavailableError("the index refused the write") from error

    @tracer.capture_method(capture_response=False)
    def append_event(self, request: RequestRecord, event: StoredEvent, expected_seq: int,
                     outbox: Sequence[ClockAlert] = ()) -> None:
        """The META item's chain_seq is the optimistic lock: two writers cannot both extend the same head. The
        event's alerts ride in the same transaction, so an indexed transition always has its pending alert."""
        meta = self._put(items.request_item(request, self._shards), "chain_seq = :expected")
        meta["Put"]["ExpressionAttributeValues"] = {":expected": {"N": str(expected_seq)}}
        writes = [
            meta,
            self._put(items.event_item(event, self._shards), "attribute_not_exists(pk)"),
            *(self._put(clock) for clock in items.clock_items(request, self._shards)),
            *(self._put(items.outbox_item(alert)) for alert in outbox),
        ]
        try:
            self._db.transact_write_items(TransactItems=writes)
        except ClientError as error:
            if _cancelled_by_condition(error):
                raise ChainConflictError(f"request {request.request_id} moved past seq {expected_seq}") from error
            raise StorageUnavailableError("the index refused the write") from error

    @tracer.capture_method(capture_response=False)
    def pending_alerts(self) -> list[ClockAlert]:
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": items.OUTBOX_PK}},
            "ProjectionExpression": "alert",
            "ConsistentRead": True,
        }
        alerts: list[ClockAlert] = []
        while True:
            response = self._db.query(**params)
            alerts.extend(ClockAlert.model_validate_json(raw["alert"]["S"]) for raw in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return alerts
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    @tracer.capture_method(capture_response=False)
    def alert_sent(self, alert_id: str) -> None:
        self._db.delete_item(TableName=self._table, Key={"pk": {"S": items.OUTBOX_PK}, "sk": {"S": alert_id}})

    @tracer.capture_method(capture_response=False)
    def put_standalone_event(self, event: StoredEvent) -> None:
        try:
            self._db.put_item(
                TableName=self._table,
                Item=_av(items.event_item(event, self._shards)),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise ConflictError(f"event {event.event_id} is already indexed") from error
            raise StorageUnavailableError("the index refused the write") from error

    def _put(self, item: dict[str, Any], condition: str | None = None) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self._table, "Item": _av(item)}
        if condition:
            put["ConditionExpression"] = condition
        return {"Put": put}

    # Reads ------------------------------------------------------------------------------------------------

    @tracer.capture_method(capture_response=False)
    def get_request(self, request_id: str) -> RequestRecord | None:
        response = self._db.get_item(
            TableName=self._table,
            Key={"pk": {"S": items.request_pk(request_id)}, "sk": {"S": items.META}},
            ConsistentRead=True,
        )
        raw = response.get("Item")
        return items.to_request(plain(raw)) if raw else None

    @tracer.capture_method(capture_response=False)
    def request_events(self, request_id: str) -> list[StoredEvent]:
        """The request's chain in order (sort key E#<seq>), read strongly consistent."""
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :e)",
            "ExpressionAttributeValues": {":pk": {"S": items.request_pk(request_id)}, ":e": {"S": "E#"}},
            "ConsistentRead": True,
        }
        events: list[StoredEvent] = []
        while True:
            response = self._db.query(**params)
            events.extend(items.to_event(plain(raw)) for raw in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return events
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    @tracer.capture_method(capture_response=False)
    def find_event(self, event_id: str) -> StoredEvent | None:
        """ByEventId (keys only) finds the item; the item itself is then read strongly consistent."""
        response = self._db.query(
            TableName=self._table,
            IndexName="ByEventId",
            KeyConditionExpression="event_id = :id",
            ExpressionAttributeValues={":id": {"S": event_id}},
        )
        for keys in response.get("Items", []):
            raw = self._db.get_item(TableName=self._table, Key={"pk": keys["pk"], "sk": keys["sk"]},
                                    ConsistentRead=True).get("Item")
            if raw and raw.get("entity", {}).get("S") == "event":
                return items.to_event(plain(raw))
        return None

    @tracer.capture_method(capture_response=False)
    def search_requests(self, search: "RequestSearch") -> "SearchPage":
        from shared.models.search import SearchPage

        oldest = rfc3339(search.received_from) if search.received_from else "0"
        # Nothing is received after now (plus a clock's skew): later months are never read.
        newest_time = min(search.received_to or LATEST_READ, datetime.now(UTC) + FUTURE_MARGIN)
        before = search.cursor
        upper = rfc3339(search.received_to) + "#\uffff" if search.received_to else None
        if upper is not None and (before is None or upper < before):
            before = upper
        filters: list[str] = []
        values: dict[str, Any] = {}
        names: dict[str, str] = {}
        if search.consumer_tag:
            partitions = [Partition("ByConsumer", "consumer_pk", items.consumer_pk(search.consumer_tag),
                                    "consumer_sk", prefix="R#")]
            if search.type:
                filters.append("#type = :type")
                values[":type"] = {"S": search.type.value}
                names["#type"] = "type"
            if search.status:
                filters.append("#status = :status")
                values[":status"] = {"S": search.status.value}
                names["#status"] = "status"
        elif search.type or search.status:
            types = [search.type] if search.type else list(RequestType)
            statuses = [search.status] if search.status else list(RequestStatus)
            partitions = [Partition("ByKind", "kind_pk", items.request_kind_pk(t.value, s.value), "kind_sk")
                          for t in types for s in statuses]
        else:
            partitions = self._month_partitions(search.received_from or newest_time - DEFAULT_LOOKBACK,
                                                newest_time)
            if not search.received_from:
                oldest = rfc3339(newest_time - DEFAULT_LOOKBACK)
        query = MergedQuery(self._db, self._table, partitions, oldest=oldest, before=before,
                            page=min(search.limit + 1, 500), filter_expression=" AND ".join(filters) or None,
                            filter_values=values, filter_names=names)
        found, cursor = query.take(search.limit)
        return SearchPage(items=[items.to_request(item) for item in found], cursor=cursor)

    @tracer.capture_method(capture_response=False)
    def open_clocks(self, last_due: str | None = None, *, after: str | None = None,
                    limit: int | None = None) -> list[OpenClock]:
        """Every unsatisfied clock (due on or before `last_due` when given), soonest first; with `after` and
        `limit`, the first `limit` past that position (each shard read for at most `limit`, in parallel).

        Reads only the sparse OpenClocks index, so the cost follows the number of open clocks, not the table."""
        last = _last_position(last_due or "9999-12-31")
        with ThreadPoolExecutor(max_workers=self._shards) as pool:
            shards = pool.map(lambda shard: self._open_clocks_of(shard, last, after, limit), range(self._shards))
            found = sorted(clock for clocks in shards for clock in clocks)
        return found if limit is None else found[:limit]

    def _open_clocks_of(self, shard: int, last: str, after: str | None, limit: int | None) -> list[OpenClock]:
        # one sort-key condition per query: with `after`, the upper bound is checked below instead
        comparison, bound = (">", after) if after is not None else ("<=", last)
        params = {**self._open_clocks_query(shard, comparison, bound), "ProjectionExpression": _OPEN_CLOCK_FIELDS}
        if limit is not None:
            params["Limit"] = limit
        found: list[OpenClock] = []
        for response in self._pages(params):
            found.extend(clock for clock in map(_open_clock, response.get("Items", [])) if clock.position <= last)
            if limit is not None and len(found) >= limit:
                break
        return found

    def stream_open_clocks(self, last_due: str, *, page_size: int = 100) -> Iterator[OpenClock]:
        """One shard after another, one page after another: a page's request copies are built one at a time as
        they are consumed, and the page is dropped before the next is read."""
        for shard in range(self._shards):
            params = self._open_clocks_query(shard, "<=", _last_position(last_due))
            params.update(ProjectionExpression=f"{_OPEN_CLOCK_FIELDS}, #request", Limit=page_size,
                          ExpressionAttributeNames={"#request": "request"})  # a reserved word
            for page in self._pages(params):
                yield from map(_open_clock, page.get("Items", []))

    @tracer.capture_method(capture_response=False)
    def count_open_clocks(self, due_after: str) -> int:
        """Select=COUNT: DynamoDB reads (and bills) the items as a Query returning them would, but sends none."""
        return sum(page["Count"] for shard in range(self._shards)
                   for page in self._pages({**self._open_clocks_query(shard, ">", _last_position(due_after)),
                                            "Select": "COUNT"}))

    def _open_clocks_query(self, shard: int, comparison: str, bound: str) -> dict[str, Any]:
        return {
            "TableName": self._table,
            "IndexName": "OpenClocks",
            "KeyConditionExpression": f"open_pk = :pk AND open_sk {comparison} :bound",
            "ExpressionAttributeValues": {":pk": {"S": items.open_clocks_pk(shard)}, ":bound": {"S": bound}},
        }

    def _pages(self, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Each page of a Query in turn; the caller may stop early."""
        while True:
            page = self._db.query(**params)
            yield page
            if "LastEvaluatedKey" not in page:
                return
            params = {**params, "ExclusiveStartKey": page["LastEvaluatedKey"]}

    def _month_partitions(self, oldest: datetime, newest: datetime) -> list[Partition]:
        partitions = []
        year, month = newest.year, newest.month
        while (year, month) >= (oldest.year, oldest.month):
            month_end = f"{year:04d}-{month:02d}-\uffff"
            for shard in range(self._shards):
                pk = f"RM#{year:04d}-{month:02d}#{shard}"
                partitions.append(Partition("ByMonth", "month_pk", pk, "month_sk", newest=month_end,
                                            oldest=f"{year:04d}-{month:02d}"))
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        return partitions


_OPEN_CLOCK_FIELDS = "request_id, clock, due, alerted, request_type"


def _last_position(last_due: str) -> str:
    """The highest OpenClocks sort key (`<due>#<request id>#<clock>`) of a clock due on `last_due`."""
    return f"{last_due}#\uffff"


def _open_clock(raw: dict[str, Any]) -> OpenClock:
    item = plain(raw)
    snapshot = item.get("request")  # absent unless asked for, and on items written before copies existed
    return OpenClock(due=item["due"], request_id=item["request_id"], clock=item["clock"],
                     request_type=item["request_type"], alerted=item.get("alerted"),
                     record=items.to_request(snapshot) if snapshot else None)


def _cancelled_by_condition(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    if code == "ConditionalCheckFailedException":
        return True
    if code != "TransactionCanceledException":
        return False
    reasons = error.response.get("CancellationReasons", [])
    return any(reason.get("Code") == "ConditionalCheckFailed" for reason in reasons)
