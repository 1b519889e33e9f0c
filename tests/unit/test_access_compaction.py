"""Compaction of closed access-log days (services/access_compaction.py) with in-memory ports, and search over the
compacted copies: the same results as over the batch objects alone (DuckDB, every page), fewer row groups
admitted, and an Athena form that still parses as Trino."""

import io
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlglot
from sqlglot import exp

from shared.adapters.duckdb_access_engine import DuckDbAccessEngine
from shared.ledger.parquet_batches import event_digests
from shared.config import Settings
from shared.errors import CompactionMismatchError
from shared.models import access_compaction as model
from shared.models.access_batch import SCHEMA
from shared.models.access_search import AccessQuery, batch_key
from shared.models.access_compaction import (COMPACTED_PREFIX, compacted_key, last_closed_day, part_bounds,
                                             part_count, parts_of)
from shared.services.access_compaction import compact_closed_days, compact_day
from shared.services.access_query import Source, access_sql, day_sources, holds_sql, inline, table_name
from tests.contract_batches import consumer_tag_of, parquet_bytes, synthetic_rows
from tests.fakes import CrashingPuts, FakeCompactionState, FakeEvidenceStore, FakePrefixObjects
from tests.unit.test_access_query import LocalBatches, brute, page_through

START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 6
END = START + timedelta(days=DAYS)
NOW = END + timedelta(days=1, hours=3)  # every stored day is closed
SETTINGS = Settings()


class Store:
    """Batch objects in a fake evidence store, with duplicates inside a day and across days."""

    def __init__(self, rows_per_day_object: int = 150) -> None:
        self.evidence = FakeEvidenceStore()
        self.objects = FakePrefixObjects(self.evidence)
        self.state = FakeCompactionState()
        rng = random.Random(11)
        rows = synthetic_rows(DAYS * 3 * rows_per_day_object, consumers=40, start=START,
                              span_seconds=DAYS * 86400)
        copies = [r.__class__(**{**r.__dict__, "recorded_at": r.recorded_at + timedelta(seconds=rng.randrange(1, 90)),
                                 "envelope": r.envelope + " "}) for r in rng.sample(rows, 60)]
        self.rows = rows + copies + rng.sample(rows, 20)  # exact copies too (a retried write of the same row)
        by_day: dict[date, list] = {}
        for row in self.rows:
            by_day.setdefault(row.recorded_at.date(), []).append(row)
        for day, day_rows in sorted(by_day.items()):
            for number in range(3):
                part = day_rows[number::3]
                self.evidence.put_new(batch_key(day, f"0190-{number}"), parquet_bytes(part),
                                      retain_until=datetime(day.year + 2, day.month, day.day, tzinfo=UTC),
                                      minimum_retain_until=START)

    def compact(self, now: datetime = NOW, max_days: int = 99):
        return compact_closed_days(self.objects, self.evidence, self.state, SETTINGS, now, max_days)

    def write_files(self, root: Path) -> None:
        """The evidence store's objects as files in their `date=` folders (what the S3 cache holds locally)."""
        for key, (body, _, _) in self.evidence.objects.items():
            path = root / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)


def compacted_ids(store: Store, day: date) -> list[str]:
    return [event_id for key, (body, _, _) in store.evidence.objects.items()
            if key.startswith(f"{COMPACTED_PREFIX}date={day}/") for event_id, _ in event_digests(body)]


def test_parts_cover_every_tag_once_and_keys_name_their_plan():
    tags = ["", "0" * 64, "7fffffff" + "f" * 56, "80000000" + "0" * 56, "f" * 64, consumer_tag_of(3)]
    for parts in (1, 2, 3, 7, 16):
        bounds = [part_bounds(part, parts) for part in range(parts)]
        for tag in tags:
            owners = [p for p, (low, high) in enumerate(bounds)
                      if (low is None or tag >= low) and (high is None or tag < high)]
            assert len(owners) == 1
        assert [high for _, high in bounds[:-1]] == [low for low, _ in bounds[1:]]
    assert part_bounds(1, 2) == ("80000000", None)
    assert compacted_key(date(2026, 10, 2), 3, 8) == "access/compacted/date=2026-10-02/part-0003-of-0008.parquet"
    assert parts_of(compacted_key(date(2026, 10, 2), 3, 8)) == 8 and parts_of("access/compacted/x.parquet") is None
    assert part_count(0) == 1 and part_count(model.ROWS_PER_PART + 1) == 2
    with pytest.raises(ValueError):
        compacted_key(date(2026, 10, 2), 8, 8)


