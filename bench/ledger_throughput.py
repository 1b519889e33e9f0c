"""Ledger throughput on one core: sealing leaves into in-memory tiles, and verifying a bundle offline."""

import time

LEAVES = 1_000_000
BUNDLE_EVENTS = 100_000


def run() -> list[str]:
    return [_seal(), _verify()]


def _seal() -> str:
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
            f"leaves/s (target >= 300,000); leaf data + leaf hash {hashed - start:.2f} s, tree and tiles "
            f"{done - hashed:.2f} s")


def _verify() -> str:
    from shared.ledger.verify_bundle import verify_bundle
    from tests.bundles import build_bundle, synthetic_envelopes

    lines = synthetic_envelopes(requests=BUNDLE_EVENTS // 10, per_request=10)
    bundle = build_bundle(lines, [BUNDLE_EVENTS // 2, BUNDLE_EVENTS])
    start = time.perf_counter()
    report = verify_bundle(bundle)
    elapsed = time.perf_counter() - start
    assert report.ok, report.failures[:3]
    return (f"verify: {report.events:,} events ({report.requests:,} chains, {report.checkpoints} checkpoints) in "
            f"{elapsed:.2f} s = {report.events / elapsed:,.0f} events/s (target >= 50,000)")
