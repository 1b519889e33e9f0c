"""Local-stack soak: `ccpa-audit local` as `make run` starts it (sealer and sweeper on their schedules, demo
downstream systems on), driven over HTTP by concurrent clients, its memory read from /proc for the whole process
tree. Sizes: SOAK_REQUESTS and SOAK_ACCESS_EVENTS (default 2,000 each, so `make bench` stays short; the issue's
full run is SOAK_REQUESTS=10000 SOAK_ACCESS_EVENTS=10000), SOAK_CLIENTS (default 4). `run()` returns lines and the
closing table's rows: print each item (README, "Performance", has the command), since the rows are not strings to join."""

import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.table import Row, row
from ccpa_audit.local.runtime import free_port

CLI = Path(sys.executable).parent / "ccpa-audit"
TYPES = ("opt_out_sale_sharing", "delete", "know", "limit_sensitive_pi", "correct")
BATCH = 100
# What the stack's console prints for a failure: a traceback, a Powertools ERROR line, or the local runtime's own
# lines for an invocation that failed (function error, a stream delivery, a scheduled job, a workflow task).
CONSOLE_ERRORS = ("Traceback", '"level":"ERROR"', '"level": "ERROR"', "function error:", "delivery failed:",
                  "job failed:", "step functions:")


def run() -> list[str | Row]:
    requests = int(os.environ.get("SOAK_REQUESTS", "2000"))
    events = int(os.environ.get("SOAK_ACCESS_EVENTS", "2000"))
    clients = int(os.environ.get("SOAK_CLIENTS", "4"))
    stack = _Stack()
    lines: list[str | Row] = []
    try:
        lines.append(f"Local stack soak ({clients} clients; sealer every 5 s and sweeper every minute running; "
                     f"demo downstream systems on; RSS summed over the process tree; targets: peak < 1 GB, "
                     f"last 1,000 median <= 1.5x first 1,000)")
        lines += _report("POST /requests", "web form, five types in turn", requests, 1, clients, stack,
                         lambda i: stack.call("POST", "/requests", {
                             "type": TYPES[i % len(TYPES)], "channel": "web_form",
                             "consumer": {"email": f"soak-{i}@example.com"}}))
        lines += _report("POST /access-events", f"batches of {BATCH}", events // BATCH, BATCH, clients, stack,
                         lambda i: stack.call("POST", "/access-events", {"events": _batch(i)}, "local-service"))
    finally:
        stopped = stack.stop()
        lines.append(f"  stop: SIGTERM to exit {stopped:.2f} s (target < 5 s)")
        lines.append(row("local stack: SIGTERM to exit", f"{stopped:.1f} s", "< 5 s", stopped < 5))
        lines += stack.console_report()
    return lines


def _report(name: str, shape: str, calls: int, per_call: int, clients: int, stack: "_Stack",
            call: Callable[[int], int | str]) -> list[str | Row]:
    """The run's line, then its figures as rows of `make bench`'s closing table."""
    latencies = [0.0] * calls
    statuses: Counter[int | str] = Counter()
    window = max(1, min(1000 // per_call, calls // 2))
    warm: list[float] = []  # RSS once the first window is answered: containers started, caches filled

    def one(i: int) -> None:
        started = time.perf_counter()
        statuses[call(i)] += 1
        latencies[i] = time.perf_counter() - started
        if i == window:
            warm.append(tree_rss_mb(stack.process.pid))

    began, cpu_began = time.perf_counter(), tree_cpu_seconds(stack.process.pid)
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(calls)))
    took = time.perf_counter() - began
    cpu = tree_cpu_seconds(stack.process.pid) - cpu_began
    before = warm[0] if warm else tree_rss_mb(stack.process.pid)
    # KB per item sent after the first window (the steady growth), and where it leads at 10,000
    grew = (tree_rss_mb(stack.process.pid) - before) * 1024 / max(1, (calls - window) * per_call)
    at_10k = before + grew * (10_000 - window * per_call) / 1024
    first = statistics.median(latencies[:window]) * 1000
    last = statistics.median(latencies[-window:]) * 1000
    accepted = sum(n for status, n in statuses.items() if isinstance(status, int) and 200 <= status < 300)
    sent, rate, size = calls * per_call, calls * per_call / took, f"{window * per_call:,}"
    line = (f"  {name} ({shape}): {sent:,} sent, {accepted * per_call:,} accepted (answers: {dict(statuses)}); "
            f"{rate:,.1f}/s ({took:,.0f} s; stack CPU {cpu * 1000 / sent:,.1f} ms per item, load average "
            f"{os.getloadavg()[0]:.1f}); median first {size} {first:.1f} ms, last {size} {last:.1f} ms "
            f"({last / first:.2f}x); peak RSS {stack.peak_mb:,.0f} MB (RSS {before:,.0f} MB after the first {size}, "
            f"then +{grew:.1f} KB per item: {at_10k:,.0f} MB at 10,000)")
    figure = f"local stack, {name}"
    return [line,
            row(f"{figure}: accepted of sent", f"{accepted * per_call:,} of {sent:,}", "all", accepted == calls),
            row(f"{figure}: median last/first {size}", f"{last / first:.2f}x", "<= 1.5x", last <= 1.5 * first),
            row(f"{figure}: peak RSS, whole tree", f"{stack.peak_mb:,.0f} MB", "< 1 GB", stack.peak_mb < 1024),
            row(f"{figure}: RSS at 10,000 (extrapolated)", f"{at_10k:,.0f} MB", "< 1 GB", at_10k < 1024),
            row(f"{figure}: rate", f"{rate:,.1f}/s", ">= 12/s (calm machine)" if per_call == 1 else
                "reported", rate >= 12 or per_call > 1)]


