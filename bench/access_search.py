"""Access-log search over 1,000,000 stored access events: DuckDB's consumer search over the batch objects (as the
local engine reads them, from its file cache) and over their compacted copies (services/access_compaction.py, run
here on the same files), and the bytes an Athena search would scan per consumer in each layout, read from the
Parquet row-group statistics. The data is generated once into a cache directory (ACCESS_BENCH_DIR)."""

import hashlib
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.table import row

EVENTS = 1_000_000
DAYS = 20
OBJECTS_PER_DAY = 5  # 10,000 events per batch object (the contract's largest row group)
CONSUMERS = 100_000
SEARCHES = 20
TARGET_SECONDS = 1.0
ATHENA_USD_PER_TB = 5.0  # us-east-1 list price, README "Cost model"
ATHENA_MIN_BYTES = 10 * 1024 * 1024  # Athena bills at least 10 MB per query
START = datetime(2026, 10, 1, tzinfo=UTC)
FILTERED = ("consumer_tag", "recorded_at", "event_id")  # what the search reads before it knows a row matches
SELECTED = ("event_id", "recorded_at", "action", "service", "event_hash", "envelope", "consumer_tag")


def run() -> list[object]:
    root = Path(os.environ.get("ACCESS_BENCH_DIR") or Path(tempfile.gettempdir()) / "ccpa-bench-access-1m")
    started = time.perf_counter()
    made = _generate(root)
    lines: list[object] = [
        f"access search data: {EVENTS:,} events in {DAYS * OBJECTS_PER_DAY} batch objects under {root} "
        f"({'generated in %.0f s' % (time.perf_counter() - started) if made else 'cached'})"]
    lines += _compact(root)
    raw_line, raw_scan = _duckdb(root)
    compacted_line, compacted_scan = _duckdb(root, compacted=True)
    before, after = _athena_bytes(root.glob("date=*/*.parquet")), _athena_bytes(root.glob("compacted/date=*/*.parquet"))
    return lines + [raw_line, compacted_line,
                    row("DuckDB consumer search, 1,000,000 compacted events (median)",
                        f"{compacted_scan * 1000:.0f} ms",
                        f"< {TARGET_SECONDS * 1000:.0f} ms", compacted_scan < TARGET_SECONDS),
                    *_athena_lines("batch objects", before), *_athena_lines("compacted copies", after),
                    row("Athena bytes per consumer search after compaction (median, lazy reads)",
                        f"{after[0] / 1e6:,.1f} MB (before: {before[0] / 1e6:,.1f} MB)", "less than before",
                        after[0] < before[0])]


def _tag(number: int) -> str:
    return hashlib.sha256(f"consumer-{number}".encode()).hexdigest()


