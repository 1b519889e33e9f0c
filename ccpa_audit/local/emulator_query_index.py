"""Key maps for moto 5.2.5's DynamoDB Query, so a Query costs what it reads rather than what the table holds.

moto answers every Query by listing and sorting the whole table (`Table.all_items`), and for an index by testing
every item's attributes; a sealer that looks for unsealed events every few seconds therefore slows down with
every event ever written. Here each table keeps, per secondary index, which items carry each index partition
key. A Query hands moto's own `Table.query` only the items of the partition it names, so key conditions, sort
order, ScanIndexForward, Limit, LastEvaluatedKey, filters and projections stay moto's code, unchanged.

The maps only have to be a superset: moto re-checks every candidate against the key condition. So an item is
re-placed after every write path that can change it (PutItem, UpdateItem, DeleteItem, the writes of
BatchWriteItem and TransactWriteItems, a rolled-back transaction); anything else that writes (PartiQL, an index
added to a table) drops the table's maps, which are rebuilt from the table on its next Query.
"""

import functools
import inspect
import threading
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from ccpa_audit.local import emulator_query_pages as pages

_candidates = threading.local()  # the items moto's Table.query should consider, while one runs on this thread
_MAPS = "_local_key_maps"  # attribute on a moto Table
PAGED_FROM = 64  # members: smaller partitions are handed to moto whole (an unpack each is cheap at that size)


