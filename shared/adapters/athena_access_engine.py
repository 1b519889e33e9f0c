"""Access-log search on Amazon Athena over the Glue tables of the batch objects and of their compacted copies
(partition projection on `date`; the compaction watermark picks each day's table).

The same SQL as the local engine (services/access_query.py), its values sent as execution parameters. A search
waits for its query (polling get_query_execution) up to a deadline below the API's own timeout.
"""

import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from shared.errors import StorageUnavailableError
from shared.models.access_search import AccessQuery, AccessRow
from shared.observability import logger, tracer
from shared.ports import CompactionState
from shared.services.access_query import (BATCHES, COMPACTED, Source, Sql, access_sql, athena_literal, day_sources,
                                          holds_sql, table_name)

DONE = {"SUCCEEDED", "FAILED", "CANCELLED"}


class AthenaAccessEngine:
    def __init__(self, client: Any, *, database: str, table: str, workgroup: str, output_location: str = "",
                 compacted_table: str = "", watermark: CompactionState | None = None,
                 timeout_seconds: float = 20.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self._athena = client
        self._database = database
        self._tables = {BATCHES: table_name(database, table)}
        if compacted_table and watermark is not None:
            self._tables[COMPACTED] = table_name(database, compacted_table)
        self._watermark = watermark
        self._workgroup = workgroup
        self._output = output_location
        self._timeout = timeout_seconds
        self._sleep = sleep

    @tracer.capture_method(capture_response=False)
    def search(self, query: AccessQuery) -> list[AccessRow]:
        return [AccessRow(event_id, datetime.fromisoformat(recorded_at).replace(tzinfo=UTC), action, service,
                          event_hash, envelope)
                for event_id, recorded_at, action, service, event_hash, envelope
                in self._run(access_sql(query, self._sources(*query.days())))]

    @tracer.capture_method(capture_response=False)
    def holds(self, event_id: str, first_day: date, last_day: date) -> bool:
        return any(True for _ in self._run(holds_sql(event_id, first_day, last_day,
                                                     self._sources(first_day, last_day))))

    def _sources(self, first_day: date, last_day: date) -> list[Source]:
        """Each day from one table: the compacted table before the compaction watermark, the batch table after."""
        watermark = self._watermark.compacted_before() if COMPACTED in self._tables and self._watermark else None
        return [Source(self._tables[layout], first, last) for layout, first, last in
                day_sources(first_day, last_day, watermark)]

    def _run(self, sql: Sql) -> Iterator[list[Any]]:
        """The query's result rows as text cells, once it has succeeded."""
        params: dict[str, Any] = {
            "QueryString": sql.text,
            "QueryExecutionContext": {"Database": self._database},
            "WorkGroup": self._workgroup,
            "ExecutionParameters": [athena_literal(value) for value in sql.params],
        }
        if self._output:  # otherwise the workgroup's enforced result location
            params["ResultConfiguration"] = {"OutputLocation": self._output}
        query_id = self._athena.start_query_execution(**params)["QueryExecutionId"]
        self._wait(query_id)
        yield from self._rows(query_id)

    def _wait(self, query_id: str) -> None:
        deadline, delay = time.monotonic() + self._timeout, 0.1
        while True:
            status = self._athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
            if status["State"] == "SUCCEEDED":
                return
            if status["State"] in DONE or time.monotonic() > deadline:
                logger.error("access search query did not succeed", extra={"query_execution_id": query_id,
                             "state": status["State"], "reason": status.get("StateChangeReason")})
                if status["State"] not in DONE:
                    self._athena.stop_query_execution(QueryExecutionId=query_id)
                raise StorageUnavailableError("The access-log search engine did not answer in time.")
            self._sleep(delay)
            delay = min(delay * 2, 1.0)

    def _rows(self, query_id: str) -> Iterator[list[Any]]:
        params: dict[str, Any] = {"QueryExecutionId": query_id, "MaxResults": 1000}
        header = True
        while True:
            page = self._athena.get_query_results(**params)
            rows = page["ResultSet"]["Rows"]
            if header:  # the first row of the first page names the columns
                rows, header = rows[1:], False
            for row in rows:
                yield [cell.get("VarCharValue") for cell in row["Data"]]
            if not page.get("NextToken"):
                return
            params["NextToken"] = page["NextToken"]
