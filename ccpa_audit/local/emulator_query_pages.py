"""The reach of one Query page over a large index partition, for moto 5.2.5, so a page costs what it returns.

moto's `Table.query` reads every candidate's attributes (the partition's, thanks to `emulator_query_index`) to
check and sort them before it skips to ExclusiveStartKey and stops at Limit or at 1 MB; with packed items every
read is an unpack, so paging through a partition of n items unpacked n items per page. A sweep paging the open
clocks of a busy stack grew with the square of them, every minute.

So the key maps keep, for each member of a partition with more than one, its "facts": the values moto sorts it by
(the index's sort key, then the table's keys) and its size as moto measures it. From them the candidates are put
in moto's order, those at or before ExclusiveStartKey dropped, and the walk moto makes is replayed: Limit reached,
or the next item past 1 MB (counting, as moto does, only items that meet the sort-key condition); moto is handed
the items of that walk that meet the condition, plus the item it stops at, so it answers the page,
LastEvaluatedKey and counts as before. Whatever this does not model (a non-string sort key, a legacy QueryFilter,
several sort-key attributes, a start key from another partition) falls back to the whole partition.
"""

from typing import Any

UNSUPPORTED = "unsupported"  # facts of a member whose page cannot be cut: the whole partition goes to moto
MISSING = "missing"  # the member lacks the index's sort key: moto never returns it from this index


def facts(item: Any, range_attrs: list[str]) -> tuple[Any, ...] | str | None:
    """(sort key, table hash key, table range key, size), each as moto compares and measures it."""
    if item is None:
        return None
    if len(range_attrs) != 1:
        return UNSUPPORTED
    value = item.attrs.get(range_attrs[0])
    if value is None:
        return MISSING
    if value.type != "S":
        return UNSUPPORTED
    range_key = item.range_key.cast_value if item.range_key is not None else None
    return value.value, item.hash_key.cast_value, range_key, item.size()


def reachable(members: dict[Any, Any], range_attrs: list[str], table: Any, query: dict[str, Any]) -> list[Any]:
    """The table keys of the members moto's Query can look at for this page, in moto's order."""
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import RESULT_SIZE_LIMIT

    every = list(members)
    if len(every) < 2 or any(f is None or f == UNSUPPORTED for f in members.values()):
        return every
    if query.get("filter_kwargs") or len(query.get("range_key_conditions") or []) > 1:
        return every
    forward = query.get("scan_index_forward") is not False
    rows = [(f[:3], f[3], key) for key, f in members.items() if f != MISSING]
    try:
        rows.sort(key=lambda row: row[0], reverse=not forward)
    except TypeError:  # keys of different types: moto's own order is not modelled here
        return every
    start = query.get("exclusive_start_key")
    if start:
        bound = _start_order(start, range_attrs[0], table, query.get("hash_key_conditions") or [])
        if bound is None:
            return every
        rows = [row for row in rows if (row[0] > bound) == forward and row[0] != bound]
    comparison, objects, limit = query.get("range_comparison"), query.get("range_objs"), query.get("limit")
    chosen, matched, size = [], 0, 0
    for order, item_size, key in rows:
        if (limit is not None and matched == limit) or size + item_size > RESULT_SIZE_LIMIT:
            chosen.append(key)  # moto stops at this item, whatever it holds: it must see it to report LastEvaluatedKey
            break
        if not comparison or DynamoType({"S": order[0]}).compare(comparison, objects):
            chosen.append(key)  # an item the sort-key condition refuses changes nothing moto answers before the stop
            matched += 1
            size += item_size
    return chosen


def _start_order(start: dict[str, Any], range_attr: str, table: Any,
                 hash_conditions: list[tuple[str, Any]]) -> tuple[Any, ...] | None:
    """ExclusiveStartKey as a sort position; None when it is not a position in this partition."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    names = [range_attr, table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    if any(name not in start for name in names):
        return None
    if any(name not in start or DynamoType(start[name]) != value for name, value in hash_conditions):
        return None
    sort_key = DynamoType(start[range_attr])
    if sort_key.type != "S":
        return None
    range_key = DynamoType(start[table.range_key_attr]).cast_value if table.range_key_attr else None
    return sort_key.value, DynamoType(start[table.hash_key_attr]).cast_value, range_key
