"""`make bench`: prints every performance figure the issues ask for (never asserted by tests)."""

from bench import (
    access_ingest,
    access_search,
    cold_start,
    consent_decision,
    console_load,
    export_scale,
    ledger_throughput,
    local_soak,
    sweep_scale,
    warm_intake,
)


def main() -> None:
    for section in (cold_start.run, warm_intake.run, ledger_throughput.run, sweep_scale.run, export_scale.run, access_ingest.run,
                    access_search.run, consent_decision.run, local_soak.run, console_load.run):
        for line in section():
            print(line, flush=True)


if __name__ == "__main__":
    main()
