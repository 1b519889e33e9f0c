"""DynamoReplayGuard: a conditional put per signed callback in the short-lived idempotency table (TTL removes it)."""

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.errors import StorageUnavailableError
from shared.observability import tracer


class DynamoReplayGuard:
    def __init__(self, table: str, client: Any) -> None:
        self._table = table
        self._db = client

    @tracer.capture_method(capture_response=False)
    def first_use(self, key: str, expires_at: datetime) -> bool:
        try:
            self._db.put_item(
                TableName=self._table,
                Item={"id": {"S": f"replay#{key}"}, "expiration": {"N": str(int(expires_at.timestamp()))}},
                ConditionExpression="attribute_not_exists(id)",
            )
            return True
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise StorageUnavailableError("the replay guard could not be written") from error