def _batch(i: int) -> list[dict[str, object]]:
    occurred = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    return [{"event_id": f"soak-{i}-{n}", "occurred_at": occurred,
             "actor": {"id": f"svc-{n % 7}", "type": "service", "role": "batch"}, "action": "read",
             "source": {"service": "crm", "ip": "10.0.0.1"}, "consumer": {"email": f"soak-{(i * BATCH + n) % 5000}"
                                                                                 "@example.com"},
             "data_categories": ["identifiers"], "purpose": "support"} for n in range(BATCH)]


class _Stack:
    def __init__(self) -> None:
        self.port = free_port()
        env = {**os.environ, "PORT": str(self.port), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen([str(CLI), "local"], env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        for line in self.process.stdout or []:
            if "ready" in line:
                break
        # The stack's console is read, not kept: only its errors are, so a failed answer can be traced afterwards.
        self.errors: list[str] = []
        self.failed_bodies: list[str] = []
        threading.Thread(target=self._read_console, daemon=True).start()
        self.peak_mb = 0.0
        self._sampling = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def call(self, method: str, path: str, body: object, token: str | None = None) -> int | str:
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=json.dumps(body).encode(),
                                         method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310  the local stack
                response.read()
                return int(response.status)
        except urllib.error.HTTPError as error:
            if error.code >= 500 and len(self.failed_bodies) < 3:
                self.failed_bodies.append(f"{error.code} {error.read()[:200]!r}")
            return int(error.code)
        except OSError as error:
            return type(error).__name__

    def _read_console(self) -> None:
        tail = 0  # lines still to keep after an error's first line (its traceback)
        for line in self.process.stdout or []:
            if tail or any(mark in line for mark in CONSOLE_ERRORS):
                tail = tail - 1 if tail else 25
                if len(self.errors) < 200:
                    self.errors.append(line.rstrip())

    def console_report(self) -> list[str]:
        """The first failed answers' bodies and the first error the stack printed, if any."""
        lines = [f"  failed answer: {body}" for body in self.failed_bodies]
        if self.errors:
            lines.append(f"  the stack's console printed errors; the first {min(len(self.errors), 26)} lines:")
            lines += [f"    {line}" for line in self.errors[:26]]
        return lines

    def stop(self) -> float:
        self._sampling.set()
        began = time.perf_counter()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        return time.perf_counter() - began

    def _sample(self) -> None:
        while not self._sampling.wait(0.5):
            self.peak_mb = max(self.peak_mb, tree_rss_mb(self.process.pid))


def tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants, as `ps` would add it up."""
    total = 0
    for pid in _tree(root):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def tree_cpu_seconds(root: int) -> float:
    """User and system CPU time of a process and its descendants (a loaded machine stretches only wall time): the live
    ones' own, and the exited ones' that their parents waited for (a retired container's CPU moves to its parent's
    `cutime`/`cstime` then, instead of leaving the sum)."""
    ticks = 0
    for pid in _tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += sum(int(field) for field in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found
