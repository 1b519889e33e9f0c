"""Newest-first pages merged from several index partitions, with one position cursor, using only Query.

Every time-ordered index sorts on `<RFC 3339>#<id>` (optionally behind a fixed prefix), so one position string
orders items across partitions. A partition is read only once its newest possible item could be next, so a
search over many month shards reads few of them for a short page.

Each call sends at most `budget` Queries (once every partition that could hold the newest item was read, so
each call moves on): a wide date range over empty months stops early with a short (even empty) page and a
cursor where it stopped, and the caller pages on. The work per call is bounded, not the range.
"""

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

_deserializer = TypeDeserializer()
HIGHEST = "\uffff"
QUERY_BUDGET = 128  # Queries per call: the default 800-day look-back over 4 month shards (108) fits in one


@dataclass
class Partition:
    index: str
    pk_name: str
    pk: str
    sk_name: str
    prefix: str = ""
    newest: str = HIGHEST  # upper bound of any position stored here (e.g. the end of a month)
    oldest: str = ""  # lower bound of any position stored here (e.g. the month itself, `2026-11`)
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
                 filter_names: dict[str, str] | None = None, budget: int = QUERY_BUDGET) -> None:
        self._client = client
        self._table = table
        # Partitions wholly outside [oldest, before) hold nothing to read: a cursor deep in a long range costs nothing
        # for the months already paged through.
        self._partitions = sorted((p for p in partitions if (before is None or p.oldest < before)
                                   and p.newest >= oldest), key=lambda p: p.newest, reverse=True)
        self._oldest = oldest
        self._before = before
        self._page = page
        self._filter = (filter_expression, filter_values or {}, filter_names or {})
        self._budget = budget
        self._queries = 0
        self._stopped_at: str | None = None  # the position a call stopped at when its budget ran out

    def take(self, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        items = list(self._iterate(limit + 1))
        more = len(items) > limit
        items = items[:limit]
        cursor = items[-1][0] if more and items else self._stopped_at
        return [item for _, item in items], cursor

    def _iterate(self, limit: int) -> Iterator[tuple[str, dict[str, Any]]]:
        heap: list[tuple[_Desc, int, dict[str, Any]]] = []
        waiting = list(range(len(self._partitions)))
        emitted = 0
        while emitted < limit:
            best = heap[0][0].value if heap else None
            while waiting and (best is None or self._partitions[waiting[0]].newest >= best):
                if self._spent(self._partitions[waiting[0]].newest):
                    return  # everything newer than this unread partition's newest position was emitted
                self._push_head(heap, waiting.pop(0))
                best = heap[0][0].value if heap else None
            if not heap:
                return
            desc, idx, item = heapq.heappop(heap)
            yield desc.value, item
            emitted += 1
            part = self._partitions[idx]
            if not part._buffer and not part.exhausted() and self._spent(desc.value):
                return  # everything from this position up was emitted
            self._push_head(heap, idx)

    def _spent(self, position: str) -> bool:
        """Whether to stop here, `position` being what the next call resumes below. Only a position below this
        call's own start counts: a call always makes progress."""
        if self._queries < self._budget or position >= (self._before or HIGHEST):
            return False
        self._stopped_at = position
        return True

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
        self._queries += 1
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
