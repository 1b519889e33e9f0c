"""Cold start per handler module: fresh-process import (+ client creation) time as a ratio to `import boto3`."""

import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7
ENV = {
    **os.environ,
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "PYTHONDONTWRITEBYTECODE": "0",
}
PROBE = """
import time, sys
t0 = time.perf_counter()
import {module}
t1 = time.perf_counter()
{init}
t2 = time.perf_counter()
print(t1 - t0, t2 - t0)
"""


def _measure(module: str, init: str = "pass") -> tuple[float, float]:
    samples = []
    for _ in range(RUNS):
        out = subprocess.run([sys.executable, "-c", PROBE.format(module=module, init=init)], cwd=ROOT, env=ENV,
                             capture_output=True, text=True, check=True).stdout.split()
        samples.append((float(out[0]), float(out[1])))
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def handler_modules() -> list[str]:
    return sorted(f"functions.{p.parent.name}.app" for p in (ROOT / "functions").glob("*/app.py"))


def run() -> list[str]:
    _measure("boto3")  # warm the byte-code cache so every module is measured the same way
    boto3_time, _ = _measure("boto3")
    lines = [f"cold start (median of {RUNS} fresh processes; baseline `import boto3` = {boto3_time * 1000:.0f} ms)",
             f"  {'module':32} {'import ms':>9} {'ratio':>6} {'+clients ms':>11} {'ratio':>6}  target ratio <= 1.5"]
    init = "from shared import wiring; wiring.ledger()"
    for module in handler_modules():
        imported, with_clients = _measure(module, init)
        lines.append(f"  {module:32} {imported * 1000:9.0f} {imported / boto3_time:6.2f} "
                     f"{with_clients * 1000:11.0f} {with_clients / boto3_time:6.2f}")
    return lines
