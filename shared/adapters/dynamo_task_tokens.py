"""DynamoTaskTokens: the task token a downstream branch waits on, beside its request (pk REQ#<id>, sk WAIT#<system>).

Kept out of the ledger: a token is a live capability to complete the branch, not evidence."""

from typing import Any

from shared.adapters.index_items import request_pk
from shared.observability import tracer


class DynamoTaskTokens:
    def __init__(self, table: str, client: Any) -> None:
        self._table = table
        self._db = client

    @tracer.capture_method(capture_response=False)
    def put(self, request_id: str, system_id: str, task_token: str, instruction_id: str) -> None:
        self._db.put_item(TableName=self._table, Item={
            "pk": {"S": request_pk(request_id)},
            "sk": {"S": f"WAIT#{system_id}"},
            "entity": {"S": "task_token"},
            "task_token": {"S": task_token},
            "instruction_id": {"S": instruction_id},
        })

    @tracer.capture_method(capture_response=False)
    def get(self, request_id: str, system_id: str) -> str | None:
        item = self._db.get_item(TableName=self._table, ConsistentRead=True, Key={
            "pk": {"S": request_pk(request_id)}, "sk": {"S": f"WAIT#{system_id}"}}).get("Item")
        return item["task_token"]["S"] if item else None
