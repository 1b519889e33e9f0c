"""`make bench`: prints every performance figure the issues ask for (never asserted by tests), each section's time,
and at the end one table of every figure against its target (bench/table.py). `python -m bench cold_start sweep_scale`
runs only the named sections."""

import importlib
import resource
import sys
import time

from bench.table import Row, render, row

# Sections in the order they run; each module's `run()` returns or yields free lines and `row(...)`s.
SECTIONS = ("cold_start", "warm_intake", "ledger_throughput", "verify_scale", "sweep_scale", "sweep_memory", "export_scale", "access_ingest", "access_search",
            "consent_decision", "local_soak", "console_load")


def main(names: list[str]) -> int:
    rows: list[Row] = []
    timings: list[tuple[str, float, float]] = []
    began = time.perf_counter()
    try:
        for name in names or SECTIONS:
            start, cpu = time.perf_counter(), _cpu()
            print(f"== {name}", flush=True)
            for item in importlib.import_module(f"bench.{name}").run():
                if isinstance(item, Row):
                    rows.append(item)
                print(item, flush=True)
            timings.append((name, time.perf_counter() - start, _cpu() - cpu))
            print(f"== {name}: {timings[-1][1]:.0f} s ({timings[-1][2]:.0f} s CPU)", flush=True)
        whole = time.perf_counter() - began
        if not names:
            rows.append(row("`make bench`, whole", f"{whole / 60:.1f} min", "< 12 min", whole < 12 * 60))
    finally:  # an interrupted or failed run still shows the figures it reached
        # CPU time (this process and the children it waited for) next to wall time: on a shared machine the
        # wall time of a section is its CPU time stretched by whatever else is running.
        print("\nsection times: " + ", ".join(f"{name} {took:.0f} s ({cpu:.0f} s CPU)" for name, took, cpu in timings))
        print("\n".join(render(rows)), flush=True)
    return 0


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