class _KeyMaps:
    """index name -> partition value -> its members; plus where each table key is placed. Most partitions hold one
    item (a request's own rows, a consumer's tag), so a lone member is stored as its key and a dict only from the
    second on: an empty-ish dict per partition was most of the maps' memory. Once a partition of `PAGED_FROM` or
    more is queried, each member's value in that dict is its page facts (`emulator_query_pages.facts`), kept up to
    date from then on, so its pages are cut without unpacking it; partitions never queried so keep None."""

    def __init__(self, table: Any) -> None:
        self.lock = threading.Lock()
        self.partition_attrs = {index.name: [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
                                for index in table.all_indexes()}
        self.range_attrs = {index.name: [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
                            for index in table.all_indexes()}
        self.partitions: dict[str, dict[Any, Any]] = {name: {} for name in self.partition_attrs}
        self.placed: dict[Any, tuple[tuple[str, Any], ...]] = {}
        for item in _every_item(table):
            self.place(table, item.hash_key, item.range_key)

    def place(self, table: Any, hash_key: Any, range_key: Any) -> None:
        item = _current(table, hash_key, range_key)
        # moto's own key objects (hashable, equal as moto compares keys); the stored item's, when there is one, so
        # the maps hold no second copy of every key
        key = (hash_key, range_key) if item is None else (item.hash_key, item.range_key)
        with self.lock:
            for name, value in self.placed.pop(key, ()):
                _remove(self.partitions[name], value, key)
            if item is None:
                return
            places = []
            for name, attrs in self.partition_attrs.items():
                values = [item.attrs.get(attr) for attr in attrs]
                if any(value is None for value in values):
                    continue  # sparse: an item without the index's partition key is not in the index
                value = tuple(_plain(v) for v in values)
                range_attrs = self.range_attrs[name]
                _add(self.partitions[name], value, key,
                     lambda member: pages.facts(_current(table, *member), range_attrs))  # noqa: B023  called here
                places.append((name, value))
            if places:
                self.placed[key] = tuple(places)

    def members(self, table: Any, index_name: str, value: tuple[Any, ...]) -> dict[Any, Any]:
        """table key -> its page facts (None in a partition too small to be worth cutting)."""
        with self.lock:
            members = self.partitions.get(index_name, {}).get(value)
            if members is None:
                return {}
            if not isinstance(members, dict):
                return {members: None}
            if len(members) >= PAGED_FROM and not _paged(members):  # this partition's facts, from now on
                for key in members:
                    members[key] = pages.facts(_current(table, *key), self.range_attrs[index_name])
            return dict(members)


def _paged(members: dict[Any, Any]) -> bool:
    """Whether a partition's members carry their page facts (all of them do, or none)."""
    return next(iter(members.values())) is not None


def _add(partitions: dict[Any, Any], value: Any, key: tuple[Any, Any], facts: Callable[[Any], Any]) -> None:
    members = partitions.get(value)
    if members is None:
        partitions[value] = key
    elif isinstance(members, dict):
        members[key] = facts(key) if _paged(members) else None
    elif members != key:
        partitions[value] = {members: None, key: None}


def _remove(partitions: dict[Any, Any], value: Any, key: tuple[Any, Any]) -> None:
    members = partitions.get(value)
    if isinstance(members, dict):
        members.pop(key, None)
        if len(members) == 1:
            partitions[value] = next(iter(members))
        elif not members:
            del partitions[value]
    elif members is not None and members == key:
        del partitions[value]


def _plain(value: Any) -> Any:
    """A hashable stand-in equal exactly when moto's DynamoType equality holds for key types (S, N, B)."""
    if value.type == "N":
        return ("N", Decimal(value.value))  # equal and hashed alike for 10, 10.0 and 1E+1, as moto compares them
    cast = value.value
    return (value.type, cast if isinstance(cast, (str, bytes)) else repr(cast))


def _current(table: Any, hash_key: Any, range_key: Any) -> Any:
    rows = table.items.get(hash_key)
    if rows is None or table.range_key_attr is None:
        return rows
    return rows.get(range_key)


def _every_item(table: Any) -> list[Any]:
    if table.range_key_attr is None:
        return list(table.items.values())
    return [item for rows in list(table.items.values()) for item in list(rows.values())]


def _maps(table: Any) -> _KeyMaps:
    maps = table.__dict__.get(_MAPS)
    if maps is None:
        maps = _KeyMaps(table)
        table.__dict__[_MAPS] = maps
    return maps


def forget(table: Any) -> None:
    table.__dict__.pop(_MAPS, None)


def replace(table: Any, key: dict[str, Any]) -> None:
    """Re-place the item at `key` (attribute-value form) in the table's maps, if they were built."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    maps = table.__dict__.get(_MAPS)
    if maps is None or table.hash_key_attr not in key:
        return
    if table.range_key_attr is not None and table.range_key_attr not in key:
        return
    range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    maps.place(table, DynamoType(key[table.hash_key_attr]), range_key)


def apply() -> None:
    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.models.table import Table

    backend = dynamodb_models.DynamoDBBackend
    original_all_items = Table.all_items
    original_query = Table.query

    @functools.wraps(original_all_items)
    def all_items(self: Any) -> list[Any]:
        chosen = getattr(_candidates, "items", None)
        return original_all_items(self) if chosen is None else chosen

    signature = inspect.signature(original_query)

    @functools.wraps(original_query)
    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        named = signature.bind(self, *args, **kwargs).arguments
        chosen = _partition(self, named.get("hash_key"), named.get("index_name"), named.get("hash_key_conditions"),
                            named)
        if chosen is None:
            return original_query(self, *args, **kwargs)
        _candidates.items = chosen
        try:
            return original_query(self, *args, **kwargs)
        finally:
            _candidates.items = None

    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]
    _replace_after(backend, "put_item", lambda b, args, kw: [(args[0], _key_of(b, args[0], args[1]))])
    _replace_after(backend, "update_item", lambda b, args, kw: [(args[0], args[1])])
    _replace_after(backend, "delete_item", lambda b, args, kw: [(args[0], args[1])])
    _replace_after(backend, "transact_write_items", lambda b, args, kw: list(_transaction_keys(b, args[0])))
    for name in ("execute_statement", "execute_transaction", "batch_execute_statement", "update_table",
                 "update_table_global_indexes"):
        _forget_after(backend, name)


def _partition(table: Any, hash_key: Any, index_name: str | None, conditions: Any,
               query: dict[str, Any]) -> list[Any] | None:
    """The items of the partition a Query names, in `all_items` order (of a large index partition, only those the
    page can reach); None when the Query is not keyed so."""
    if index_name is None:
        if hash_key is None:
            return None
        rows = table.items.get(hash_key)
        if rows is None:
            return []
        return sorted(rows.values(), key=lambda item: item.range_key) if table.range_key_attr else [rows]
    maps = _maps(table)
    attrs = maps.partition_attrs.get(index_name)
    named = dict(conditions or [])
    if attrs is None or any(attr not in named for attr in attrs):
        return None  # moto reports the invalid index or missing key condition itself
    members = maps.members(table, index_name, tuple(_plain(named[attr]) for attr in attrs))
    keys = pages.reachable(members, maps.range_attrs[index_name], table, query)
    found = [item for item in (_current(table, *key) for key in keys) if item is not None]
    return sorted(found, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)


def _key_of(backend: Any, table_name: str, attrs: dict[str, Any]) -> dict[str, Any]:
    table = backend.tables.get(table_name)
    if table is None:
        return {}
    return {name: attrs[name] for name in (table.hash_key_attr, table.range_key_attr) if name and name in attrs}


def _transaction_keys(backend: Any, transact_items: list[dict[str, Any]]) -> Iterable[tuple[str, dict[str, Any]]]:
    for entry in transact_items:
        for op in entry.values():
            name = op.get("TableName")
            yield name, op.get("Key") or _key_of(backend, name, op.get("Item") or {})


def _replace_after(backend: type, name: str, keys: Callable[[Any, tuple[Any, ...], dict[str, Any]], Any]) -> None:
    """After the write (whether it succeeded, failed or rolled back), re-place every item it names."""

    def afterwards(self: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        for table_name, key in keys(self, args, kwargs):
            table = self.tables.get(table_name)
            if table is not None and isinstance(key, dict):
                replace(table, key)

    _after(backend, name, afterwards)


def _forget_after(backend: type, name: str) -> None:
    _after(backend, name, lambda self, args, kwargs: [forget(table) for table in list(self.tables.values())])


def _after(backend: type, name: str, afterwards: Callable[[Any, tuple[Any, ...], dict[str, Any]], Any]) -> None:
    original = getattr(backend, name)

    @functools.wraps(original)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, *args, **kwargs)
        finally:
            afterwards(self, args, kwargs)

    setattr(backend, name, run)
