"""Yearly request metrics of 11 CCR 7102(a), computed from request records. Pure: no AWS, no I/O.

7102(a)(1) asks for figures covering the previous calendar year, for each of the five request types: how many
requests were received, how many were complied with in whole or in part, how many were denied, and the median
or mean number of days the business took to respond substantively. The figures come from the index's request
records. Each record is the fold of its request's ledger chain (services/projection.py), so a figure can always
be rebuilt from the evidence.

Which year. A request belongs to the year of its receipt day: the calendar date of `received_at` in the business
time zone (DESIGN 5, `receipt_day`). An opt-out received 2026-12-31 23:30 Pacific (2027-01-01 07:30 UTC) counts
in 2026. The caller may pass records from neighbouring months; records from other years are skipped. If a request
appears more than once, the copy with the highest `chain_seq` (the latest fold) is the one counted.

What counts as what (each request counts in exactly one of the three outcomes):
- denied: status `denied`, or `response_nature` "denied" (set by a `request_denied` event). This covers a denial
  in whole; 7102(a) counts these separately from compliance.
- complied in whole or in part:
  - delete / know / correct: status `responded` with a response nature other than a denial. The respond action
    allows "complied" and "complied_in_part", and "complied" is the default. A deletion that is `honored`
    downstream but not yet answered still owes the consumer a response, so it is pending.
  - opt_out_sale_sharing / limit_sensitive_pi: these are honored downstream, not answered. They count when the
    status is `honored` or `partially_honored` (some systems confirmed: compliance in part), or when the honor_by
    clock is satisfied (all downstream confirmations in).
- pending: everything else received in the year (still open when the figures were computed).

Days to respond (7102(a)(1)(F) asks for a substantive response, and a denial is one). These are calendar days from
the receipt day to the business-zone date of the response, so a response on the day of receipt is 0 days. The
response is `response_date` for know/delete/correct and for every denial. For opt-out/limit it is the honor_by
clock's `satisfied_at`, falling back to `response_date`. A complied or denied request with no such moment adds no
days: a `partially_honored` opt-out has none, because only `request_honored` satisfies the clock. Median
(statistics.median) and mean (statistics.fmean) are rounded to one decimal with Python's round(). That rounds half
to even on the float's binary value: a mean of 0.25 shows as 0.2, and 0.75 as 0.8. Both are None when no request
of the row has days.

`MetricsReport.rows` holds six rows: one per RequestType, in enum order and always present even when every count
is zero, then a final row whose request_type is "total". That row sums the counts, and its median and mean are
taken over the days of all requests, not over the per-type figures.
"""

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from shared.clocks.engine import ClockRules, receipt_day
from shared.models.domain import ClockName, RequestStatus, RequestType
from shared.models.export import MetricsReport, MetricsRow
from shared.models.records import RequestRecord
from shared.timefmt import rfc3339

REGULATION = "11 CCR 7102(a)"
TOTAL = "total"
CSV_COLUMNS = ("year", "request_type", "received", "complied_in_whole_or_in_part", "denied", "pending",
               "median_days_to_respond", "mean_days_to_respond")
_FIELDS = CSV_COLUMNS[2:]
DENIED_NATURE = "denied"  # response_nature written by projection._denied

Outcome = Literal["complied", "denied", "pending"]


def outcome(record: RequestRecord) -> Outcome:
    """The request's 7102(a) outcome (see the module docstring)."""
    if record.status == RequestStatus.DENIED or record.response_nature == DENIED_NATURE:
        return "denied"
    if record.status == RequestStatus.RESPONDED:
        return "complied"
    if record.type.is_opt_out:
        honor = record.clocks.get(ClockName.HONOR_BY)
        if record.status in (RequestStatus.HONORED, RequestStatus.PARTIALLY_HONORED) or (
                honor is not None and honor.satisfied_at is not None):
            return "complied"
    return "pending"


def days_to_respond(record: RequestRecord, rules: ClockRules) -> int | None:
    """Calendar days from the receipt day to the business-zone day of the response; None if not answered."""
    result = outcome(record)
    if result == "pending":
        return None
    responded_at = record.response_date
    if result == "complied" and record.type.is_opt_out:
        honor = record.clocks.get(ClockName.HONOR_BY)
        responded_at = (honor.satisfied_at if honor else None) or record.response_date
    if responded_at is None:
        return None
    # receipt_day is the business-zone calendar date of any moment; here it dates the response.
    return (receipt_day(responded_at, rules) - receipt_day(record.received_at, rules)).days


def compute_metrics(records: Iterable[RequestRecord], year: int, rules: ClockRules,
                    generated_at: datetime) -> MetricsReport:
    """7102(a) figures for requests received in `year`: five type rows in enum order, then the "total" row."""
    if generated_at.tzinfo is None:
        raise ValueError("generated_at must be timezone-aware")
    latest: dict[str, RequestRecord] = {}
    for record in records:
        if receipt_day(record.received_at, rules).year != year:
            continue
        seen = latest.get(record.request_id)
        if seen is None or record.chain_seq > seen.chain_seq:
            latest[record.request_id] = record
    by_type: dict[RequestType, list[RequestRecord]] = {request_type: [] for request_type in RequestType}
    for record in latest.values():
        by_type[record.type].append(record)
    rows = [_row(request_type.value, group, rules) for request_type, group in by_type.items()]
    rows.append(_row(TOTAL, list(latest.values()), rules))
    return MetricsReport(year=year, time_zone=rules.time_zone, generated_at=generated_at, rows=rows)


def _row(name: str, records: list[RequestRecord], rules: ClockRules) -> MetricsRow:
    from statistics import fmean, median  # loaded by the first report, not by every export function's cold start

    outcomes = [outcome(record) for record in records]
    days = [d for d in (days_to_respond(record, rules) for record in records) if d is not None]
    return MetricsRow(
        request_type=name,
        received=len(records),
        complied_in_whole_or_in_part=outcomes.count("complied"),
        denied=outcomes.count("denied"),
        pending=outcomes.count("pending"),
        median_days_to_respond=round(float(median(days)), 1) if days else None,
        mean_days_to_respond=round(fmean(days), 1) if days else None,
    )


def _split(report: MetricsReport) -> tuple[list[MetricsRow], MetricsRow]:
    types = [row for row in report.rows if row.request_type != TOTAL]
    totals = [row for row in report.rows if row.request_type == TOTAL]
    if len(totals) != 1:
        raise ValueError("a metrics report needs exactly one total row (build it with compute_metrics)")
    return types, totals[0]


def _figures(row: MetricsRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _FIELDS}


def metrics_csv(report: MetricsReport) -> bytes:
    """UTF-8 CSV with CSV_COLUMNS as the header, CRLF line ends, one row per type, then the total row.
    An empty cell means no figure (None)."""
    types, total = _split(report)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in [*types, total]:
        writer.writerow([report.year, row.request_type, *("" if value is None else value
                                                         for value in _figures(row).values())])
    return buffer.getvalue().encode("utf-8")


def metrics_json(report: MetricsReport) -> dict[str, Any]:
    """The report as a JSON-ready dict: per-type figures under by_type, the total row under total."""
    types, total = _split(report)
    return {
        "year": report.year,
        "time_zone": report.time_zone,
        "generated_at": rfc3339(report.generated_at),
        "regulation": REGULATION,
        "by_type": {row.request_type: _figures(row) for row in types},
        "total": _figures(total),
    }
