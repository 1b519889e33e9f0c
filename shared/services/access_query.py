"""One query builder for the access log's two engines: DuckDB over the batch objects (local) and Athena over the
Glue table of the same objects (AWS). Both run the same SQL text; only the relation (`source`) differs.

Every value is a `?` parameter: DuckDB binds Python values, Athena gets them as `ExecutionParameters` literals
(`athena_literal`, quotes doubled). Identifiers come from configuration and are checked, never from a request.

The SQL prunes partitions by `date` (the day a batch was received), filters the clustered `consumer_tag` column
(row-group statistics skip what cannot match), de-duplicates by `event_id` (at-least-once delivery may store an
event twice: each event shows once, as its earliest copy) and returns one page newest first by
(recorded_at DESC, event_id DESC) after the keyset position `before`, plus one row to tell whether more follow.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from shared.models.access_batches import AccessQuery

SELECTED = "event_id, recorded_at, action, service, event_hash, envelope"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")


@dataclass(frozen=True)
class Sql:
    text: str
    params: list[Any]  # in placeholder order: str, date or aware datetime


def access_sql(query: AccessQuery, source: str) -> Sql:
    first_day, last_day = query.days()
    conditions = ['"date" BETWEEN ? AND ?', "recorded_at BETWEEN ? AND ?"]
    # `date` is text (yyyy-MM-dd sorts as it reads) in both the Glue table and DuckDB's partition column.
    params: list[Any] = [first_day.isoformat(), last_day.isoformat(), query.recorded_from, query.recorded_to]
    for column, value in (("consumer_tag", query.consumer_tag), ("actor_tag", query.actor_tag),
                          ("action", query.action), ("service", query.service)):
        if value is not None:
            conditions.append(f"{column} = ?")
            params.append(value)
    if query.before:
        # Inside the de-duplication too: each event's earliest copy is still the one kept, on exactly one page.
        conditions.append("(recorded_at < ? OR (recorded_at = ? AND event_id < ?))")
        params.extend([query.before[0], query.before[0], query.before[1]])
    text = (f"SELECT {SELECTED} FROM ("
            f"SELECT {SELECTED}, row_number() OVER (PARTITION BY event_id ORDER BY recorded_at, event_hash) AS copy "
            f"FROM {source} WHERE {' AND '.join(conditions)}"
            f") AS found WHERE copy = 1 ORDER BY recorded_at DESC, event_id DESC LIMIT {int(query.limit) + 1}")
    return Sql(text, params)


def holds_sql(event_id: str, first_day: date, last_day: date, source: str) -> Sql:
    """One row if a batch object of these days holds the event (a stored event not sealed yet has no leaf)."""
    text = f'SELECT event_id FROM {source} WHERE "date" BETWEEN ? AND ? AND event_id = ? LIMIT 1'
    return Sql(text, [first_day.isoformat(), last_day.isoformat(), event_id])


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
