"""DynamoCompactionState: the access log's compaction watermark, one item (pk ACCESS#compaction, sk META) of the
index table. It only moves forward, by compare-and-swap on the day it was read at, so two compaction runs cannot
skip a day between them; search reads it (one GetItem) to choose each day's source."""

from datetime import date
from typing import Any

from botocore.exceptions import ClientError

from shared.errors import StorageUnavailableError
from shared.observability import tracer

KEY = {"pk": {"S": "ACCESS#compaction"}, "sk": {"S": "META"}}


class DynamoCompactionState:
    def __init__(self, table: str, client: Any) -> None:
        self._table = table
        self._db = client

    @tracer.capture_method(capture_response=False)
    def compacted_before(self) -> date | None:
        try:
            item = self._db.get_item(TableName=self._table, Key=KEY, ConsistentRead=True).get("Item")
        except ClientError as error:
            raise StorageUnavailableError("the compaction watermark could not be read") from error
        return date.fromisoformat(item["compacted_before"]["S"]) if item else None

    @tracer.capture_method(capture_response=False)
    def advance(self, expected: date | None, to: date) -> bool:
        params: dict[str, Any] = {
            "TableName": self._table,
            "Item": {**KEY, "entity": {"S": "access_compaction"}, "compacted_before": {"S": to.isoformat()}},
        }
        if expected is None:
            params["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            params["ConditionExpression"] = "compacted_before = :expected"
            params["ExpressionAttributeValues"] = {":expected": {"S": expected.isoformat()}}
        try:
            self._db.put_item(**params)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise StorageUnavailableError("the compaction watermark could not be written") from error
        return True
