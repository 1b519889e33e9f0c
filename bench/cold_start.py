"""Cold start per function: a fresh process imports the handler module and builds the AWS clients its first
request needs, against a fresh process that imports boto3 and builds the same clients (ratio target <= 1.5).

Both wall and CPU time are taken; the figure is the CPU-time ratio, which on a shared, loaded machine stays closer to
what the wall-time ratio is on an idle one (the import is single-threaded and reads files from the page cache)."""

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench.table import row

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("COLD_START_RUNS", "9"))
TARGET = 1.5
# Byte code is written once and then read, as Lambda reads the layer's (shared/Makefile compiles it) and the runtime's
# boto3: a PYTHONDONTWRITEBYTECODE inherited from the shell would make every handler process compile the project's
# modules from source while boto3's stay compiled. The settings are the deployed ones (template.yaml Globals).
ENV = {
    **{name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"},
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "ACCESS_SEARCH_ENGINE": "athena",
    "PYDANTIC_DISABLE_PLUGINS": "__all__",
}
# What each function's first request builds through the composition root (shared/wiring.py).
FIRST_REQUEST = {
    "intake": ("ledger", "downstream", "status_tokens"),  # POST /requests from the web form
    "suppress": ("ledger", "downstream"),
    "deadline_sweeper": ("ledger", "alert_publisher", "downstream"),
    "export": ("ledger", "exports"),
    "seal": ("merkle_log",),
}
HANDLER = """
import time
t0, c0 = time.perf_counter(), time.process_time()
import functions.{name}.app
from shared import wiring
{builds}
print(time.perf_counter() - t0, time.process_time() - c0)
"""
# The same clients, built straight from boto3.
BASELINE = """
import time
t0, c0 = time.perf_counter(), time.process_time()
import boto3
from botocore.config import Config
config = Config(retries={{"mode": "standard", "max_attempts": 4}})
for service in {services!r}:
    boto3.client(service, config=config)
print(time.perf_counter() - t0, time.process_time() - c0)
"""


def _medians(code: str, baseline: str) -> tuple[float, float, float, float]:
    """Median wall and CPU seconds over RUNS fresh processes each of `code` and `baseline`, run one at a time in
    turn (the first of each pair alternating), so both meet the same load. One process at a time, as a Lambda
    sandbox runs its cold start: processes started together on the 2 shared cores inflate each other's CPU time
    (caches, the host's scheduling of the virtual CPUs) by up to 2x, and unevenly."""
    samples, base = [], []
    for run in range(RUNS):
        for snippet in ((code, baseline) if run % 2 == 0 else (baseline, code)):
            taken = tuple(map(float, _run(snippet).split()))
            (samples if snippet is code else base).append(taken)
    return (statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples),
            statistics.median(s[0] for s in base), statistics.median(s[1] for s in base))


def _start(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _output(process: subprocess.Popen) -> str:
    out, err = process.communicate()
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, process.args, out, err)
    return out


def _run(code: str) -> str:
    return _output(_start(code))


def run():
    _run("import functions.intake.app, functions.export.app, functions.seal.app, functions.suppress.app, "
         "functions.deadline_sweeper.app, boto3")  # byte code cached once: every process below starts alike
    yield (f"cold start (median of {RUNS} fresh processes each; handler import + its first request's clients, "
           f"against `import boto3` + the same clients)")
    yield (f"  {'function':18} {'wall ms':>7} {'boto3':>6} {'ratio':>6}   {'CPU ms':>6} {'boto3':>6} {'ratio':>6}  "
           f"clients built")
    worst = ("", 0.0)
    clients = _client_services()
    for name, builds in FIRST_REQUEST.items():
        services = clients[name]
        wall, cpu, base_wall, base_cpu = _medians(
            HANDLER.format(name=name, builds="\n".join(f"wiring.{b}()" for b in builds)),
            BASELINE.format(services=services))
        worst = max(worst, (name, cpu / base_cpu), key=lambda pair: pair[1])
        yield (f"  {name:18} {wall * 1000:7.0f} {base_wall * 1000:6.0f} {wall / base_wall:6.2f}   {cpu * 1000:6.0f} "
               f"{base_cpu * 1000:6.0f} {cpu / base_cpu:6.2f}  {' '.join(services)}")
    yield row("cold start / `import boto3`, clients included, CPU time (worst function)",
              f"{worst[1]:.2f}x ({worst[0]})", f"<= {TARGET}x", worst[1] <= TARGET)


def _client_services() -> dict[str, list[str]]:
    """Every client each function's first request creates (boto3.client calls counted from fresh wiring after the
    handler's import), all in one process of its own."""
    code = ["import json\nimport boto3\nfrom shared import wiring\nmade, counts = [], {}\nreal = boto3.client\n"
            "boto3.client = lambda service, **kw: made.append(service) or real(service, **kw)\n"]
    for name, builds in FIRST_REQUEST.items():
        code += [f"import functions.{name}.app\nwiring.reset()\nmade.clear()\n",
                 *(f"wiring.{build}()\n" for build in builds), f"counts[{name!r}] = list(made)\n"]
    return json.loads(_run("".join(code) + "print(json.dumps(counts))"))
