"""The access-log query builder: one SQL for DuckDB and Athena. Run on DuckDB over generated batch files and
compared with a brute-force scan (duplicates, every filter, keyset paging through every page); its Athena form
parsed in the Trino dialect; hostile values stay values."""

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from shared.adapters.duckdb_access_engine import DuckDbAccessEngine
from shared.models.access_search import AccessQuery
from shared.services.access_query import access_sql, athena_literal, holds_sql, inline, table_name
from tests.contract_batches import consumer_tag_of, parquet_bytes, synthetic_rows

START = datetime(2026, 10, 1, tzinfo=UTC)
END = START + timedelta(days=30)


class LocalBatches:
    """The batch objects as files already on disk (the S3 side is tested under moto)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.asked: list[tuple[date, date]] = []

    def files(self, first_day: date, last_day: date) -> list[str]:
        self.asked.append((first_day, last_day))
        return sorted(str(path) for path in self.root.glob("date=*/*.parquet")
                      if first_day.isoformat() <= path.parent.name[5:] <= last_day.isoformat())


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """40 batches over 30 days; 5% of events delivered twice (a later copy in a later batch)."""
    root = tmp_path_factory.mktemp("batches")
    rows = synthetic_rows(4000, consumers=25, start=START)
    rng = random.Random(3)
    copies = [row.__class__(**{**row.__dict__, "recorded_at": row.recorded_at + timedelta(seconds=rng.randrange(1, 90)),
                                 "envelope": row.envelope + " "})
              for row in rng.sample(rows, 200)]
    everything = rows + copies
    by_day: dict[date, list] = {}
    for row in everything:
        by_day.setdefault(row.recorded_at.date(), []).append(row)
    for day, day_rows in by_day.items():
        folder = root / f"date={day.isoformat()}"
        folder.mkdir()
        half = len(day_rows) // 2
        for number, part in enumerate((day_rows[:half], day_rows[half:])):
            if part:
                (folder / f"batch-{number}.parquet").write_bytes(parquet_bytes(part))
    return root, everything


def brute(rows, query: AccessQuery):
    """Every stored row, each event once as its earliest copy, filtered and ordered by hand."""
    earliest = {}
    for row in rows:
        if not (query.recorded_from <= row.recorded_at <= query.recorded_to):
            continue
        if any(value is not None and getattr(row, name) != value for name, value in (
                ("consumer_tag", query.consumer_tag), ("actor_tag", query.actor_tag), ("action", query.action),
                ("service", query.service))):
            continue
        best = earliest.get(row.event_id)
        if best is None or (row.recorded_at, row.event_hash) < (best.recorded_at, best.event_hash):
            earliest[row.event_id] = row
    return sorted(((r.recorded_at, r.event_id) for r in earliest.values()), reverse=True)


def page_through(engine, query: AccessQuery):
    seen, pages = [], 0
    while True:
        rows = engine.search(query)
        pages += 1
        page = rows[:query.limit]
        seen += [(row.recorded_at, row.event_id) for row in page]
        if len(rows) <= query.limit:
            return seen, pages
        query = AccessQuery(**{**query.__dict__, "before": (page[-1].recorded_at, page[-1].event_id)})


QUERIES = [
    {"consumer_tag": consumer_tag_of(3)},
    {"consumer_tag": consumer_tag_of(4), "action": "read"},
    {"service": "crm", "action": "export"},
    {"actor_tag": None, "service": "billing", "recorded_from": START + timedelta(days=10, hours=5),
     "recorded_to": START + timedelta(days=12, minutes=7)},
    {},
]


@pytest.mark.parametrize("criteria", QUERIES)
def test_paging_through_every_page_equals_a_brute_force_scan(stored, criteria):
    root, rows = stored
    engine = DuckDbAccessEngine(LocalBatches(root))
    query = AccessQuery(**{"recorded_from": START, "recorded_to": END, "limit": 37, **criteria})

    seen, pages = page_through(engine, query)

    expected = brute(rows, query)
    assert seen == expected
    assert len(expected) > 0 and pages == len(expected) // 37 + 1
    assert len({event_id for _, event_id in seen}) == len(seen)  # duplicates shown once


def test_each_event_is_shown_as_its_earliest_copy(stored):
    root, rows = stored
    engine = DuckDbAccessEngine(LocalBatches(root))
    found = {row.event_id: row for row in engine.search(AccessQuery(START, END, limit=10_000))}
    earliest = {}
    for row in rows:
        if row.event_id not in earliest or row.recorded_at < earliest[row.event_id].recorded_at:
            earliest[row.event_id] = row
    assert len(found) == len(earliest)
    assert all(found[i].envelope == earliest[i].envelope and found[i].recorded_at == earliest[i].recorded_at
               for i in earliest)


def test_only_the_partitions_of_the_range_and_a_day_of_delivery_margin_are_read(stored):
    root, _ = stored
    batches = LocalBatches(root)
    engine = DuckDbAccessEngine(batches)
    engine.search(AccessQuery(START + timedelta(days=3, hours=1), START + timedelta(days=5, hours=2),
                              consumer_tag=consumer_tag_of(1)))
    engine.search(AccessQuery(START, END, before=(START + timedelta(days=2, hours=3), "z")))

    assert batches.asked == [(date(2026, 10, 4), date(2026, 10, 7)), (date(2026, 10, 1), date(2026, 10, 4))]


HOSTILE = ["x' OR '1'='1", "crm'; DROP TABLE access_events; --", "a\\' OR 1=1 --", "é'\"?$1\u0000", "?"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_match_nothing_on_duckdb(stored, value):
    root, _ = stored
    engine = DuckDbAccessEngine(LocalBatches(root))
    assert engine.search(AccessQuery(START, END, service=value, consumer_tag=value, action=value)) == []


@pytest.mark.parametrize("value", HOSTILE)
def test_the_athena_form_parses_as_trino_with_hostile_values_kept_as_one_literal(value):
    query = AccessQuery(START, END, consumer_tag=consumer_tag_of(1), actor_tag="a" * 64, action="read",
                        service=value, before=(START + timedelta(days=2), "0190-id"), limit=50)
    sql = access_sql(query, table_name("ccpa_audit", "access_events"))

    tree = sqlglot.parse_one(inline(sql), dialect="trino")

    equals = {node.this.name: node.expression.this for node in tree.find_all(exp.EQ)
              if isinstance(node.this, exp.Column) and isinstance(node.expression, exp.Literal)}
    assert equals == {"consumer_tag": consumer_tag_of(1), "actor_tag": "a" * 64, "action": "read", "service": value,
                      "copy": "1"}
    filtered = {column.name for node in tree.find_all(exp.Where) for column in node.find_all(exp.Column)}
    assert filtered == {"date", "recorded_at", "consumer_tag", "actor_tag", "action", "service", "event_id", "copy"}
    assert not list(tree.find_all(exp.Drop)) and len(list(tree.find_all(exp.Select))) == 2
    table = next(tree.find_all(exp.Table))
    assert (table.db, table.name) == ("ccpa_audit", "access_events")
    assert tree.args["limit"].expression.this == "51"


def test_the_athena_form_prunes_by_date_and_orders_newest_first():
    query = AccessQuery(datetime(2026, 11, 2, 7, 30, tzinfo=UTC), datetime(2026, 11, 5, 8, tzinfo=UTC))
    text = inline(access_sql(query, table_name("db", "t")))
    tree = sqlglot.parse_one(text, dialect="trino")

    between = [node for node in tree.find_all(exp.Between) if node.this.name == "date"]
    assert [(b.args["low"].sql("trino"), b.args["high"].sql("trino")) for b in between] == [
        ("'2026-11-02'", "'2026-11-06'")]
    assert "TIMESTAMP '2026-11-02 07:30:00.000'" in text
    assert tree.args["order"].sql("trino") == "ORDER BY recorded_at DESC, event_id DESC"


def test_literals_and_names():
    assert athena_literal("it's") == "'it''s'"
    assert athena_literal(date(2026, 1, 2)) == "DATE '2026-01-02'"
    assert athena_literal(datetime(2026, 1, 2, 3, 4, 5, 678999, tzinfo=UTC)) == "TIMESTAMP '2026-01-02 03:04:05.678'"
    with pytest.raises(ValueError):
        athena_literal(datetime(2026, 1, 2))
    with pytest.raises(TypeError):
        athena_literal(3.5)
    with pytest.raises(ValueError):
        table_name('db"; DROP', "t")


def test_a_consumers_rows_for_an_export_are_paged_to_the_end_each_once(stored, monkeypatch):
    from shared.services import access_log

    root, rows = stored
    monkeypatch.setattr(access_log, "EXPORT_PAGE", 7)
    engine = DuckDbAccessEngine(LocalBatches(root))

    found = access_log.consumer_access_rows(engine, consumer_tag_of(6), START, END, now=END)

    expected = brute(rows, AccessQuery(START, END, consumer_tag=consumer_tag_of(6)))
    assert [(r.recorded_at, r.event_id) for r in found] == expected and len(expected) > 7 * 10


def test_holds_finds_a_stored_event_only_in_the_days_asked(stored):
    root, rows = stored
    row = rows[100]
    day = row.recorded_at.date()
    batches = LocalBatches(root)
    engine = DuckDbAccessEngine(batches)

    assert engine.holds(row.event_id, day - timedelta(days=8), day)
    assert not engine.holds(row.event_id, day + timedelta(days=1), day + timedelta(days=9))  # other partitions
    assert not engine.holds("no-such-event", START.date(), END.date())
    assert batches.asked[0] == (day - timedelta(days=8), day)


@pytest.mark.parametrize("value", HOSTILE)
def test_the_athena_form_of_holds_parses_as_trino_with_the_id_as_one_literal(value, stored):
    sql = holds_sql(value, date(2026, 11, 1), date(2026, 11, 9), table_name("ccpa_audit", "access_events"))

    tree = sqlglot.parse_one(inline(sql), dialect="trino")

    equals = {node.this.name: node.expression.this for node in tree.find_all(exp.EQ)}
    assert equals == {"event_id": value}
    (between,) = tree.find_all(exp.Between)
    assert (between.args["low"].sql("trino"), between.args["high"].sql("trino")) == ("'2026-11-01'", "'2026-11-09'")
    assert tree.args["limit"].expression.this == "1"
    assert not DuckDbAccessEngine(LocalBatches(stored[0])).holds(value, START.date(), END.date())
