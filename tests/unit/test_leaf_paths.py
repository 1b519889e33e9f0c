"""Paths objects (shared/ledger/leaf_paths.py): fixed-size records, so one event's path is one ranged read whose
bytes alone give it, for every tree shape; the same records always give the same bytes."""

import hashlib

import pytest

from shared.ledger import leaf_paths, merkle
from shared.ledger.leaf_paths import PathRecord


def tree(size):
    leaves = [hashlib.sha256(n.to_bytes(4, "big")).digest() for n in range(size)]
    return leaves, merkle.hash_at_from_leaves(leaves)


@pytest.mark.parametrize(("start", "end"), [(0, 1), (0, 2), (3, 8), (5, 13), (200, 1000), (1023, 1025)])
def test_every_record_read_by_its_range_gives_a_path_that_verifies(start, end):
    leaves, hash_at = tree(end)
    paths = merkle.inclusion_paths(start, end, hash_at)
    picked = list(range(start, end, 3))  # one object's events: some of the batch's leaves, in leaf order
    data = leaf_paths.encode_paths(end, [PathRecord(i, leaves[i], paths[i - start]) for i in picked])
    root = merkle.root_at(end, hash_at)
    for number, index in enumerate(picked):
        offset, length = leaf_paths.record_range(end, number)
        record = leaf_paths.decode_record(end, data[offset:offset + length])
        hashes = [record.path[i:i + 32] for i in range(0, len(record.path), 32)]
        assert (record.leaf_index, record.leaf_hash) == (index, leaves[index])
        assert merkle.verify_inclusion(record.leaf_hash, index, end, hashes, root)
    assert leaf_paths.decode_paths(data) == (end, [leaf_paths.decode_record(end, data[o:o + n]) for o, n in
                                                   (leaf_paths.record_range(end, k) for k in range(len(picked)))])


def test_records_have_the_size_of_the_longest_path_of_the_sealing_tree():
    assert [leaf_paths.depth(n) for n in (1, 2, 3, 4, 5, 1_000_000, 25_900_000_000)] == [0, 1, 2, 2, 3, 20, 35]
    assert leaf_paths.record_size(1_000_000) == 8 + 1 + 32 + 20 * 32
    assert leaf_paths.record_range(1_000_000, 2) == (40 + 2 * 681, 681)


def test_the_same_records_give_the_same_bytes():
    leaves, hash_at = tree(9)
    records = [PathRecord(i, leaves[i], p) for i, p in enumerate(merkle.inclusion_paths(0, 9, hash_at))]
    assert leaf_paths.encode_paths(9, records) == leaf_paths.encode_paths(9, list(records))
    assert leaf_paths.encode_paths(9, records) != leaf_paths.encode_paths(10, records)


@pytest.mark.parametrize("record", [PathRecord(9, b"\1" * 32, b""), PathRecord(0, b"\1" * 31, b""),
                                    PathRecord(0, b"\1" * 32, b"\2" * 33), PathRecord(0, b"\1" * 32, b"\2" * 160)])
def test_a_record_that_cannot_be_a_path_in_the_tree_is_refused(record):
    with pytest.raises(ValueError):
        leaf_paths.encode_paths(9, [record])


def test_bytes_that_are_not_one_record_are_refused():
    leaves, _ = tree(9)
    data = leaf_paths.encode_paths(9, [PathRecord(3, leaves[3], b"\2" * 32)])
    offset, length = leaf_paths.record_range(9, 0)
    with pytest.raises(ValueError):
        leaf_paths.decode_record(9, data[offset:offset + length - 1])
    with pytest.raises(ValueError):
        leaf_paths.decode_record(4, data[offset:offset + length])  # read with another tree's size
    with pytest.raises(ValueError):
        leaf_paths.decode_paths(b"x" * len(data))


def test_a_batch_objects_paths_object_sits_beside_the_log_under_its_day_and_id():
    key = "access/batches/date=2026-11-30/0193a5c2-7d4e-7b21-8c3f-2a9d6e1f4b70.parquet"
    assert leaf_paths.paths_key(key) == "ledger/access-paths/date=2026-11-30/0193a5c2-7d4e-7b21-8c3f-2a9d6e1f4b70.paths"
    with pytest.raises(ValueError):
        leaf_paths.paths_key("events/x.json")
