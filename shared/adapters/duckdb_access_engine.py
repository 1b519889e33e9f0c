"""Access-log search on embedded DuckDB over the batch objects and their compacted copies (the local engine;
Athena on AWS)."""

import threading
from collections.abc import Callable
from datetime import UTC, date
from typing import Any

from shared.models.access_search import AccessQuery, AccessRow
from shared.observability import tracer
from shared.ports import CompactionState
from shared.services.access_query import COMPACTED, Source, Sql, access_sql, day_sources, holds_sql


class DuckDbAccessEngine:
    """`batches` and `compacted` give the local files of the batch objects and of the compacted copies received
    on a range of days; without a watermark every day is read from the batch objects."""

    def __init__(self, batches: Any, compacted: Any = None, watermark: CompactionState | None = None) -> None:
        import duckdb  # deferred: only the local engine needs it (the Lambda layer does not ship it)

        self._batches = batches
        self._compacted = compacted
        self._watermark = watermark if compacted is not None else None
        self._db = duckdb.connect(":memory:")
        self._db.execute("SET TimeZone = 'UTC'")
        self._lock = threading.Lock()  # one connection; each search takes its own cursor

    @tracer.capture_method(capture_response=False)
    def search(self, query: AccessQuery) -> list[AccessRow]:
        rows = self._run(lambda source: access_sql(query, source), *query.days())
        return [AccessRow(row["event_id"], row["recorded_at"].astimezone(UTC), row["action"], row["service"],
                          row["event_hash"], row["envelope"]) for row in rows]

    @tracer.capture_method(capture_response=False)
    def holds(self, event_id: str, first_day: date, last_day: date) -> bool:
        return bool(self._run(lambda source: holds_sql(event_id, first_day, last_day, source), first_day, last_day))

    def _run(self, build: Callable[[list[Source]], Sql], first_day: date, last_day: date) -> list[dict[str, Any]]:
        """The rows of the query `build` makes over the stored objects of these days, each day from one copy."""
        watermark = self._watermark.compacted_before() if self._watermark else None
        sources = []
        for layout, first, last in day_sources(first_day, last_day, watermark):
            files = (self._compacted if layout == COMPACTED else self._batches).files(first, last)
            if files:
                paths = ", ".join("'" + path.replace("'", "''") + "'" for path in files)  # our own cache paths
                sources.append(Source(f"read_parquet([{paths}], hive_partitioning = true, "
                                      "hive_types_autocast = false)", first, last))
        if not sources:
            return []
        sql = build(sources)
        with self._lock:
            cursor = self._db.cursor()
        try:
            # Arrow keeps the UTC timestamps as they are (fetchall would need pytz to build time zones).
            return cursor.sql(sql.text, params=sql.params).to_arrow_table().to_pylist()
        finally:
            cursor.close()
