"""The figures `make bench` checks, collected into one table printed at the end.

A section is a function whose result (a list or a generator) mixes free lines (str), printed as they come, with
rows made by `row(...)`, which also print as they come and are gathered into the closing table."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    figure: str
    measured: str
    target: str
    ok: bool

    def __str__(self) -> str:
        return f"  [{'ok' if self.ok else 'MISSED'}] {self.figure}: {self.measured} (target {self.target})"


def row(figure: str, measured: str, target: str, ok: bool) -> Row:
    """One figure against its target, e.g. `yield row("verify, events/s", f"{rate:,.0f}", ">= 60,000",
    rate >= 60_000)`."""
    return Row(figure, measured, target, bool(ok))


def render(rows: list[Row]) -> list[str]:
    headers = ("figure", "measured", "target", "ok")
    cells = [(r.figure, r.measured, r.target, "ok" if r.ok else "MISSED") for r in rows]
    widths = [max(len(line[i]) for line in [headers, *cells]) for i in range(4)]

    def line(values) -> str:
        return "| " + " | ".join(value.ljust(width) for value, width in zip(values, widths)) + " |"

    return [line(headers), "|" + "|".join("-" * (width + 2) for width in widths) + "|", *map(line, cells)]
