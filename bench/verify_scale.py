"""Offline verify at 100,000 events (issue 16): `ccpa-audit verify` on a compressed v2 bundle zip, in a child
process on one core, with its events/s and peak RSS; and the bundle's size against the same events written as the
v1 exporter wrote them (one proof file per event, members stored uncompressed)."""

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


def run() -> list:
    from shared.ledger.bundle_format import to_zip
    from tests.bundles import build_bundle, synthetic_envelopes

    lines = synthetic_envelopes(requests=EVENTS // 10, per_request=10)
    sizes = [EVENTS * (i + 1) // CHECKPOINTS for i in range(CHECKPOINTS)]
    with tempfile.TemporaryDirectory() as folder:
        v2 = Path(folder) / "bundle-v2.zip"
        v2.write_bytes(to_zip(build_bundle(lines, sizes, version=2)))
        before = _v1_stored_size(build_bundle(lines, sizes, version=1), Path(folder) / "bundle-v1.zip")
        took, cpu, peak, out = _verify_in_child(v2)
        after = v2.stat().st_size
    if "OK" not in out:
        raise RuntimeError(f"the bench bundle did not verify:\n{out}")
    rate = EVENTS / cpu
    return [row(f"`ccpa-audit verify`, {EVENTS:,} events, events/s (one core, CPU time)", f"{rate:,.0f}",
                ">= 60,000", rate >= 60_000),
            row(f"`ccpa-audit verify`, {EVENTS:,} events, peak RSS", f"{peak / 2**20:.0f} MB", "<= 250 MB",
                peak <= 250 * 2**20),
            f"verify: {EVENTS:,} events (v2 zip, one core) in {cpu:.2f} s CPU = {EVENTS / cpu:,.0f} events/s "
            f"(target >= 60,000; wall {took:.2f} s = {EVENTS / took:,.0f}/s); peak RSS {peak / 2**20:.0f} MB "
            f"(target <= 250 MB)",
            f"bundle size, {EVENTS:,} events: v2 deflated {after / 2**20:.1f} MB, "
            f"v1 as written before (stored, one proof file per event) {before / 2**20:.1f} MB"]


def _v1_stored_size(bundle, path: Path) -> int:  # noqa: ANN001
    with zipfile.ZipFile(path, "w") as archive:
        for name in sorted(bundle.files):
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), bundle.files[name])
    return path.stat().st_size


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
