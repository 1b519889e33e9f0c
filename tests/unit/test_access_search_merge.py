"""Merging the engine's page with the index's page under one cursor, and the Athena adapter's waiting and
paging (a fake client: no network)."""

from datetime import UTC, datetime, timedelta

import pytest

from shared.adapters.athena_access_engine import AthenaAccessEngine
from shared.errors import StorageUnavailableError
from shared.models.access_search import AccessQuery
from shared.services.access_log import merge_pages


def entries(*pairs):
    return [(pos, ident, ident) for pos, ident in pairs]


def test_a_page_holds_only_what_every_source_has_covered():
    index = entries(("2026-11-05", "i5"), ("2026-11-01", "i1"))
    engine = entries(("2026-11-04", "e4"), ("2026-11-03", "e3"))  # the engine has more below e3

    page, cursor = merge_pages(index + engine, [None, "2026-11-03"], limit=3)

    assert page == ["i5", "e4", "e3"] and cursor == "2026-11-03"  # i1 waits for the next page


def test_a_short_page_ends_at_the_newest_frontier_and_a_full_one_at_its_last_item():
    found = entries(("5", "a"), ("4", "b"), ("2", "c"))
    assert merge_pages(found, [None, "4"], limit=10) == (["a", "b"], "4")
    assert merge_pages(found, [None, None], limit=2) == (["a", "b"], "4")
    assert merge_pages(found, [None, None], limit=3) == (["a", "b", "c"], None)


def test_an_event_in_both_sources_is_listed_once():
    page, cursor = merge_pages(entries(("5", "a"), ("5", "a"), ("4", "b")), [None, None], limit=5)
    assert page == ["a", "b"] and cursor is None


class FakeAthena:
    def __init__(self, states, pages):
        self.states = list(states)
        self.pages = list(pages)
        self.started = []
        self.stopped = []

    def start_query_execution(self, **params):
        self.started.append(params)
        return {"QueryExecutionId": "q-1"}

    def get_query_execution(self, QueryExecutionId):
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return {"QueryExecution": {"Status": {"State": state, "StateChangeReason": "why"}}}

    def get_query_results(self, **params):
        return self.pages.pop(0)

    def stop_query_execution(self, QueryExecutionId):
        self.stopped.append(QueryExecutionId)


def rows(*values, header=False):
    names = ["event_id", "recorded_at", "action", "service", "event_hash", "envelope"]
    out = [{"Data": [{"VarCharValue": n} for n in names]}] if header else []
    return out + [{"Data": [{"VarCharValue": v} for v in row]} for row in values]


QUERY = AccessQuery(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC), consumer_tag="ab")


def test_athena_waits_then_reads_every_results_page_skipping_the_header_once():
    first = ("e2", "2026-11-02 10:00:00.250", "read", "crm", "h2", "{}")
    second = ("e1", "2026-11-01 09:00:00.000", "update", "billing", "h1", "{}")
    client = FakeAthena(["QUEUED", "RUNNING", "SUCCEEDED"], [
        {"ResultSet": {"Rows": rows(first, header=True)}, "NextToken": "t"},
        {"ResultSet": {"Rows": rows(second)}}])

    found = AthenaAccessEngine(client, database="db", table="t", workgroup="wg", sleep=lambda _: None).search(QUERY)

    assert [(r.event_id, r.recorded_at) for r in found] == [
        ("e2", datetime(2026, 11, 2, 10, 0, 0, 250000, tzinfo=UTC)), ("e1", datetime(2026, 11, 1, 9, tzinfo=UTC))]
    (started,) = client.started
    assert started["WorkGroup"] == "wg" and started["QueryExecutionContext"] == {"Database": "db"}
    assert "ResultConfiguration" not in started  # the workgroup's enforced location
    assert started["ExecutionParameters"][:2] == ["'2026-11-01'", "'2026-11-04'"]
    assert "'ab'" in started["ExecutionParameters"] and '"db"."t"' in started["QueryString"]


def test_a_failed_query_is_a_503_and_a_slow_one_is_stopped():
    failed = FakeAthena(["FAILED"], [])
    with pytest.raises(StorageUnavailableError):
        AthenaAccessEngine(failed, database="db", table="t", workgroup="wg", sleep=lambda _: None).search(QUERY)
    assert failed.stopped == []

    slow = FakeAthena(["RUNNING"], [])
    clock = iter(range(1000))
    engine = AthenaAccessEngine(slow, database="db", table="t", workgroup="wg", timeout_seconds=-1,
                                sleep=lambda _: next(clock))
    with pytest.raises(StorageUnavailableError):
        engine.search(QUERY)
    assert slow.stopped == ["q-1"]


def test_a_query_names_the_partitions_of_its_range_and_cursor_plus_a_day_of_delivery():
    query = AccessQuery(datetime(2026, 11, 1, 23, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC),
                        before=(datetime(2026, 11, 10, 5, tzinfo=UTC), "x"))
    assert [d.isoformat() for d in query.days()] == ["2026-11-01", "2026-11-11"]
    late = AccessQuery(datetime(2026, 11, 1, tzinfo=UTC) - timedelta(hours=9), datetime(2026, 11, 2, tzinfo=UTC))
    assert late.days()[0].isoformat() == "2026-10-31"


def test_a_cursor_where_the_index_stopped_at_a_month_end_is_the_next_months_start_for_the_engine():
    from shared.errors import ValidationError
    from shared.services.access_log import _keyset

    assert _keyset("2019-03-\uffff") == (datetime(2019, 4, 1, tzinfo=UTC), "")
    assert _keyset("2019-12-\uffff") == (datetime(2020, 1, 1, tzinfo=UTC), "")
    assert _keyset("2026-11-02T10:00:00.250Z#e-1") == (datetime(2026, 11, 2, 10, 0, 0, 250000, tzinfo=UTC), "e-1")
    with pytest.raises(ValidationError):
        _keyset("not-a-time#x")
