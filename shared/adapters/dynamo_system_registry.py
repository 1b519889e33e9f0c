"""DynamoSystemRegistry: downstream systems in the index table (pk SYS#<id>), listed through the ByKind index.

Removal keeps the item as a tombstone: past fan-outs name the system, and the index is never deleted from."""

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.adapters.merged_query import plain
from shared.errors import ConflictError, StorageUnavailableError
from shared.models.systems import DownstreamSystem
from shared.observability import tracer
from shared.timefmt import rfc3339

LISTING = "SYSTEMS"


def _key(system_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"SYS#{system_id}"}, "sk": {"S": "META"}}


class DynamoSystemRegistry:
    def __init__(self, table: str, client: Any) -> None:
        self._table = table
        self._db = client

    @tracer.capture_method(capture_response=False)
    def get(self, system_id: str) -> DownstreamSystem | None:
        raw = self._db.get_item(TableName=self._table, Key=_key(system_id), ConsistentRead=True).get("Item")
        item = plain(raw) if raw else None
        return _system(item) if item and not item.get("removed_at") else None

    @tracer.capture_method(capture_response=False)
    def save(self, system: DownstreamSystem, expected_version: int | None) -> None:
        item = {
            **_key(system.system_id),
            "entity": {"S": "system"},
            "kind_pk": {"S": LISTING},
            "kind_sk": {"S": system.system_id},
            "version": {"N": str(system.version)},
            "body": {"S": system.model_dump_json()},
        }
        if expected_version is None:
            condition = "attribute_not_exists(pk) OR attribute_exists(removed_at)"
            values: dict[str, Any] = {}
        else:
            condition = "version = :expected AND attribute_not_exists(removed_at)"
            values = {":expected": {"N": str(expected_version)}}
        self._write(lambda: self._db.put_item(TableName=self._table, Item=item, ConditionExpression=condition,
                                              **({"ExpressionAttributeValues": values} if values else {})),
                    system.system_id)

    @tracer.capture_method(capture_response=False)
    def remove(self, system_id: str, expected_version: int, removed_at: datetime) -> None:
        self._write(lambda: self._db.update_item(
            TableName=self._table, Key=_key(system_id),
            UpdateExpression="SET removed_at = :now REMOVE kind_pk, kind_sk",
            ConditionExpression="version = :expected AND attribute_not_exists(removed_at)",
            ExpressionAttributeValues={":now": {"S": rfc3339(removed_at)}, ":expected": {"N": str(expected_version)}},
        ), system_id)

    @tracer.capture_method(capture_response=False)
    def list(self) -> list[DownstreamSystem]:
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "ByKind",
            "KeyConditionExpression": "kind_pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": LISTING}},
        }
        found: list[DownstreamSystem] = []
        while True:
            response = self._db.query(**params)
            found.extend(_system(plain(raw)) for raw in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return found
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _write(self, call: Any, system_id: str) -> None:
        try:
            call()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise ConflictError(f"system {system_id} was changed by someone else; read it and try again") from error
            raise StorageUnavailableError("the index refused the write") from error


def _system(item: dict[str, Any]) -> DownstreamSystem:
    return DownstreamSystem.model_validate_json(item["body"])