def test_a_day_closes_twenty_minutes_after_midnight():
    assert last_closed_day(datetime(2026, 10, 5, 0, 19, tzinfo=UTC)) == date(2026, 10, 3)
    assert last_closed_day(datetime(2026, 10, 5, 0, 20, tzinfo=UTC)) == date(2026, 10, 4)


def test_each_closed_day_is_compacted_once_per_event_sorted_by_tag_and_locked():
    store = Store()
    result = store.compact()

    assert [d.day for d in result.days] == [START.date() + timedelta(days=n) for n in range(DAYS + 1)]
    assert store.state.watermark == END.date() + timedelta(days=1)
    for day in result.days:
        raw = {r.event_id for r in store.rows if r.recorded_at.date() == day.day}
        ids = compacted_ids(store, day.day)
        assert sorted(ids) == sorted(raw) and day.events == len(raw)  # every event, exactly once
        assert day.sources == (3 if raw else 0) and day.written == (1 if raw else 0) and day.found == 0
    key = compacted_key(START.date(), 0, 1)
    body, _, locked_until = store.evidence.objects[key]
    meta = pq.ParquetFile(io.BytesIO(body)).metadata
    assert pq.read_schema(io.BytesIO(body)).equals(SCHEMA, check_metadata=False)
    tags = pq.read_table(io.BytesIO(body), columns=["consumer_tag"]).column(0).to_pylist()
    assert tags == sorted(tags) and meta.row_group(0).column(0).compression == "ZSTD"
    # Locked at least as long as its sources, and never below the floor counted from the write.
    assert locked_until >= datetime(2028, 10, 1, tzinfo=UTC)
    assert locked_until >= NOW + timedelta(days=730)


def test_an_open_day_waits_and_max_days_bounds_a_run():
    store = Store()
    result = store.compact(now=START + timedelta(days=2, minutes=10), max_days=99)  # day 2 is still open
    assert [d.day for d in result.days] == [START.date()]
    assert store.state.watermark == START.date() + timedelta(days=1)
    result = store.compact(max_days=2)
    assert [d.day for d in result.days] == [START.date() + timedelta(days=1), START.date() + timedelta(days=2)]


def test_a_crash_mid_day_leaves_it_uncompacted_and_a_rerun_finishes_it_without_doubling(monkeypatch):
    monkeypatch.setattr(model, "ROWS_PER_PART", 100)  # several parts per day
    store = Store()
    real_put = store.evidence.put_new
    puts = CrashingPuts(real_put, allowed=2)
    monkeypatch.setattr(store.evidence, "put_new", puts)
    with pytest.raises(RuntimeError):
        store.compact()
    assert store.state.watermark is None  # the day is not declared compacted
    assert len(puts.keys) == 2

    monkeypatch.setattr(store.evidence, "put_new", real_put)
    first = store.compact().days[0]

    raw = {r.event_id for r in store.rows if r.recorded_at.date() == START.date()}
    assert first.found == 2 and first.written > 0 and first.events == len(raw)
    assert sorted(compacted_ids(store, START.date())) == sorted(raw)
    assert store.state.watermark == END.date() + timedelta(days=1)


def test_a_rerun_of_a_compacted_day_writes_nothing_and_finds_every_part(monkeypatch):
    monkeypatch.setattr(model, "ROWS_PER_PART", 100)
    store = Store()
    store.compact()
    objects = dict(store.evidence.objects)
    again = compact_day(store.objects, store.evidence, SETTINGS, START.date(), NOW + timedelta(days=3))
    assert again.written == 0 and again.found > 1 and store.evidence.objects == objects
    assert store.compact().days == ()  # the watermark is past every closed day


def test_a_rerun_after_rows_per_part_changed_keeps_the_first_plan(monkeypatch):
    monkeypatch.setattr(model, "ROWS_PER_PART", 100)
    store = Store()
    compact_day(store.objects, store.evidence, SETTINGS, START.date(), NOW)
    monkeypatch.setattr(model, "ROWS_PER_PART", 1_000_000)
    again = compact_day(store.objects, store.evidence, SETTINGS, START.date(), NOW)
    assert again.written == 0 and again.found > 1


