"""Corrections to the pinned moto emulator for a long-running local stack. They change how moto keeps its own
state, never what our code sends or what AWS would answer, and they refuse to apply to any other moto version.

- Instance tracking: every moto model object is appended to a class-level list that is only read by the moto
  dashboard and by `reset`, so a server that runs for hours keeps every item it ever built (and every copy).
- Transaction rollback: `TransactWriteItems` deep-copies every table it touches before it starts, which costs time
  and memory in proportion to the whole table. Here it saves only the items the transaction names.
- Write isolation: moto checks a condition and then writes, with no lock, so two concurrent conditional writes can
  both pass. DynamoDB and S3 apply each write (and each transaction) atomically; one lock restores that. Kinesis
  puts take it too: moto numbers a shard's next record from its last one, so two concurrent puts could take the
  same sequence number and one record would be lost.
- Kinesis shard reads: moto finds a shard's last sequence number by listing every record, and a read by walking
  the shard from its first record, so puts and reads cost in proportion to all the stream ever held. Sequence
  numbers are consecutive from 1 within a shard, so both are direct lookups here (any other shape: moto's walk).
- Query cost: moto lists and sorts the whole table for every Query; `emulator_query_index` gives it only the
  partition the Query names, and of a large partition only the items the page can reach (`emulator_query_pages`).
- Item memory: moto keeps an item as a dict of objects (about 5 KB for one of our index items);
  `emulator_packed_items` keeps it pickled while no call uses it; `emulator_s3_bodies` keeps a small S3 body
  as bytes rather than a spooled file; `emulator_s3_keys` lets object records share their default ACL.
- Server routing: `emulator_dispatch` remembers which service answers each host instead of listing moto's package
  directory and trying every service's URL patterns, under one lock, for every request.
- S3 server access logs: moto writes a log object per request to a logged bucket; `emulator_s3_access_logs`
  delivers many records per log file, as S3 does.
- DynamoDB answers: moto's serializer asks up to six alias providers for every member of every value it writes;
  `emulator_dynamodb_responses` writes the plain dicts DynamoDB's results are from each output shape compiled once.
- Item building: moto re-measures a whole item for every attribute it adds (quadratic); `emulator_item_size`
  measures it once, refusing exactly what moto refuses.
- Version listings: moto deep-copies every version in a bucket for each ListObjectVersions;
  `emulator_s3_versions` lets it copy only the keys the page can hold.
- SQS clock: moto computes "now" from datetimes for every message of a queue on each send and receive;
  `emulator_sqs_clock` reads it as a number.
"""

import copy
import functools
import threading
from collections.abc import Callable
from typing import Any

from ccpa_audit.local import (
    emulator_dispatch,
    emulator_dynamodb_responses,
    emulator_item_size,
    emulator_packed_items,
    emulator_query_index,
    emulator_s3_access_logs,
    emulator_s3_bodies,
    emulator_s3_keys,
    emulator_s3_versions,
    emulator_sqs_clock,
)

PINNED_MOTO = "5.2.5"
DYNAMODB_WRITES = ("put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items",
                   "execute_statement", "execute_transaction", "batch_execute_statement")
WRITE_LOCK = threading.RLock()
_applied = False


class EmulatorVersionError(RuntimeError):
    """The corrections were written against one moto version; another may store its state differently."""


def apply() -> None:
    """Apply every correction once per process (idempotent)."""
    global _applied
    if _applied:
        return
    import moto

    if moto.__version__ != PINNED_MOTO:
        raise EmulatorVersionError(f"emulator fixes are for moto {PINNED_MOTO}, found {moto.__version__}")
    _stop_instance_tracking()
    _rollback_only_named_items()
    emulator_packed_items.apply(DYNAMODB_WRITES)  # before the lock is wrapped around them: items pack under it
    _serialize_writes()
    _direct_shard_reads()
    emulator_s3_bodies.apply()
    emulator_s3_keys.apply()
    emulator_query_index.apply()  # after the rollback fix, so a restored item is re-placed in the key maps
    emulator_dispatch.apply()
    emulator_s3_access_logs.apply()
    emulator_sqs_clock.apply()
    emulator_dynamodb_responses.apply()
    emulator_s3_versions.apply()
    emulator_item_size.apply()
    _applied = True


