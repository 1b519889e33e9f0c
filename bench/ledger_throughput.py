"""Ledger throughput on one core: sealing leaves into in-memory tiles, and verifying a bundle offline."""

import time

from bench.table import row

LEAVES = 1_000_000
BUNDLE_EVENTS = 100_000
SEAL_TARGET = 400_000
VERIFY_TARGET = 60_000


def run():
    line, rate = _seal()
    yield line
    yield row("seal, leaves/s", f"{rate:,.0f}", f">= {SEAL_TARGET:,}", rate >= SEAL_TARGET)
    line, rate = _verify()
    yield line
    yield row(f"`ccpa-audit verify`, {BUNDLE_EVENTS:,} events, events/s", f"{rate:,.0f}", f">= {VERIFY_TARGET:,}",
              rate >= VERIFY_TARGET)


def _seal() -> tuple[str, float]:
    """What the sealer computes per leaf: leaf data, leaf hash, and the tile hashes (levels 0, 1, 2 ...)."""
    import hashlib

    from shared.ledger import merkle

    hashes = [hashlib.sha256(i.to_bytes(8, "big")).hexdigest() for i in range(LEAVES)]
    tag = "ab" * 32
    start = time.perf_counter()
    leaves = [merkle.leaf_hash(merkle.leaf_data(h, tag)) for h in hashes]
    hashed = time.perf_counter()
    tiles = merkle.tile_contents(leaves)
    done = time.perf_counter()
    rate = LEAVES / (done - start)
    return (f"seal: {LEAVES:,} leaves into {len(tiles):,} in-memory tiles in {done - start:.2f} s = {rate:,.0f} "
            f"leaves/s; leaf data + leaf hash {hashed - start:.2f} s, tree and tiles {done - hashed:.2f} s"), rate


def _verify() -> tuple[str, float]:
    from shared.ledger.verify_bundle import verify_bundle
    from tests.bundles import build_bundle, synthetic_envelopes

    lines = synthetic_envelopes(requests=BUNDLE_EVENTS // 10, per_request=10)
    bundle = build_bundle(lines, [BUNDLE_EVENTS // 2, BUNDLE_EVENTS])
    start = time.perf_counter()
    report = verify_bundle(bundle)
    elapsed = time.perf_counter() - start
    assert report.ok, report.failures[:3]
    rate = report.events / elapsed
    return (f"verify: {report.events:,} events ({report.requests:,} chains, {report.checkpoints} checkpoints) in "
            f"{elapsed:.2f} s = {rate:,.0f} events/s"), rate
