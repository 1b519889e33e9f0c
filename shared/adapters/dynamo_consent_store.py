"""DynamoConsentStore: a consumer's consent log in the index table, under `pk = CONSENT#<consumer tag>`.

`META` holds the state folded from the consumer's consent events (as one JSON attribute: one GetItem answers a
decision however many events there are), `E#<seq>` the events themselves, which also carry the usual event keys
(ByConsumer, ByKind, ByMonth, Unsealed, ByEventId), so exports and the sealer see them like any event. Reads are
a GetItem and a Query on this partition; nothing here scans."""

from typing import Any

from boto3.dynamodb.types import TypeSerializer
from shared.adapters import index_items as items
from shared.adapters.index_writes import query_all, transact
from shared.adapters.merged_query import plain
from shared.errors import ChainConflictError
from shared.models.consent import ConsentState
from shared.models.records import StoredEvent
from shared.observability import tracer

_serializer = TypeSerializer()


def consent_pk(consumer_tag: str) -> str:
    return f"CONSENT#{consumer_tag}"


class DynamoConsentStore:
    def __init__(self, table: str, client: Any, shards: int = 4) -> None:
        self._table = table
        self._db = client
        self._shards = shards

    @tracer.capture_method(capture_response=False)
    def state(self, consumer_tag: str) -> ConsentState | None:
        raw = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                Key={"pk": {"S": consent_pk(consumer_tag)}, "sk": {"S": items.META}}).get("Item")
        return ConsentState.model_validate_json(raw["state"]["S"]) if raw else None

    @tracer.capture_method(capture_response=False)
    def append(self, state: ConsentState, event: StoredEvent, expected_seq: int) -> None:
        pk = consent_pk(state.consumer_tag)
        meta: dict[str, Any] = {"TableName": self._table, "Item": {
            "pk": {"S": pk}, "sk": {"S": items.META}, "entity": {"S": "consent_state"},
            "seq": {"N": str(state.seq)}, "state": {"S": state.model_dump_json()}}}
        if expected_seq:
            meta["ConditionExpression"] = "seq = :expected"
            meta["ExpressionAttributeValues"] = {":expected": {"N": str(expected_seq)}}
        else:
            meta["ConditionExpression"] = "attribute_not_exists(pk)"
        event_item = {**items.event_item(event, self._shards), "pk": pk, "sk": f"E#{state.seq:08d}"}
        writes = [{"Put": meta}, {"Put": {"TableName": self._table, "ConditionExpression": "attribute_not_exists(pk)",
                                          "Item": {k: _serializer.serialize(v) for k, v in event_item.items()}}}]
        transact(self._db, writes, ChainConflictError(f"consent log moved past seq {expected_seq}"))

    @tracer.capture_method(capture_response=False)
    def events(self, consumer_tag: str) -> list[StoredEvent]:
        raw_items = query_all(self._db, {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :e)",
            "ExpressionAttributeValues": {":pk": {"S": consent_pk(consumer_tag)}, ":e": {"S": "E#"}},
            "ConsistentRead": True,
        })
        return [items.to_event(plain(raw)) for raw in raw_items]
