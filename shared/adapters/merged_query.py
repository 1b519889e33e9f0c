"""Newest-first pages merged from several index partitions, with one position cursor, using only Query.

Every time-ordered index sorts on `<RFC 3339>#<id>` (optionally behind a fixed prefix), so one position string
orders items across partitions. A partition is read only once its newest possible item could be next, so a
search over many month shards reads few of them for a short page.
"""

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

_deserializer = TypeDeserializer()
HIGHEST = "\uffff"


@dataclass
class Partition:
    index: str
    pk_name: str
    pk: str
    sk_name: str
    prefix: str = ""
    newest: str = HIGHEST  # upper bound of any position stored here (e.g. the end of a month)
    _buffer: list[dict[str, Any]] = field(default_factory=list)
    _next_key: dict[str, Any] | None = None
    _started: bool = False

    def exhausted(self) -> bool:
        return self._started and not self._buffer and self._next_key is None


def plain(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _plain_number(_deserializer.deserialize(value)) for key, value in item.items()}


def _plain_number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {k: _plain_number(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_number(v) for v in value]
    return value


class MergedQuery:
    def __init__(self, client: Any, table: str, partitions: list[Partition], *, oldest: str, before: str | None,
                 page: int, filter_expression: str | None = None, filter_values: dict[str, Any] | None = None,
                 filter_names: dict[str, str] | None = None) -> None:
        self._client = client
        self._table = table
        self._partitions = sorted(partitions, key=lambda p: p.newest, reverse=True)
        self._oldest = oldest
        self._before = before
        self._page = page
        self._filter = (filter_expression, filter_values or {}, filter_names or {})

    def take(self, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        items = list(self._iterate(limit + 1))
        more = len(items) > limit
        items = items[:limit]
        cursor = items[-1][0] if more and items else None
        return [item for _, item in items], cursor

    def _iterate(self, limit: int) -> Iterator[tuple[str, dict[str, Any]]]:
        heap: list[tuple[_Desc, int, dict[str, Any]]] = []
        waiting = list(range(len(self._partitions)))
        emitted = 0
        while emitted < limit:
            best = heap[0][0].value if heap else None
            while waiting and (best is None or self._partitions[waiting[0]].newest >= best):
                self._push_head(heap, waiting.pop(0))
                best = heap[0][0].value if heap else None
            if not heap:
                return
            desc, idx, item = heapq.heappop(heap)
            yield desc.value, item
            emitted += 1
            self._push_head(heap, idx)

    def _push_head(self, heap: list[tuple["_Desc", int, dict[str, Any]]], idx: int) -> None:
        part = self._partitions[idx]
        while not part._buffer and not part.exhausted():
            self._fetch(part)
        if part._buffer:
            item = part._buffer.pop(0)
            pos = item[part.sk_name][len(part.prefix):]
            heapq.heappush(heap, (_Desc(pos), idx, item))

    def _fetch(self, part: Partition) -> None:
        upper = self._before if self._before is not None else HIGHEST
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": part.index,
            "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :lo AND :hi",
            "ExpressionAttributeNames": {"#pk": part.pk_name, "#sk": part.sk_name},
            "ExpressionAttributeValues": {
                ":pk": {"S": part.pk},
                ":lo": {"S": part.prefix + self._oldest},
                ":hi": {"S": part.prefix + upper},
            },
            "ScanIndexForward": False,
            "Limit": self._page,
        }
        expression, values, names = self._filter
        if expression:
            params["FilterExpression"] = expression
            params["ExpressionAttributeValues"].update(values)
            params["ExpressionAttributeNames"].update(names)
        if part._next_key:
            params["ExclusiveStartKey"] = part._next_key
        response = self._client.query(**params)
        part._started = True
        part._next_key = response.get("LastEvaluatedKey")
        for raw in response.get("Items", []):
            item = plain(raw)
            if item[part.sk_name][len(part.prefix):] != self._before:  # BETWEEN is inclusive; the cursor is not
                part._buffer.append(item)


class _Desc:
    """Heap key giving newest-first order on position strings."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __lt__(self, other: "_Desc") -> bool:
        return self.value > other.value
