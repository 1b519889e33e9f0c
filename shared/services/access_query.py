"""One query builder for the access log's two engines: DuckDB over the batch objects (local) and Athena over the
Glue tables of the same objects (AWS). Both run the same SQL text; only the relations (`Source`) differ.

Every value is a `?` parameter: DuckDB binds Python values, Athena gets them as `ExecutionParameters` literals
(`athena_literal`, quotes doubled). Identifiers come from configuration and are checked, never from a request.

The SQL prunes partitions by `date` (the day a batch was received), reads each day from one copy (the compacted
copy before the compaction watermark, the batch objects after: `day_sources`), filters the clustered
`consumer_tag` column (row-group statistics skip what cannot match), de-duplicates by `event_id` (at-least-once
delivery may store an event twice: each event shows once, as its earliest copy) and returns one page newest first
by (recorded_at DESC, event_id DESC) after the keyset position `before`, plus one row to tell whether more follow.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.models.access_search import AccessQuery

SELECTED = "event_id, recorded_at, action, service, event_hash, envelope"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")


@dataclass(frozen=True)
class Sql:
    text: str
    params: list[Any]  # in placeholder order: str, date or aware datetime


@dataclass(frozen=True)
class Source:
    """A relation and the `date` partitions read from it (both ends inclusive)."""

    relation: str
    first_day: date
    last_day: date


COMPACTED, BATCHES = "compacted", "batches"


def day_sources(first_day: date, last_day: date, compacted_before: date | None) -> list[tuple[str, date, date]]:
    """Which copy serves which days: the compacted copy for days before the watermark, the batch objects from it
    on. Each day from exactly one, so no event is counted twice (copies across days are de-duplicated anyway)."""
    if compacted_before is None or compacted_before <= first_day:
        return [(BATCHES, first_day, last_day)]
    if compacted_before > last_day:
        return [(COMPACTED, first_day, last_day)]
    return [(COMPACTED, first_day, compacted_before - timedelta(days=1)), (BATCHES, compacted_before, last_day)]


def access_sql(query: AccessQuery, sources: str | Sequence[Source]) -> Sql:
    """One page of `query`; a plain relation name reads the query's days from that relation alone."""
    conditions = ["recorded_at BETWEEN ? AND ?"]
    params: list[Any] = [query.recorded_from, query.recorded_to]
    for column, value in (("consumer_tag", query.consumer_tag), ("actor_tag", query.actor_tag),
                          ("action", query.action), ("service", query.service)):
        if value is not None:
            conditions.append(f"{column} = ?")
            params.append(value)
    if query.before:
        # Inside the de-duplication too: each event's earliest copy is still the one kept, on exactly one page.
        conditions.append("(recorded_at < ? OR (recorded_at = ? AND event_id < ?))")
        params.extend([query.before[0], query.before[0], query.before[1]])
    numbered = f"{SELECTED}, row_number() OVER (PARTITION BY event_id ORDER BY recorded_at, event_hash) AS copy"
    stored = _stored(_sources(sources, *query.days()), numbered, SELECTED, conditions, params)
    text = (f"SELECT {SELECTED} FROM ({stored.text}) AS found WHERE copy = 1 "
            f"ORDER BY recorded_at DESC, event_id DESC LIMIT {int(query.limit) + 1}")
    return Sql(text, stored.params)


def holds_sql(event_id: str, first_day: date, last_day: date, sources: str | Sequence[Source]) -> Sql:
    """One row if a stored object of these days holds the event (a stored event not sealed yet has no leaf)."""
    stored = _stored(_sources(sources, first_day, last_day), "event_id", "event_id", ["event_id = ?"], [event_id])
    return Sql(f"{stored.text} LIMIT 1", stored.params)


def _sources(sources: str | Sequence[Source], first_day: date, last_day: date) -> Sequence[Source]:
    if isinstance(sources, str):
        return [Source(sources, first_day, last_day)]
    if not sources:
        raise ValueError("a query reads at least one source")
    return sources


def _stored(sources: Sequence[Source], columns: str, branch_columns: str, conditions: list[str],
            params: list[Any]) -> Sql:
    """`SELECT columns` over the sources' partitions and conditions: one relation read directly, or the union of
    each source's own days (the filters inside every branch, so each engine prunes and skips row groups)."""
    # `date` is text (yyyy-MM-dd sorts as it reads) in the Glue tables and DuckDB's partition column.
    where = " AND ".join(['"date" BETWEEN ? AND ?', *conditions])
    values: list[Any] = []
    for source in sources:
        values += [source.first_day.isoformat(), source.last_day.isoformat(), *params]
    if len(sources) == 1:
        return Sql(f"SELECT {columns} FROM {sources[0].relation} WHERE {where}", values)
    union = " UNION ALL ".join(f"SELECT {branch_columns} FROM {source.relation} WHERE {where}" for source in sources)
    return Sql(f"SELECT {columns} FROM ({union}) AS stored", values)


def table_name(*parts: str) -> str:
    """A quoted, checked (catalog.)database.table name."""
    for part in parts:
        if not _IDENTIFIER.match(part):
            raise ValueError(f"not a table or database name: {part!r}")
    return ".".join(f'"{part}"' for part in parts)


def athena_literal(value: Any) -> str:
    """A parameter as Athena (Trino) literal text. Strings double their quotes; Trino strings have no backslash
    escapes, so nothing else can end the literal."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        moment = value.astimezone(UTC)
        return f"TIMESTAMP '{moment:%Y-%m-%d %H:%M:%S}.{moment.microsecond // 1000:03d}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no Athena literal for {type(value).__name__}")


def inline(sql: Sql) -> str:
    """The query with its parameters written as literals (for reading and parsing; the engines bind them)."""
    pieces = sql.text.split("?")
    if len(pieces) != len(sql.params) + 1:
        raise ValueError("placeholders and parameters differ")
    out = pieces[0]
    for value, piece in zip(sql.params, pieces[1:], strict=True):
        out += athena_literal(value) + piece
    return out
