"""DynamoAccessLeaves: the sealer's records of batched access events in the index table.

`pk = ALEAF#<event_id>, sk = LEAF`: one slim item per sealed event, `i` (leaf index), `r` (its record in the paths
object) and `b` (the batch object's key without its fixed prefix and suffix): about 150 bytes with its key, one
write unit. Items written before slim items hold `event` (the whole StoredEvent as JSON) and `path` (its inclusion
path, binary), and are still read. `pk = ABATCH#<key>, sk = SEALED`: the sealed-batch marker of one object, with
its version and, when it sealed leaves, the sealing checkpoint's size and its paths object's version.
`pk = ABATCH#cursor, sk = META`: the listing cursor. None of these carry GSI keys, so they never appear in the
index's searches. Reads are strongly consistent, BatchGetItem (GetItem for one key); writes go 25 items per
BatchWriteItem.
"""

from collections.abc import Iterator, Sequence
from typing import Any

from shared.models.access_batch import PREFIX as BATCH_PREFIX
from shared.models.access_leaves import AccessLeaf, BatchMarker
from shared.models.records import StoredEvent
from shared.observability import tracer

GET_LIMIT = 100
WRITE_LIMIT = 25
CURSOR = {"pk": {"S": "ABATCH#cursor"}, "sk": {"S": "META"}}
SUFFIX = ".parquet"


def _leaf_key(event_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"ALEAF#{event_id}"}, "sk": {"S": "LEAF"}}


def _marker_key(key: str) -> dict[str, Any]:
    return {"pk": {"S": f"ABATCH#{key}"}, "sk": {"S": "SEALED"}}


def _leaf_item(leaf: AccessLeaf) -> dict[str, Any]:
    short = leaf.batch_key.removeprefix(BATCH_PREFIX).removesuffix(SUFFIX)
    if BATCH_PREFIX + short + SUFFIX != leaf.batch_key:
        raise ValueError(f"not a batch object key: {leaf.batch_key}")
    return {**_leaf_key(leaf.event_id), "i": {"N": str(leaf.leaf_index)}, "r": {"N": str(leaf.record)},
            "b": {"S": short}}


def _leaf_of(item: dict[str, Any]) -> AccessLeaf | StoredEvent:
    event_id = item["pk"]["S"].removeprefix("ALEAF#")
    if "event" in item:  # written before slim items: the whole event, and its path once paths were recorded
        event = StoredEvent.model_validate_json(item["event"]["S"])
        path = item.get("path", {}).get("B")
        return event.model_copy(update={"inclusion_path": bytes(path)}) if path is not None else event
    return AccessLeaf(event_id=event_id, leaf_index=int(item["i"]["N"]), record=int(item["r"]["N"]),
                      batch_key=BATCH_PREFIX + item["b"]["S"] + SUFFIX)


def _marker_item(marker: BatchMarker) -> dict[str, Any]:
    item = {**_marker_key(marker.key), "entity": {"S": "access_batch"}, "version": {"S": marker.version}}
    if marker.sealed_size is not None:
        item["sealed_size"] = {"N": str(marker.sealed_size)}
    if marker.paths_version is not None:
        item["paths_version"] = {"S": marker.paths_version}
    return item


def _marker_of(item: dict[str, Any]) -> BatchMarker:
    size, paths = item.get("sealed_size"), item.get("paths_version")
    return BatchMarker(key=item["pk"]["S"].removeprefix("ABATCH#"), version=item["version"]["S"],
                       sealed_size=int(size["N"]) if size else None, paths_version=paths["S"] if paths else None)


class DynamoAccessLeaves:
    def __init__(self, table: str, client: Any) -> None:
        self._table = table
        self._db = client

    @tracer.capture_method(capture_response=False)
    def marked(self, keys: Sequence[str]) -> set[str]:
        return {item["pk"]["S"].removeprefix("ABATCH#")
                for item in self._get_many([_marker_key(k) for k in keys], "pk")}

    @tracer.capture_method(capture_response=False)
    def mark(self, markers: Sequence[BatchMarker]) -> None:
        self._write_many([_marker_item(marker) for marker in markers])

    @tracer.capture_method(capture_response=False)
    def markers(self, keys: Sequence[str]) -> dict[str, BatchMarker]:
        found = map(_marker_of, self._get_many([_marker_key(k) for k in keys]))
        return {marker.key: marker for marker in found}

    @tracer.capture_method(capture_response=False)
    def sealed(self, event_ids: Sequence[str]) -> set[str]:
        return {item["pk"]["S"].removeprefix("ALEAF#")
                for item in self._get_many([_leaf_key(i) for i in event_ids], "pk")}

    @tracer.capture_method(capture_response=False)
    def put(self, leaves: Sequence[AccessLeaf]) -> None:
        self._write_many([_leaf_item(leaf) for leaf in leaves])

    @tracer.capture_method(capture_response=False)
    def find(self, event_ids: Sequence[str]) -> dict[str, AccessLeaf | StoredEvent]:
        found = map(_leaf_of, self._get_many([_leaf_key(i) for i in event_ids]))
        return {leaf.event_id: leaf for leaf in found}

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

    def _get_many(self, keys: list[dict[str, Any]], projection: str | None = None) -> Iterator[dict[str, Any]]:
        unique = list({k["pk"]["S"]: k for k in keys}.values())
        if len(unique) == 1:  # a proof's lookups: GetItem, all that the API's function may call (template.yaml)
            item = self._db.get_item(TableName=self._table, Key=unique[0], ConsistentRead=True,
                                     **({"ProjectionExpression": projection} if projection else {})).get("Item")
            yield from [item] if item else []
            return
        for start in range(0, len(unique), GET_LIMIT):
            wanted: dict[str, Any] = {"Keys": unique[start:start + GET_LIMIT], "ConsistentRead": True}
            if projection:
                wanted["ProjectionExpression"] = projection
            request: dict[str, Any] = {self._table: wanted}
            while request:
                response = self._db.batch_get_item(RequestItems=request)
                yield from response.get("Responses", {}).get(self._table, [])
                request = response.get("UnprocessedKeys") or {}

    def _write_many(self, items: list[dict[str, Any]]) -> None:
        for start in range(0, len(items), WRITE_LIMIT):
            request: dict[str, Any] = {self._table: [{"PutRequest": {"Item": i}} for i in items[start:start + WRITE_LIMIT]]}
            while request:
                request = self._db.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
