"""DynamoLogState: the Merkle log's single state item (pk LOG#state, sk META) in the index table.

S3 objects are create-only, so the "latest checkpoint" pointer lives here, and this item is also the log's one
writer lock: it only moves by compare-and-swap on the size it was read at."""

from typing import Any

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import ClientError

from shared.adapters.merged_query import plain
from shared.models.merkle_log import LogState
from shared.observability import tracer

KEY = {"pk": {"S": "LOG#state"}, "sk": {"S": "META"}}
_serializer = TypeSerializer()


class DynamoLogState:
    def __init__(self, table: str, client: Any) -> None:
        self._table = table
        self._db = client

    @tracer.capture_method(capture_response=False)
    def get(self) -> LogState | None:
        raw = self._db.get_item(TableName=self._table, Key=KEY, ConsistentRead=True).get("Item")
        return LogState.model_validate(plain(raw)) if raw else None

    @tracer.capture_method(capture_response=False)
    def advance(self, state: LogState, expected_size: int) -> bool:
        item = {name: _serializer.serialize(value) for name, value in state.model_dump().items()}
        params: dict[str, Any] = {"TableName": self._table, "Item": {**KEY, "entity": {"S": "log_state"}, **item}}
        if expected_size == 0:
            params["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            # The previous batch must be marked too, so no run can leave an earlier batch half-marked behind it.
            params["ConditionExpression"] = "#size = :expected AND marked = :true"
            params["ExpressionAttributeNames"] = {"#size": "size"}
            params["ExpressionAttributeValues"] = {":expected": {"N": str(expected_size)}, ":true": {"BOOL": True}}
        return self._conditional(self._db.put_item, params)

    @tracer.capture_method(capture_response=False)
    def mark_done(self, size: int) -> None:
        self._conditional(self._db.update_item, {
            "TableName": self._table,
            "Key": KEY,
            "UpdateExpression": "SET marked = :true",
            "ConditionExpression": "#size = :size",
            "ExpressionAttributeNames": {"#size": "size"},
            "ExpressionAttributeValues": {":size": {"N": str(size)}, ":true": {"BOOL": True}},
        })

    @staticmethod
    def _conditional(call: Any, params: dict[str, Any]) -> bool:
        try:
            call(**params)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True
