"""`proofs/inclusion.bin`, bundle v3's proof file (docs/bundle-v3.md): each sealed event's inclusion path against the
checkpoint that sealed it, in binary, with the upper siblings that an event shares with the previous event of the
same checkpoint written once. Pure: standard library only, so the offline verifier needs nothing more.

The file is MAGIC, then one record per sealed event, in the order of events.jsonl:
  a header (big-endian `>BBBHQQ`): event id length, new siblings, kept siblings, batch version length, leaf index,
  tree size; then the event id (UTF-8), the batch version (UTF-8; none when its length is 0) and the new siblings
  (32 bytes each).
The event's path, deepest sibling first, is its new siblings followed by the last `kept` siblings of the path of
the previous record with the same tree size. Neighbouring leaves share every sibling above the level where their
paths meet, so a record holds about two siblings instead of log2(size), and the file stays about 100 bytes an
event where JSON lines of hex took 1,200."""

import itertools
import struct
from collections.abc import Iterable, Iterator
from typing import NamedTuple

MAGIC = b"ccpa-audit/proofs/v3\n"
_HEADER = struct.Struct(">BBBHQQ")
_HASH = 32


class Proof(NamedTuple):
    """One record. `path` is None when the record keeps more siblings than the previous path of its tree size has;
    `event_id` is None when its bytes are not UTF-8 (so it names no event), and so is a batch version that is
    not (then `path` is None too)."""

    event_id: str | None
    leaf_index: int
    tree_size: int
    path: list[bytes] | None
    batch_version: str | None = None


class ProofFileError(ValueError):
    """The file cannot be read on from here (no MAGIC, or it ends inside a record)."""


def encode(proofs: Iterable[Proof]) -> bytes:
    """The file of these proofs, in the order given; ValueError for a field the format cannot hold."""
    out = [MAGIC]
    last: dict[int, list[bytes]] = {}
    for proof in proofs:
        path = proof.path or []
        if proof.event_id is None or proof.batch_version == "" or any(len(h) != _HASH for h in path):
            raise ValueError(f"proof of {proof.event_id!r} cannot be written: no event id, an empty batch version "
                             f"or a sibling that is not {_HASH} bytes")
        kept = _shared_top(last.get(proof.tree_size, []), path)
        event_id, batch = proof.event_id.encode(), (proof.batch_version or "").encode()
        try:
            out.append(_HEADER.pack(len(event_id), len(path) - kept, kept, len(batch), proof.leaf_index,
                                    proof.tree_size))
        except struct.error as error:
            raise ValueError(f"proof of {proof.event_id!r} cannot be written: {error}") from None
        out += [event_id, batch, *path[:len(path) - kept]]
        last[proof.tree_size] = path
    return b"".join(out)


def _shared_top(previous: list[bytes], path: list[bytes]) -> int:
    """How many of the path's last (upper) siblings are the previous path's last ones."""
    kept, limit = 0, min(len(previous), len(path))
    while kept < limit and previous[-1 - kept] == path[-1 - kept]:
        kept += 1
    return kept


def decode(chunks: Iterable[bytes]) -> Iterator[Proof]:
    """The records of the file given as chunks of any sizes, streamed: memory holds one chunk and the last path of
    each tree size. ProofFileError when the file does not start with MAGIC or ends inside a record."""
    return itertools.chain.from_iterable(_records_by_chunk(chunks))


def _records_by_chunk(chunks: Iterable[bytes]) -> Iterator[list[Proof]]:
    """The records each chunk completes, as a list: a tight loop per chunk, no generator step per record."""
    buffer, at, started = b"", 0, False
    last: dict[int, list[bytes]] = {}
    number = 0
    for chunk in chunks:
        buffer = buffer[at:] + chunk
        at = 0
        if not started:
            if len(buffer) < len(MAGIC) and MAGIC.startswith(buffer):
                continue
            if not buffer.startswith(MAGIC):
                raise ProofFileError(f"does not start with {MAGIC!r}: not a bundle v3 proof file")
            at, started = len(MAGIC), True
        at, records = _records(buffer, at, last)
        number += len(records)
        yield records
    if not started:
        raise ProofFileError(f"does not start with {MAGIC!r}: not a bundle v3 proof file")
    if at < len(buffer):
        raise ProofFileError(f"ends inside record {number + 1}")


def _records(buffer: bytes, at: int, last: dict[int, list[bytes]]) -> tuple[int, list[Proof]]:
    """The whole records of `buffer` from `at`, and where the first incomplete one starts."""
    records: list[Proof] = []
    append, unpack, make = records.append, _HEADER.unpack_from, tuple.__new__  # a NamedTuple without its __new__
    header_size, end = _HEADER.size, len(buffer)
    while at + header_size <= end:
        id_length, new, kept, batch_length, index, size = unpack(buffer, at)
        start = at + header_size
        siblings = start + id_length + batch_length
        after = siblings + new * _HASH
        if after > end:
            break
        at = after
        try:
            event_id = buffer[start:start + id_length].decode()
        except UnicodeDecodeError:
            event_id = None
        path: list[bytes] | None = [buffer[p:p + _HASH] for p in range(siblings, after, _HASH)]
        if kept:
            previous = last.get(size, ())
            if kept <= len(previous):
                path += previous[len(previous) - kept:]
            else:
                path = None
        last[size] = path or []
        batch_version = None
        if batch_length:
            try:
                batch_version = buffer[start + id_length:siblings].decode()
            except UnicodeDecodeError:
                path = None
        append(make(Proof, (event_id, index, size, path, batch_version)))
    return at, records
