"""Paths objects: the inclusion paths of one sealed batch object's events (docs/access-events.md, section 9).

The sealer writes one per batch object it seals, create-only and locked like the batch, at
`ledger/access-paths/date=YYYY-MM-DD/<batch_id>.paths`. Records have a fixed size given by the sealing
checkpoint's size, so a reader that knows that size (the object's sealed-batch marker) and an event's record number
(its leaf item) reads the event's path with one ranged GET. Pure: bytes in, bytes out.

Layout, big-endian. Header (40 bytes): MAGIC zero-padded to 24 bytes, the sealing checkpoint's size `n` (u64), the
depth `D = (n - 1).bit_length()` (u32: no path in a tree of n leaves is longer) and the record count (u32). Then one
record per event, in leaf order, `41 + 32 * D` bytes each: the leaf index (u64), the path's length (u8), the leaf
hash (32 bytes: which leaf the record is about), and the path against the checkpoint of size n (hashes deepest
first, zero-filled after its length).
"""

import struct
from collections.abc import Sequence
from typing import NamedTuple

from shared.ledger.merkle import HASH_SIZE
from shared.models.access_batch import PREFIX as BATCH_PREFIX

PREFIX = "ledger/access-paths/"
MAGIC = b"ccpa-audit-leaf-paths-v1"
_HEADER = struct.Struct(">24sQII")
_RECORD_HEAD = struct.Struct(">QB32s")
HEADER_SIZE = _HEADER.size


class PathRecord(NamedTuple):
    leaf_index: int
    leaf_hash: bytes
    path: bytes  # concatenated 32-byte hashes, deepest first


def paths_key(batch_key: str) -> str:
    """The paths object of a batch object: its key's date and batch id under PREFIX."""
    if not batch_key.startswith(BATCH_PREFIX) or not batch_key.endswith(".parquet"):
        raise ValueError(f"not a batch object key: {batch_key}")
    return PREFIX + batch_key.removeprefix(BATCH_PREFIX).removesuffix(".parquet") + ".paths"


def depth(size: int) -> int:
    if size < 1:
        raise ValueError(f"a sealing checkpoint holds at least one leaf, not {size}")
    return (size - 1).bit_length()


def record_size(size: int) -> int:
    return _RECORD_HEAD.size + HASH_SIZE * depth(size)


def record_range(size: int, record: int) -> tuple[int, int]:
    """(offset, length) of record number `record` in the paths object of a checkpoint of `size` leaves."""
    return HEADER_SIZE + record * record_size(size), record_size(size)


def encode_paths(size: int, records: Sequence[PathRecord]) -> bytes:
    """The paths object; the same records give the same bytes (a rerun after a crash writes what is there)."""
    width = depth(size)
    padding = [bytes(HASH_SIZE * (width - hashes)) for hashes in range(width + 1)]
    out = [_HEADER.pack(MAGIC, size, width, len(records))]
    for index, leaf, path in records:  # about a microsecond a record: the sealer runs it for every leaf
        hashes = len(path) >> 5
        if hashes << 5 != len(path) or hashes > width or len(leaf) != HASH_SIZE or not 0 <= index < size:
            raise ValueError(f"leaf {index} has no valid path record in a tree of {size}")
        out += (_RECORD_HEAD.pack(index, hashes, leaf), path, padding[hashes])
    return b"".join(out)


def decode_record(size: int, data: bytes) -> PathRecord:
    """One record as a ranged GET returns it; ValueError when the bytes cannot be one."""
    if len(data) != record_size(size):
        raise ValueError(f"a path record in a tree of {size} has {record_size(size)} bytes, not {len(data)}")
    index, hashes, leaf = _RECORD_HEAD.unpack_from(data)
    if hashes > depth(size) or index >= size:
        raise ValueError(f"a path record claims leaf {index} and {hashes} hashes in a tree of {size}")
    start = _RECORD_HEAD.size
    return PathRecord(index, leaf, data[start:start + hashes * HASH_SIZE])


def decode_paths(data: bytes) -> tuple[int, list[PathRecord]]:
    """(sealing checkpoint size, every record) of a whole paths object."""
    magic, size, width, count = _HEADER.unpack_from(data)
    if magic.rstrip(b"\0") != MAGIC or width != depth(size) or len(data) != HEADER_SIZE + count * record_size(size):
        raise ValueError("not a paths object")
    return size, [decode_record(size, data[offset:offset + length])
                  for offset, length in (record_range(size, number) for number in range(count))]
