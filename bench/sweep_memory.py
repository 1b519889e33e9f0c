"""Sweep memory on the local stack: the emulator and the containers as `make run` starts them (glibc malloc, two
arenas, trims; no scheduled sweeper or sealer, so each sweep is measured alone), N open clocks written straight into the index through the emulator, then `POST /_local/sweep`
twice at the same time (the first records the transitions, the second is the steady per-minute sweep). The moto
process's and the sweeper container's resident size are sampled from /proc every 20 ms during each sweep.

Sizes: SWEEP_MEMORY_CLOCKS (default "2000,6000"). A tenth of the clocks are due within the at-risk horizon. The
target is the soak's headroom: the stack sat at up to 850 MB between sweeps at 10,000 requests (about 6,000 open
clocks), so a sweep may add at most 150 MB for the whole stack to stay under 1 GB."""

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.local_soak import _tree
from bench.table import row

NOW = datetime(2027, 3, 1, 20, 0, tzinfo=UTC)  # a Monday
IN_HORIZON_EVERY = 10
TARGET_MB = 150
ROOT = Path(__file__).resolve().parents[1]


def run():
    sizes = [int(n) for n in os.environ.get("SWEEP_MEMORY_CLOCKS", "2000,6000").split(",")]
    for clocks in sizes:
        stack = _Stack()
        try:
            stack.load(clocks)
            lines = [f"sweep memory: {clocks:,} open clocks ({clocks // IN_HORIZON_EVERY:,} due within the at-risk "
                     f"horizon), moto process {stack.rss(stack.pid):.0f} MB before the sweeps"]
            added = 0.0
            for label in ("first sweep (records the transitions)", "second sweep, same time"):
                took, alerts, moto, container = stack.sweep()
                added = moto[1] - moto[0] + container[1] - container[0]
                lines.append(f"  {label}: {took:.1f} s, {alerts:,} alerts; moto process {moto[0]:.0f} -> peak "
                             f"{moto[1]:.0f} MB (+{moto[1] - moto[0]:.0f}); sweeper container {container[0]:.0f} -> "
                             f"peak {container[1]:.0f} MB (+{container[1] - container[0]:.0f})")
            yield from lines
            yield row(f"sweep transient at {clocks:,} open clocks (moto + container, steady sweep)",
                      f"+{added:.0f} MB", f"< {TARGET_MB} MB", added < TARGET_MB)
        finally:
            stack.stop()


def serve() -> None:
    """The stack, as `ccpa-audit local` starts it but with no scheduled sweep and no demo systems."""
    from ccpa_audit.local import runtime

    stack = runtime.start("127.0.0.1", int(os.environ["PORT"]), sweep_every=10**9, demo_systems=False)
    print(f"moto {stack.env['AWS_ENDPOINT_URL']} {stack.env['INDEX_TABLE']}", flush=True)
    print(f"env {json.dumps(stack.env)}", flush=True)
    sys.stdin.read()  # until the bench closes the pipe
    stopper = threading.Thread(target=stack.stop, daemon=True)  # the containers first, as `ccpa-audit local` stops
    stopper.start()
    stopper.join(timeout=runtime.STOP_GRACE_SECONDS)
    os._exit(0)


class _Stack:
    def __init__(self) -> None:
        from ccpa_audit.local.runtime import free_port

        self.port = free_port()
        # No sealer on a schedule either: each sweep is measured alone, in the container the warm-up sweep used.
        env = {**os.environ, "PORT": str(self.port), "PYTHONMALLOC": "malloc", "PYTHONUNBUFFERED": "1",
               "LOCAL_SEAL_EVERY": str(10**9)}
        self.process = subprocess.Popen([sys.executable, "-c", "from bench.sweep_memory import serve; serve()"],
                                        cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.pid = self.process.pid
        for line in self.process.stdout or []:
            if line.startswith("moto "):
                _, self.endpoint, self.table = line.split()
            elif line.startswith("env "):
                self.env = json.loads(line.removeprefix("env "))
                break
        threading.Thread(target=lambda: [None for _ in self.process.stdout or []], daemon=True).start()
        self.sweep()  # the sweeper's container imports its function before anything is measured

    def load(self, clocks: int) -> None:
        import boto3

        from shared.adapters import index_items
        from shared.adapters.dynamo_ledger_index import _av

        db = boto3.client("dynamodb", endpoint_url=self.endpoint, region_name="us-east-1",
                          aws_access_key_id="bench", aws_secret_access_key="bench")
        written = [_av(item) for record in _records(clocks)
                   for item in (index_items.request_item(record, 4), *index_items.clock_items(record, 4))]
        batches = [written[i:i + 25] for i in range(0, len(written), 25)]
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda batch: db.batch_write_item(
                RequestItems={self.table: [{"PutRequest": {"Item": item}} for item in batch]}), batches))

    def sweep(self) -> tuple[float, int, tuple[float, float], tuple[float, float]]:
        """Seconds, alerts, and (before, peak) MB of the moto process and of the container that swept."""
        before = {pid: self.rss(pid) for pid in _tree(self.pid)}
        peaks = dict(before)
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.02):
                for pid in _tree(self.pid):
                    peaks[pid] = max(peaks.get(pid, 0.0), self.rss(pid))

        sampler = threading.Thread(target=sample)
        sampler.start()
        began = time.perf_counter()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/_local/sweep", method="POST",
                                         data=json.dumps({"time": NOW.isoformat()}).encode())
        with urllib.request.urlopen(request, timeout=1800) as response:  # noqa: S310  the local stack
            alerts = len(json.loads(response.read())["alerts"])
        took = time.perf_counter() - began
        done.set()
        sampler.join()
        containers = [pid for pid in peaks if pid != self.pid]
        swept = max(containers, key=lambda pid: peaks[pid] - before.get(pid, peaks[pid]), default=self.pid)
        return (took, alerts, (before[self.pid], peaks[self.pid]),
                (before.get(swept, peaks[swept]), peaks[swept]))

    @staticmethod
    def rss(pid: int) -> float:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            return 0.0
        return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0.0)

    def stop(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _records(clocks: int):
    from shared.models.domain import Channel, ClockName, RequestStatus, RequestType
    from shared.models.records import ClockRecord, RequestRecord

    received = NOW - timedelta(days=5)
    for i in range(clocks):
        if i % IN_HORIZON_EVERY == 0:
            due = date(2027, 3, 2) + timedelta(days=i % 7)  # 1 to 7 days left: at risk
        else:
            due = date(2027, 3, 12) + timedelta(days=i % 60)  # beyond the horizon: on time
        # A right-to-know request (respond_by only): no downstream fan-out for the sweeper to start.
        yield RequestRecord(
            request_id=f"sweep-{i:06d}", type=RequestType.KNOW, channel=Channel.WEB_FORM,
            status=RequestStatus.RECEIVED, received_at=received, recorded_at=received, consumer_tag=f"{i:064x}",
            clocks={ClockName.RESPOND_BY: ClockRecord(due=due)}, chain_seq=1, chain_head="0" * 64, intake_key="k",
            intake_version="v")
