"""DynamoAccessLeaves: the sealer's records of batched access events in the index table.

`pk = ALEAF#<event_id>, sk = LEAF`: one item per sealed event (its StoredEvent as JSON: batch key and version,
leaf index; and `path`, its inclusion path against the checkpoint that sealed it, as binary), read by GetItem for proofs and exports and by BatchGetItem for de-duplication. `pk = ABATCH#<key>,
sk = SEALED`: the sealed-batch marker of one object. `pk = ABATCH#cursor, sk = META`: the listing cursor. None of
these carry GSI keys, so they never appear in the index's searches. Writes go 25 items per BatchWriteItem.
"""

from collections.abc import Iterator, Sequence
from typing import Any

from shared.models.records import StoredEvent
from shared.observability import tracer

GET_LIMIT = 100
WRITE_LIMIT = 25
CURSOR = {"pk": {"S": "ABATCH#cursor"}, "sk": {"S": "META"}}


def _leaf_key(event_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"ALEAF#{event_id}"}, "sk": {"S": "LEAF"}}


def _marker_key(key: str) -> dict[str, Any]:
    return {"pk": {"S": f"ABATCH#{key}"}, "sk": {"S": "SEALED"}}


class DynamoAccessLeaves:
    def __init__(self, table: str, client: Any) -> None:
        self._table = table
        self._db = client

    @tracer.capture_method(capture_response=False)
    def marked(self, keys: Sequence[str]) -> set[str]:
        return {item["pk"]["S"].removeprefix("ABATCH#") for item in self._get_many([_marker_key(k) for k in keys])}

    @tracer.capture_method(capture_response=False)
    def mark(self, objects: Sequence[tuple[str, str]]) -> None:
        self._write_many([{**_marker_key(key), "entity": {"S": "access_batch"}, "version": {"S": version}}
                          for key, version in objects])

    @tracer.capture_method(capture_response=False)
    def sealed(self, event_ids: Sequence[str]) -> set[str]:
        return {item["pk"]["S"].removeprefix("ALEAF#") for item in self._get_many([_leaf_key(i) for i in event_ids])}

    @tracer.capture_method(capture_response=False)
    def put(self, events: Sequence[StoredEvent]) -> None:
        self._write_many([{**_leaf_key(e.event_id), "entity": {"S": "access_leaf"}, "event": {"S": e.model_dump_json()},
                           **({"path": {"B": e.inclusion_path}} if e.inclusion_path is not None else {})}
                          for e in events])

    def get(self, event_id: str) -> StoredEvent | None:
        raw = self._db.get_item(TableName=self._table, Key=_leaf_key(event_id), ConsistentRead=True).get("Item")
        if not raw:
            return None
        event = StoredEvent.model_validate_json(raw["event"]["S"])
        path = raw.get("path", {}).get("B")  # leaves sealed before paths were recorded have none
        return event.model_copy(update={"inclusion_path": bytes(path)}) if path is not None else event

    def cursor(self) -> str:
        raw = self._db.get_item(TableName=self._table, Key=CURSOR, ConsistentRead=True).get("Item")
        return raw["key"]["S"] if raw else ""

    def set_cursor(self, key: str) -> None:
        # Never backwards: two sealers may both advance it.
        try:
            self._db.put_item(TableName=self._table, Item={**CURSOR, "key": {"S": key}},
                              ConditionExpression="attribute_not_exists(pk) OR #key < :key",
                              ExpressionAttributeNames={"#key": "key"}, ExpressionAttributeValues={":key": {"S": key}})
        except self._db.exceptions.ConditionalCheckFailedException:
            pass

    def _get_many(self, keys: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        unique = list({k["pk"]["S"]: k for k in keys}.values())
        for start in range(0, len(unique), GET_LIMIT):
            request: dict[str, Any] = {self._table: {"Keys": unique[start:start + GET_LIMIT],
                                                     "ProjectionExpression": "pk", "ConsistentRead": True}}
            while request:
                response = self._db.batch_get_item(RequestItems=request)
                yield from response.get("Responses", {}).get(self._table, [])
                request = response.get("UnprocessedKeys") or {}

    def _write_many(self, items: list[dict[str, Any]]) -> None:
        for start in range(0, len(items), WRITE_LIMIT):
            request: dict[str, Any] = {self._table: [{"PutRequest": {"Item": i}} for i in items[start:start + WRITE_LIMIT]]}
            while request:
                request = self._db.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