def test_a_stray_or_wrong_compacted_object_stops_the_day(monkeypatch):
    store = Store()
    day = START.date()
    other = [r for r in store.rows if r.recorded_at.date() == day + timedelta(days=1)]
    # A part holding another day's events where part 0 of 1 belongs: its ids are not the day's.
    store.evidence.put_new(compacted_key(day, 0, 1), parquet_bytes(other), retain_until=NOW,
                           minimum_retain_until=START)
    with pytest.raises(CompactionMismatchError, match="exactly once"):
        store.compact()
    assert store.state.watermark is None

    store2 = Store()
    store2.evidence.put_new(compacted_key(day, 0, 2), parquet_bytes(other), retain_until=NOW,
                            minimum_retain_until=START)
    store2.evidence.put_new(compacted_key(day, 0, 3), parquet_bytes(other), retain_until=NOW,
                            minimum_retain_until=START)
    with pytest.raises(CompactionMismatchError, match="one plan"):
        store2.compact()


def test_a_part_missing_one_event_is_refused():
    store = Store()
    day = START.date()
    rows = sorted({r.event_id: r for r in store.rows if r.recorded_at.date() == day}.values(),
                  key=lambda r: (r.recorded_at, r.event_hash))
    store.evidence.put_new(compacted_key(day, 0, 1), parquet_bytes(rows[1:]), retain_until=NOW,
                           minimum_retain_until=START)
    with pytest.raises(CompactionMismatchError):
        store.compact()
    assert store.state.watermark is None


def engines(tmp_path: Path, store: Store):
    store.write_files(tmp_path)
    raw = DuckDbAccessEngine(LocalBatches(tmp_path / "access" / "batches"))
    mixed = DuckDbAccessEngine(LocalBatches(tmp_path / "access" / "batches"),
                               LocalBatches(tmp_path / "access" / "compacted"), store.state)
    return raw, mixed


QUERIES = [
    {"consumer_tag": consumer_tag_of(3)},
    {"consumer_tag": consumer_tag_of(4), "action": "read"},
    {"service": "crm", "action": "export"},
    {"recorded_from": START + timedelta(days=2, hours=5), "recorded_to": START + timedelta(days=4, minutes=7)},
    {},
]


@pytest.mark.parametrize("criteria", QUERIES)
def test_search_results_are_the_same_with_and_without_compaction(tmp_path, monkeypatch, criteria):
    monkeypatch.setattr(model, "ROWS_PER_PART", 200)
    store = Store()
    store.compact(max_days=4)  # some days compacted, the rest still read from batch objects
    assert store.state.watermark == START.date() + timedelta(days=4)
    raw, mixed = engines(tmp_path, store)
    query = AccessQuery(**{"recorded_from": START, "recorded_to": END, "limit": 23, **criteria})

    with_compaction, _ = page_through(mixed, query)
    without, _ = page_through(raw, query)

    assert with_compaction == without == brute(store.rows, query) and len(without) > 0
    found = {r.event_id: r.envelope for r in mixed.search(AccessQuery(START, END, limit=100_000))}
    assert found == {r.event_id: r.envelope for r in raw.search(AccessQuery(START, END, limit=100_000))}


def test_search_reads_compacted_days_from_the_copy_and_the_rest_from_batches(tmp_path):
    store = Store()
    store.compact(max_days=3)
    store.write_files(tmp_path)
    batches, compacted = LocalBatches(tmp_path / "access" / "batches"), LocalBatches(tmp_path / "access" / "compacted")
    engine = DuckDbAccessEngine(batches, compacted, store.state)
    row = next(r for r in store.rows if r.recorded_at.date() == START.date())

    engine.search(AccessQuery(START, END, consumer_tag=consumer_tag_of(1)))
    assert engine.holds(row.event_id, START.date(), START.date() + timedelta(days=8))

    assert compacted.asked == [(date(2026, 10, 1), date(2026, 10, 3))] * 2
    assert batches.asked == [(date(2026, 10, 4), date(2026, 10, 8)), (date(2026, 10, 4), date(2026, 10, 9))]


def test_day_sources_split_at_the_watermark():
    d = date(2026, 10, 10)
    assert day_sources(d, d + timedelta(days=3), None) == [("batches", d, d + timedelta(days=3))]
    assert day_sources(d, d + timedelta(days=3), d) == [("batches", d, d + timedelta(days=3))]
    assert day_sources(d, d + timedelta(days=3), d + timedelta(days=9)) == [("compacted", d, d + timedelta(days=3))]
    assert day_sources(d, d + timedelta(days=3), d + timedelta(days=2)) == [
        ("compacted", d, d + timedelta(days=1)), ("batches", d + timedelta(days=2), d + timedelta(days=3))]


