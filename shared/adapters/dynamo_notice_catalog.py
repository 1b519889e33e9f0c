"""DynamoNoticeCatalog: privacy-notice versions in the index table, one small partition (pk NOTICES).

Sort key `N#<notice_id>#<seq>`: one Query reads every notice (GET /notices, and the notices in force named on
each new request) or one notice's versions, in publication order. The position is create-only, so two concurrent
publishers of the same notice cannot both append after the same latest version."""

from typing import Any

from boto3.dynamodb.types import TypeSerializer

from shared.adapters import index_items as items
from shared.adapters.index_writes import query_all, transact
from shared.errors import ConflictError
from shared.models.notices import NoticeVersion
from shared.models.records import StoredEvent
from shared.observability import tracer

PK = "NOTICES"
_serializer = TypeSerializer()


def _sk(notice_id: str, seq: int) -> str:
    return f"N#{notice_id}#{seq:06d}"


class DynamoNoticeCatalog:
    def __init__(self, table: str, client: Any, shards: int = 4) -> None:
        self._table = table
        self._db = client
        self._shards = shards

    @tracer.capture_method(capture_response=False)
    def versions(self, notice_id: str | None = None) -> list[NoticeVersion]:
        # Strongly consistent: a request received right after a publication (in any container) names it.
        prefix = f"N#{notice_id}#" if notice_id else "N#"
        raw_items = query_all(self._db, {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": PK}, ":prefix": {"S": prefix}},
            "ConsistentRead": True,
        })
        return [NoticeVersion.model_validate_json(raw["version"]["S"]) for raw in raw_items]

    @tracer.capture_method(capture_response=False)
    def add(self, version: NoticeVersion, event: StoredEvent) -> None:
        catalog_item = {"pk": {"S": PK}, "sk": {"S": _sk(version.notice_id, version.seq)},
                        "entity": {"S": "notice_version"}, "version": {"S": version.model_dump_json()}}
        event_item = {k: _serializer.serialize(v) for k, v in items.event_item(event, self._shards).items()}
        writes = [{"Put": {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}
                  for item in (catalog_item, event_item)]
        transact(self._db, writes, ConflictError(f"notice {version.notice_id} moved past {version.seq - 1}"))

