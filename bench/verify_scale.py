"""Offline verify at 100,000 events (issue 16): `ccpa-audit verify` on a compressed bundle zip of the format exports
write (v3), in a child process on one core, with its events/s and peak RSS, and the bundle's size.
`VERIFY_BENCH_COMPARE=1` also verifies the same events as a v2 bundle (proofs.jsonl), at the same load."""

import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from bench.table import row

EVENTS = int(os.environ.get("VERIFY_BENCH_EVENTS", "100000"))
CHECKPOINTS = 4  # sealer runs: each event's proof is against the one that sealed it
TARGET = 60_000
VERSIONS = (3, 2) if os.environ.get("VERIFY_BENCH_COMPARE") else (3,)


def run() -> list:
    from shared.ledger.bundle_format import to_zip
    from tests.bundles import build_bundle, synthetic_envelopes

    lines = synthetic_envelopes(requests=EVENTS // 10, per_request=10)
    sizes = [EVENTS * (i + 1) // CHECKPOINTS for i in range(CHECKPOINTS)]
    out: list = []
    with tempfile.TemporaryDirectory() as folder:
        for version in VERSIONS:
            path = Path(folder) / f"bundle-v{version}.zip"
            path.write_bytes(to_zip(build_bundle(lines, sizes, version=version)))
            took, cpu, peak, text = _verify_in_child(path)
            if "OK" not in text:
                raise RuntimeError(f"the bench bundle did not verify:\n{text}")
            rate = EVENTS / cpu
            with zipfile.ZipFile(path) as archive:
                proofs = sum(i.compress_size for i in archive.infolist() if i.filename.startswith("proofs"))
            if version == VERSIONS[0]:
                out += [row(f"`ccpa-audit verify`, {EVENTS:,} events, events/s (one core, CPU time)", f"{rate:,.0f}",
                            f">= {TARGET:,}", rate >= TARGET),
                        row(f"`ccpa-audit verify`, {EVENTS:,} events, peak RSS", f"{peak / 2**20:.0f} MB",
                            "<= 250 MB", peak <= 250 * 2**20)]
            out.append(f"verify: {EVENTS:,} events (v{version} zip, one core) in {cpu:.2f} s CPU = {rate:,.0f} "
                       f"events/s (target >= {TARGET:,}; wall {took:.2f} s = {EVENTS / took:,.0f}/s); peak RSS "
                       f"{peak / 2**20:.0f} MB (target <= 250 MB); bundle {path.stat().st_size / 2**20:.1f} MB "
                       f"deflated, its proofs {proofs / 2**20:.1f} MB")
    return out


def _verify_in_child(bundle: Path) -> tuple[float, float, int, str]:
    """Wall and CPU time of the verification alone (the child is single-threaded: on a shared machine its CPU time
    is what one core spends) and the child's own peak RSS (VmHWM: ru_maxrss would count the forked parent's pages),
    all reported by the child."""
    code = ("import re, sys, time; from pathlib import Path; from ccpa_audit.cli import run_verify; "
            "t, c = time.perf_counter(), time.process_time(); rc = run_verify(sys.argv[1]); "
            "print(f'ELAPSED {time.perf_counter() - t}'); print(f'CPU {time.process_time() - c}'); "
            "print('PEAK', re.search(r'VmHWM:\\s+(\\d+)', Path('/proc/self/status').read_text())[1]); "
            "sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code, str(bundle)], capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parent.parent)
    figures = dict(line.split(" ", 1) for line in done.stdout.splitlines()
                   if line.startswith(("ELAPSED", "CPU", "PEAK")))
    if len(figures) < 3:
        raise RuntimeError(f"the verify child failed:\n{done.stdout}\n{done.stderr}")
    return float(figures["ELAPSED"]), float(figures["CPU"]), int(figures["PEAK"]) * 1024, done.stdout


if __name__ == "__main__":
    started = time.perf_counter()
    for line in run():
        print(line)
    print(f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)