def test_the_athena_form_over_both_tables_parses_as_trino():
    query = AccessQuery(START, END, consumer_tag=consumer_tag_of(1), service="x' OR '1'='1",
                        before=(START + timedelta(days=2), "0190-id"), limit=50)
    sources = [Source(table_name("db", "access_events_compacted"), date(2026, 10, 1), date(2026, 10, 3)),
               Source(table_name("db", "access_events"), date(2026, 10, 4), date(2026, 10, 8))]

    tree = sqlglot.parse_one(inline(access_sql(query, sources)), dialect="trino")

    assert {(t.db, t.name) for t in tree.find_all(exp.Table)} == {("db", "access_events_compacted"),
                                                                   ("db", "access_events")}
    assert len(list(tree.find_all(exp.Union))) == 1
    between = sorted((b.args["low"].sql("trino"), b.args["high"].sql("trino"))
                     for b in tree.find_all(exp.Between) if b.this.name == "date")
    assert between == [("'2026-10-01'", "'2026-10-03'"), ("'2026-10-04'", "'2026-10-08'")]
    services = [n.expression.this for n in tree.find_all(exp.EQ) if n.this.name == "service"]
    assert services == ["x' OR '1'='1"] * 2  # the value, once per branch, never SQL
    assert tree.args["limit"].expression.this == "51"

    holds = sqlglot.parse_one(inline(holds_sql("e'1", date(2026, 10, 1), date(2026, 10, 8), sources)),
                              dialect="trino")
    assert [n.expression.this for n in holds.find_all(exp.EQ)] == ["e'1", "e'1"]
    assert holds.args["limit"].expression.this == "1"


def test_compaction_admits_about_one_row_group_per_day_for_a_consumer(monkeypatch, tmp_path):
    monkeypatch.setattr("shared.ledger.parquet_batches.ROW_GROUP_ROWS", 50)
    monkeypatch.setattr(model, "ROW_GROUP_ROWS", 50)
    store = Store(rows_per_day_object=300)
    store.compact()
    store.write_files(tmp_path)
    tag = consumer_tag_of(5)

    def admitted(prefix: str) -> tuple[int, int]:
        groups = [pq.ParquetFile(p).metadata.row_group(g) for p in (tmp_path / prefix).glob("date=*/*.parquet")
                  for g in range(pq.ParquetFile(p).metadata.num_row_groups)]
        stats = [g.column(SCHEMA.names.index("consumer_tag")).statistics for g in groups]
        return sum(1 for s in stats if s.min <= tag <= s.max), len(groups)

    raw_admitted, _ = admitted("access/batches")
    compacted_admitted, _ = admitted("access/compacted")
    days = len(list((tmp_path / "access/compacted").glob("date=*")))
    assert raw_admitted >= 3 * days  # at least one row group in each of a day's three batch objects
    assert compacted_admitted <= 2 * days  # about one a day (two where the tag sits on a boundary)


def test_the_athena_engine_reads_compacted_days_from_the_compacted_table_as_the_watermark_says():
    from shared.adapters.athena_access_engine import AthenaAccessEngine
    from tests.unit.test_access_search_merge import FakeAthena, rows

    state = FakeCompactionState()
    client = FakeAthena(["SUCCEEDED"], [{"ResultSet": {"Rows": rows(header=True)}}] * 3)
    engine = AthenaAccessEngine(client, database="db", table="access_events", workgroup="wg",
                                compacted_table="access_events_compacted", watermark=state, sleep=lambda _: None)
    query = AccessQuery(START, START + timedelta(days=3), consumer_tag=consumer_tag_of(1))

    engine.search(query)  # nothing compacted yet
    state.watermark = START.date() + timedelta(days=2)
    engine.search(query)
    engine.holds("e-1", START.date(), START.date() + timedelta(days=1))  # every day asked is compacted

    tables = [{t.name for t in sqlglot.parse_one(sent["QueryString"], dialect="trino").find_all(exp.Table)}
              for sent in client.started]
    assert tables == [{"access_events"}, {"access_events_compacted", "access_events"}, {"access_events_compacted"}]
    assert client.started[1]["ExecutionParameters"][:2] == ["'2026-10-01'", "'2026-10-02'"]