def _generate(root: Path) -> bool:
    """Contract-shaped batch objects with envelopes of a real envelope's size and shape; False when cached."""
    if (root / "DONE").exists():
        return False
    from tests.contract_batches import ContractRow, parquet_bytes

    sample = _sample_envelope()
    rng = random.Random(17)
    per_object = EVENTS // (DAYS * OBJECTS_PER_DAY)
    for day in range(DAYS):
        folder = root / f"date={(START + timedelta(days=day)).date().isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        for number in range(OBJECTS_PER_DAY):
            rows = []
            for _ in range(per_object):
                recorded = START + timedelta(days=day, milliseconds=rng.randrange(86_400_000))
                event_id = str(uuid.UUID(int=rng.getrandbits(128)))
                consumer = _tag(rng.randrange(CONSUMERS))
                envelope = (sample.replace("EVENT_ID", event_id).replace("CONSUMER_TAG", consumer)
                            .replace("NONCE", f"{rng.getrandbits(128):032x}")
                            .replace("RECORDED", recorded.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"))
                rows.append(ContractRow(event_id, hashlib.sha256(event_id.encode()).hexdigest(), consumer,
                                        _tag(-rng.randrange(50)), "read", rng.choice(("crm", "billing")),
                                        recorded - timedelta(seconds=3), recorded, None,
                                        hashlib.sha256(envelope.encode()).hexdigest(), envelope))
            (folder / f"{number}.parquet").write_bytes(parquet_bytes(rows))
    (root / "DONE").write_text("1")
    return True


def _sample_envelope() -> str:
    """A real stored envelope (OCSF body of a typical access event) with placeholders for what varies."""
    from shared.config import Settings
    from shared.ledger.envelope import Actor, build_envelope
    from shared.models.access_events import validate_batch
    from shared.services.access_ocsf import ocsf_details

    now = datetime.now(UTC)
    (event,) = validate_batch({"events": [{
        "event_id": "crm-981234", "occurred_at": (now - timedelta(seconds=3)).isoformat(),
        "actor": {"id": "agent-7@acme.example", "type": "user", "role": "support"}, "action": "read",
        "source": {"service": "crm", "ip": "203.0.113.9"}, "consumer": {"email": "ana@example.com"},
        "data_categories": ["identifiers", "customer_records"], "purpose": "customer support ticket 88",
        "resource": "crm/contacts/ana"}]})
    envelope = build_envelope(event_id="EVENT_ID", type="data_access", actor=Actor(type="service", id="crm-prod"),
                              occurred_at=now, recorded_at=now, record_type="access_event",
                              retain_until=now + timedelta(days=731), consumer_tag="CONSUMER_TAG",
                              details=ocsf_details(event, now, Settings().data_category_map), nonce="NONCE")
    data = envelope.to_json_dict()
    data["recorded_at"] = "RECORDED"
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


class _Files:
    def __init__(self, root: Path) -> None:
        self.root = root

    def files(self, first_day: date, last_day: date) -> list[str]:
        return sorted(str(p) for p in self.root.glob("date=*/*.parquet")
                      if first_day.isoformat() <= p.parent.name[5:] <= last_day.isoformat())


class _FileStore:
    """The bench's files as the compactor's ports: `access/batches/<rest>` is `root/<rest>`, and
    `access/compacted/<rest>` is `root/compacted/<rest>` (version ids are the keys: files are written once)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        from shared.models.access_batch import PREFIX
        from shared.models.access_compaction import COMPACTED_PREFIX

        if key.startswith(COMPACTED_PREFIX):
            return self.root / "compacted" / key.removeprefix(COMPACTED_PREFIX)
        return self.root / key.removeprefix(PREFIX)

    def under(self, prefix: str) -> list[tuple[str, str]]:
        folder = self._path(prefix)
        return [(prefix + p.name, prefix + p.name) for p in sorted(folder.glob("*.parquet"))]

    def get_version(self, key: str, version_id: str) -> bytes:
        return self._path(key).read_bytes()

    def retained_until(self, key: str, version_id: str) -> None:
        return None

    def put_new(self, key: str, body: bytes, **_: object) -> str:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        return key


class _Watermark:
    def __init__(self, day: date | None) -> None:
        self.day = day

    def compacted_before(self) -> date | None:
        return self.day


def _compact(root: Path) -> list[object]:
    """Every day compacted by the product's service (once; cached with the data)."""
    from shared.config import Settings
    from shared.services.access_compaction import compact_day

    done = root / "compacted" / "DONE"
    if done.exists():
        return [f"compacted copies: cached ({done.read_text()})"]
    store, events, began = _FileStore(root), 0, time.perf_counter()
    cpu = time.process_time()
    now = START + timedelta(days=DAYS + 1)
    for day in range(DAYS):
        day_start = (START + timedelta(days=day)).date()
        events += compact_day(store, store, Settings(), day_start, now).events  # type: ignore[arg-type]
    took, cpu = time.perf_counter() - began, time.process_time() - cpu
    text = (f"{events:,} events compacted in {took:.0f} s ({events / cpu:,.0f} events per CPU-second, "
            "write and read-back check included)")
    done.write_text(text)
    return [f"compacted copies: {text}"]


def _duckdb(root: Path, compacted: bool = False) -> tuple[str, float]:
    from shared.adapters.duckdb_access_engine import DuckDbAccessEngine
    from shared.models.access_search import AccessQuery

    watermark = _Watermark((START + timedelta(days=DAYS)).date() if compacted else None)
    engine = DuckDbAccessEngine(_Files(root), _Files(root / "compacted"), watermark)  # type: ignore[arg-type]
    rng = random.Random(5)
    end = START + timedelta(days=DAYS)
    took, found = [], 0
    for _ in range(SEARCHES):
        query = AccessQuery(START - timedelta(days=780), end, consumer_tag=_tag(rng.randrange(CONSUMERS)), limit=50)
        begin = time.perf_counter()
        found += len(engine.search(query))
        took.append(time.perf_counter() - begin)
    median, worst = statistics.median(took), max(took)
    verdict = "meets" if median < TARGET_SECONDS else "misses"
    layout = "compacted copies" if compacted else "batch objects"
    return (f"DuckDB consumer search over {EVENTS:,} stored events, {layout} (files cached locally, 800-day "
            f"window): median {median * 1000:.0f} ms, slowest {worst * 1000:.0f} ms over {SEARCHES} consumers "
            f"({found / SEARCHES:.1f} events each); target < {TARGET_SECONDS:.0f} s: {verdict}"), median


def _athena_bytes(paths: Iterable[Path]) -> tuple[float, float, int, int, int]:
    """Per consumer: the column chunks of the row groups whose consumer_tag min/max admit the tag. `upper` reads
    every selected column of those row groups; `lazy` reads the filter columns there and the rest only in row
    groups that really hold the consumer (Trino's lazy column reads). Returns the medians (lazy, upper), the median
    row groups admitted, all row groups, and the bytes stored."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    groups = []  # (min, max, {column: compressed bytes}, set of tags)
    total = 0
    for path in sorted(paths):
        meta = pq.ParquetFile(path).metadata
        tags = pq.read_table(path, columns=["consumer_tag"])
        offset = 0
        for index in range(meta.num_row_groups):
            group = meta.row_group(index)
            sizes = {group.column(c).path_in_schema: group.column(c).total_compressed_size
                     for c in range(group.num_columns)}
            total += sum(sizes.values())
            stats = group.column(list(sizes).index("consumer_tag")).statistics
            held = set(pc.unique(tags.column(0).slice(offset, group.num_rows)).to_pylist())
            offset += group.num_rows
            groups.append((stats.min, stats.max, sizes, held))
    rng = random.Random(5)
    upper, lazy, admitted_counts = [], [], []
    for _ in range(SEARCHES):
        tag = _tag(rng.randrange(CONSUMERS))
        admitted = [g for g in groups if g[0] <= tag <= g[1]]
        admitted_counts.append(len(admitted))
        upper.append(sum(g[2][c] for g in admitted for c in SELECTED))
        lazy.append(sum(g[2][c] for g in admitted for c in FILTERED)
                    + sum(g[2][c] for g in admitted if tag in g[3] for c in SELECTED if c not in FILTERED))
    return (statistics.median(lazy), statistics.median(upper), round(statistics.median(admitted_counts)),
            len(groups), total)


def _athena_lines(layout: str, figures: tuple[float, float, int, int, int]) -> list[str]:
    lazy, upper, admitted, groups, total = figures
    billed = max(lazy, ATHENA_MIN_BYTES)
    return [
        f"Athena bytes scanned per consumer search over {EVENTS:,} events, {layout} ({total / 1e6:,.0f} MB stored, "
        f"{groups} row groups): median {lazy / 1e6:,.1f} MB with lazy column reads, {upper / 1e6:,.1f} MB if every "
        f"admitted row group were read whole; row groups admitted by min/max: {admitted} of {groups}",
        f"Athena cost per consumer search, {layout}, at ${ATHENA_USD_PER_TB:.0f}/TB (10 MB minimum): "
        f"${billed / 1e12 * ATHENA_USD_PER_TB:.6f}",
    ]
