"""DynamoUnsealedEvents: the sparse Unsealed index as the sealer's queue, and the marks that take events off it."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from shared.adapters.index_items import unsealed_pk
from shared.adapters.merged_query import plain
from shared.errors import LedgerInconsistentError
from shared.models.merkle_log import LogBatch, LogLeaf
from shared.observability import tracer
from shared.timefmt import parse_rfc3339

INDEX = "Unsealed"
BATCH_GET_LIMIT = 100
MARK_WORKERS = 16  # a full batch is 10,000 UpdateItems: in parallel they fit well inside the function's timeout


class DynamoUnsealedEvents:
    def __init__(self, table: str, client: Any, shards: int) -> None:
        self._table = table
        self._db = client
        self._shards = shards

    @tracer.capture_method(capture_response=False)
    def oldest(self, limit: int) -> list[LogLeaf]:
        found = [item for shard in range(self._shards) for item in self._shard_oldest(shard, limit)]
        found.sort(key=lambda item: item["unsealed_sk"])  # "<recorded_at>#<event_id>": time, then id
        oldest = found[:limit]
        still = self._still_unsealed([(item["pk"], item["sk"]) for item in oldest])
        return [_leaf(item) for item in oldest if (item["pk"], item["sk"]) in still]

    def _shard_oldest(self, shard: int, limit: int) -> list[dict[str, Any]]:
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": INDEX,
            "KeyConditionExpression": "unsealed_pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": unsealed_pk(shard)}},
        }
        items: list[dict[str, Any]] = []
        while len(items) < limit:
            response = self._db.query(**params, Limit=limit - len(items))
            items.extend(plain(raw) for raw in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return items

    def _still_unsealed(self, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """A GSI is eventually consistent: an event marked moments ago can still be listed, so the table
        (read strongly consistent) has the last word before anything is appended twice."""
        still: set[tuple[str, str]] = set()
        for start in range(0, len(keys), BATCH_GET_LIMIT):
            request: dict[str, Any] = {self._table: {
                "Keys": [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in keys[start : start + BATCH_GET_LIMIT]],
                "ConsistentRead": True,
                "ProjectionExpression": "pk, sk, unsealed_pk",
            }}
            while request:
                response = self._db.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self._table, []):
                    if "unsealed_pk" in raw:
                        still.add((raw["pk"]["S"], raw["sk"]["S"]))
                request = response.get("UnprocessedKeys") or {}
        return still

    @tracer.capture_method(capture_response=False)
    def mark_sealed(self, batch: LogBatch) -> None:
        with ThreadPoolExecutor(max_workers=MARK_WORKERS) as pool:
            list(pool.map(lambda i, leaf, path: self._mark(i, leaf, batch.end, path), range(batch.start, batch.end),
                          batch.leaves, batch.paths))

    def _mark(self, leaf_index: int, leaf: LogLeaf, sealed_size: int, path: bytes) -> None:
        pk, sk = leaf.index_key
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"pk": {"S": pk}, "sk": {"S": sk}},
                # sealed_size: the first checkpoint whose tree holds this leaf; inclusion_path: the leaf's proof
                # against it (concatenated hashes), so exports and proofs need no tile reads for it.
                UpdateExpression="SET leaf_index = :index, sealed_size = :size, inclusion_path = :path "
                                 "REMOVE unsealed_pk, unsealed_sk",
                # Repeatable (a crashed run's marks are redone), but an event never gets a second leaf.
                ConditionExpression="attribute_exists(pk) AND "
                                    "(attribute_not_exists(leaf_index) OR leaf_index = :index)",
                ExpressionAttributeValues={":index": {"N": str(leaf_index)}, ":size": {"N": str(sealed_size)},
                                           ":path": {"B": path}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise LedgerInconsistentError(f"event {leaf.event_id} is missing or has another leaf") from error
            raise


def _leaf(item: dict[str, Any]) -> LogLeaf:
    recorded_at = parse_rfc3339(item["unsealed_sk"].split("#", 1)[0])
    return LogLeaf.of_event(item["event_id"], item["event_hash"], item.get("consumer_tag"), recorded_at,
                            (item["pk"], item["sk"]))
