"""DynamoGpcIdentities: GPC identity (HMAC tag) -> opt-out request, one item per identity (pk GPC#<tag>)."""

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from shared.errors import StorageUnavailableError
from shared.observability import tracer


class DynamoGpcIdentities:
    prefix = "GPC#"
    entity = "gpc_identity"

    def __init__(self, table: str, client: Any) -> None:
        self._table = table
        self._db = client

    def _key(self, tag: str) -> dict[str, Any]:
        return {"pk": {"S": f"{self.prefix}{tag}"}, "sk": {"S": "META"}}

    @tracer.capture_method(capture_response=False)
    def find(self, tags: Sequence[str]) -> dict[str, str]:
        found = {}
        for tag in dict.fromkeys(tags):
            item = self._db.get_item(TableName=self._table, Key=self._key(tag), ConsistentRead=True).get("Item")
            if item:
                found[tag] = item["request_id"]["S"]
        return found

    @tracer.capture_method(capture_response=False)
    def link(self, tag: str, request_id: str) -> bool:
        try:
            self._db.put_item(
                TableName=self._table,
                Item={**self._key(tag), "entity": {"S": self.entity}, "request_id": {"S": request_id}},
                ConditionExpression="attribute_not_exists(pk)",
            )
            return True
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise StorageUnavailableError("the index refused the write") from error