def _stop_instance_tracking() -> None:
    from moto.core import common_models

    def untracked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
        return object.__new__(cls)

    common_models.BaseModel.__new__ = untracked_new  # type: ignore[method-assign, assignment]


class _TablesByReference:
    """Stands in for the `copy` module inside moto's DynamoDB backend: a table 'snapshot' is the table itself, so
    moto's own rollback (which puts the snapshot back) is a no-op; the named items are restored by
    `_journaled_transaction`. Every other deep copy is a real one."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if isinstance(value, self._table_type):
            return value
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _rollback_only_named_items() -> None:
    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.models.table import Table

    dynamodb_models.copy = _TablesByReference(Table)  # type: ignore[assignment]
    original = dynamodb_models.DynamoDBBackend.transact_write_items

    @functools.wraps(original)
    def journaled(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = [_save(self, op) for item in transact_items for op in item.values()]
        try:
            original(self, transact_items)
        except Exception:
            for restore in reversed([entry for entry in saved if entry is not None]):
                restore()
            raise

    dynamodb_models.DynamoDBBackend.transact_write_items = journaled  # type: ignore[method-assign]


def _save(backend: Any, op: dict[str, Any]) -> Callable[[], None] | None:
    """A closure that puts back the item `op` names exactly as it is now (or removes it if it does not exist)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    table = backend.tables.get(op.get("TableName"))
    if table is None:
        return None
    attrs = op.get("Item") or op.get("Key") or {}
    if table.hash_key_attr not in attrs or (table.range_key_attr and table.range_key_attr not in attrs):
        return None  # moto refuses the operation itself before it writes anything
    hash_value = DynamoType(attrs[table.hash_key_attr])
    range_value = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
    before = copy.deepcopy(table.get_item(hash_value, range_value))

    def restore() -> None:
        if range_value is None:
            if before is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = before
            return
        rows = table.items[hash_value]
        if before is None:
            rows.pop(range_value, None)
            if not rows:
                table.items.pop(hash_value, None)
        else:
            rows[range_value] = before

    return restore


def _serialize_writes() -> None:
    from moto.dynamodb.responses import DynamoHandler
    from moto.kinesis.responses import KinesisResponse
    from moto.s3.responses import S3Response

    writes = {
        DynamoHandler: DYNAMODB_WRITES,
        S3Response: ("_key_response_put", "_key_response_delete", "_key_response_post"),
        KinesisResponse: ("put_record", "put_records"),
    }
    for handler, names in writes.items():
        for name in names:
            setattr(handler, name, _locked(getattr(handler, name)))


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def run(*args: Any, **kwargs: Any) -> Any:
        with WRITE_LOCK:
            return method(*args, **kwargs)

    return run


def _direct_shard_reads() -> None:
    from moto.kinesis.models import Shard

    walk = Shard.get_records

    def consecutive(records: Any) -> bool:
        return not records or next(reversed(records)) - next(iter(records)) + 1 == len(records)

    def get_records(self: Any, last_sequence_id: str, limit: int | None) -> tuple[list[Any], int, int]:
        if not consecutive(self.records):
            return walk(self, last_sequence_id, limit)
        last = int(last_sequence_id)
        if not self.records:
            return [], last, 0
        newest = self.records[next(reversed(self.records))]
        found, number = [], max(last + 1, next(iter(self.records)))
        while number in self.records and (limit is None or len(found) < limit):
            found.append(self.records[number])
            number += 1
        if not found:
            return [], last, 0
        return found, found[-1].sequence_number, int((newest.created_at - found[-1].created_at) * 1000)

    Shard.get_records = get_records
    Shard.get_max_sequence_number = lambda self: next(reversed(self.records), 0)
    Shard.get_min_sequence_number = lambda self: next(iter(self.records), 0)
