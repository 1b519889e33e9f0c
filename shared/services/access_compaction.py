"""Compacting the access log's closed days (shared/models/access_compaction.py): each day's batch objects rewritten
as objects sorted by consumer tag, so a consumer's search skips other consumers' row groups.

Exact or not at all: every part is checked, read back from the store, against the day's batch objects (each
event id of the day exactly once, each row one of that event's stored copies) before the watermark moves past the
day. Keys are fixed by (day, part, parts), so a run that crashed after writing some parts leaves them to be found
and checked by the next run, never doubled; until the watermark moves, search reads the day's batch objects.
"""

from datetime import date, datetime, timedelta

from shared.config import Settings
from shared.errors import CompactionMismatchError, EvidenceExistsError
from shared.ledger.retention import minimum_retain_until, retain_until
from shared.models.access_batch import PREFIX as BATCH_PREFIX
from shared.models.access_search import partition_prefix
from shared.models.access_compaction import (CompactionResult, DayCompacted, compacted_key, compacted_partition,
                                             last_closed_day, part_bounds, part_count, parts_of)
from shared.models.domain import RecordType
from shared.ports import CompactionState, EvidenceStore, PrefixObjects

CONTENT_TYPE = "application/vnd.apache.parquet"


def compact_closed_days(objects: PrefixObjects, evidence: EvidenceStore, state: CompactionState,
                        settings: Settings, now: datetime, max_days: int) -> CompactionResult:
    """Compact the days after the watermark, oldest first, up to the last closed day (at most `max_days`)."""
    watermark = state.compacted_before()
    day = watermark or _first_day(objects)
    done: list[DayCompacted] = []
    while day is not None and day <= last_closed_day(now) and len(done) < max_days:
        done.append(compact_day(objects, evidence, settings, day, now))
        if not state.advance(watermark, day + timedelta(days=1)):
            break  # another run moved it first: it checked the same parts
        watermark = day = day + timedelta(days=1)
    return CompactionResult(tuple(done), watermark)


def compact_day(objects: PrefixObjects, evidence: EvidenceStore, settings: Settings, day: date,
                now: datetime) -> DayCompacted:
    """Write (or find) the day's compacted parts and check them; CompactionMismatchError if they are not exact."""
    from shared.ledger import parquet_batches as parquet  # pyarrow: loaded by the compactor only

    sources = objects.under(partition_prefix(day))
    existing = dict(objects.under(compacted_partition(day)))
    bodies = [evidence.get_version(key, version) for key, version in sources]
    parts = _planned_parts(existing, sum(parquet.row_count(body) for body in bodies), day)
    until = max([retain_until(RecordType.ACCESS_EVENT, now, settings),
                 *(t for t in (evidence.retained_until(k, v) for k, v in sources) if t is not None)])
    expected: dict[str, list[tuple[str, str]]] = {}
    written = 0
    for part in range(parts):
        low, high = part_bounds(part, parts)
        body = parquet.compact_tables([parquet.read_tag_range(data, low, high) for data in bodies])
        if body is None:
            continue  # no consumer of the day in this tag range: no object
        key = compacted_key(day, part, parts)
        expected[key] = parquet.event_digests(body)
        if key in existing:
            continue
        try:
            evidence.put_new(key, body, retain_until=until, content_type=CONTENT_TYPE,
                             minimum_retain_until=minimum_retain_until(RecordType.ACCESS_EVENT, now))
            written += 1
        except EvidenceExistsError:
            pass  # a concurrent run wrote it first: checked below like any other part
    stored = dict(objects.under(compacted_partition(day)))
    _check(day, {pair for body in bodies for pair in parquet.event_digests(body)}, expected,
           {key: parquet.event_digests(evidence.get_version(key, version)) for key, version in stored.items()})
    return DayCompacted(day, sum(map(len, expected.values())), len(sources), written, len(stored) - written)


def _planned_parts(existing: dict[str, str], rows: int, day: date) -> int:
    """The parts a first run planned (adopted, so a rerun after a change of ROWS_PER_PART still matches it), or
    the parts for this many rows."""
    planned = {parts_of(key) for key in existing}
    if not planned:
        return part_count(rows)
    if len(planned) > 1 or None in planned:
        raise CompactionMismatchError(f"compacted objects of {day} do not come from one plan: {sorted(existing)}")
    return next(parts for parts in planned if parts is not None)


def _check(day: date, copies: set[tuple[str, str]], expected: dict[str, list[tuple[str, str]]],
           stored: dict[str, list[tuple[str, str]]]) -> None:
    """Every event id of the day's batch objects (their (event_id, event_hash) `copies`) exactly once across the
    stored parts, each as one of its stored copies, and each part as this run would write it."""
    found = [pair for pairs in stored.values() for pair in pairs]
    ids = {event_id for event_id, _ in found}
    if set(stored) != set(expected):
        raise CompactionMismatchError(f"compacted objects of {day}: stored {sorted(stored)}, "
                                      f"planned {sorted(expected)}")
    if len(ids) != len(found) or ids != {event_id for event_id, _ in copies} or not set(found) <= copies:
        raise CompactionMismatchError(f"compacted objects of {day} do not hold each of its {len(copies)} stored "
                                      f"copies' events exactly once ({len(found)} rows, {len(ids)} ids)")
    if any(sorted(stored[key]) != sorted(pairs) for key, pairs in expected.items()):
        raise CompactionMismatchError(f"a compacted object of {day} differs from what its part should hold")


def _first_day(objects: PrefixObjects) -> date | None:
    key = objects.first_after(BATCH_PREFIX)
    return date.fromisoformat(key.removeprefix(BATCH_PREFIX)[5:15]) if key else None
