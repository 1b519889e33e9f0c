import csv
import io
from datetime import UTC, date, datetime

import pytest

from shared.clocks.engine import ClockRules
from shared.models.domain import Channel, ClockName, RequestStatus, RequestType
from shared.models.export import MetricsReport, MetricsRow
from shared.models.records import ClockRecord, RequestRecord
from shared.services.request_metrics import CSV_COLUMNS, compute_metrics, metrics_csv, metrics_json

RULES = ClockRules()  # America/Los_Angeles
GENERATED = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def record(request_id: str, request_type: RequestType, received: str, status: RequestStatus = RequestStatus.RECEIVED,
           *, responded: str | None = None, nature: str | None = None, honored: str | None = None,
           chain_seq: int = 1) -> RequestRecord:
    if request_type.is_opt_out:
        clocks = {ClockName.HONOR_BY: ClockRecord(due=date(2030, 1, 1),
                                                  satisfied_at=utc(honored) if honored else None)}
    else:
        clocks = {ClockName.ACKNOWLEDGE_BY: ClockRecord(due=date(2030, 1, 1)),
                  ClockName.RESPOND_BY: ClockRecord(due=date(2030, 1, 1))}
    return RequestRecord(
        request_id=request_id, type=request_type, channel=Channel.WEB_FORM, status=status,
        received_at=utc(received), recorded_at=utc(received), consumer_tag="tag", clocks=clocks,
        chain_seq=chain_seq, chain_head="00" * 32, intake_key=f"events/{request_id}", intake_version="v1",
        response_date=utc(responded) if responded else None, response_nature=nature,
        denial_basis="unverifiable" if nature == "denied" else None,
    )


# Times are UTC; Los Angeles is UTC-8 in winter (PST) and UTC-7 in summer (PDT).
MIX = [
    # delete: complied after 10 days, denied after 20 days, honored downstream but not yet answered (pending)
    record("del-1", RequestType.DELETE, "2026-03-02T17:00:00", RequestStatus.RESPONDED,
           responded="2026-03-12T20:00:00", nature="complied"),
    record("del-2", RequestType.DELETE, "2026-04-01T17:00:00", RequestStatus.DENIED,
           responded="2026-04-21T17:00:00", nature="denied"),
    record("del-3", RequestType.DELETE, "2026-05-01T17:00:00", RequestStatus.HONORED),
    # know: answered the same Pacific day (03:00 UTC next day is 20:00 PDT), and after 45 days across the year end
    record("know-1", RequestType.KNOW, "2026-06-10T16:00:00", RequestStatus.RESPONDED,
           responded="2026-06-11T03:00:00", nature="complied"),
    record("know-2", RequestType.KNOW, "2026-12-01T18:00:00", RequestStatus.RESPONDED,
           responded="2027-01-15T18:00:00", nature="complied_in_part"),
    # opt-out: honored after 3 days (clock satisfied), and partially honored (complied in part, no day count)
    record("opt-1", RequestType.OPT_OUT_SALE_SHARING, "2026-11-20T18:00:00", RequestStatus.HONORED,
           honored="2026-11-23T18:00:00"),
    record("opt-2", RequestType.OPT_OUT_SALE_SHARING, "2026-09-01T18:00:00", RequestStatus.PARTIALLY_HONORED),
    # limit: received 2026-12-31 23:30 Pacific (2027-01-01 UTC), honored 2027-01-05 Pacific: 5 days, counts in 2026
    record("lim-1", RequestType.LIMIT_SENSITIVE_PI, "2027-01-01T07:30:00", RequestStatus.HONORED,
           honored="2027-01-05T18:00:00"),
    # other years: 2025-12-31 04:00 Pacific, and 2027-01-01 00:30 Pacific
    record("old-1", RequestType.DELETE, "2025-12-31T12:00:00", RequestStatus.RESPONDED,
           responded="2026-01-05T18:00:00", nature="complied"),
    record("new-1", RequestType.KNOW, "2027-01-01T08:30:00"),
]


def rows_by_type(report: MetricsReport) -> dict[str, MetricsRow]:
    return {row.request_type: row for row in report.rows}


def test_metrics_count_each_type_for_the_receipt_year_in_business_time():
    report = compute_metrics(MIX, 2026, RULES, GENERATED)
    assert (report.year, report.time_zone, report.generated_at) == (2026, "America/Los_Angeles", GENERATED)
    assert [row.request_type for row in report.rows] == [t.value for t in RequestType] + ["total"]
    rows = rows_by_type(report)
    assert rows["opt_out_sale_sharing"] == MetricsRow("opt_out_sale_sharing", 2, 2, 0, 0, 3.0, 3.0)
    assert rows["limit_sensitive_pi"] == MetricsRow("limit_sensitive_pi", 1, 1, 0, 0, 5.0, 5.0)
    assert rows["delete"] == MetricsRow("delete", 3, 1, 1, 1, 15.0, 15.0)
    assert rows["know"] == MetricsRow("know", 2, 2, 0, 0, 22.5, 22.5)
    assert rows["correct"] == MetricsRow("correct", 0, 0, 0, 0, None, None)
    # days over all requests: 3, 5, 10, 20, 0, 45 -> median 7.5, mean 83/6 = 13.83
    assert rows["total"] == MetricsRow("total", 8, 6, 1, 1, 7.5, 13.8)


def test_metrics_count_the_late_december_limit_request_in_its_pacific_year_only():
    rows = rows_by_type(compute_metrics(MIX, 2027, RULES, GENERATED))
    assert rows["limit_sensitive_pi"].received == 0
    assert (rows["know"].received, rows["know"].pending, rows["total"].received) == (1, 1, 1)
    rows_2025 = rows_by_type(compute_metrics(MIX, 2025, RULES, GENERATED))
    assert rows_2025["delete"] == MetricsRow("delete", 1, 1, 0, 0, 5.0, 5.0)


def test_metrics_are_all_zero_rows_when_there_are_no_requests():
    report = compute_metrics([], 2026, RULES, GENERATED)
    assert report.rows == [MetricsRow(name, 0, 0, 0, 0, None, None) for name in [*RequestType, "total"]]


def test_metrics_count_an_opt_out_with_a_satisfied_honor_clock_and_a_denied_opt_out():
    records = [
        record("opt-a", RequestType.OPT_OUT_SALE_SHARING, "2026-02-02T18:00:00", RequestStatus.IN_PROGRESS,
               honored="2026-02-04T18:00:00"),
        record("opt-b", RequestType.OPT_OUT_SALE_SHARING, "2026-02-02T18:00:00", RequestStatus.DENIED,
               responded="2026-02-03T18:00:00", nature="denied", honored="2026-02-03T18:00:00"),
        record("opt-c", RequestType.OPT_OUT_SALE_SHARING, "2026-02-02T18:00:00", RequestStatus.IN_PROGRESS),
    ]
    row = rows_by_type(compute_metrics(records, 2026, RULES, GENERATED))["opt_out_sale_sharing"]
    assert row == MetricsRow("opt_out_sale_sharing", 3, 1, 1, 1, 1.5, 1.5)


def test_metrics_count_a_request_once_using_its_latest_fold():
    older = record("del-x", RequestType.DELETE, "2026-03-02T17:00:00", RequestStatus.VERIFIED, chain_seq=3)
    newer = record("del-x", RequestType.DELETE, "2026-03-02T17:00:00", RequestStatus.RESPONDED,
                   responded="2026-03-04T17:00:00", nature="complied", chain_seq=5)
    for records in ([older, newer], [newer, older]):
        row = rows_by_type(compute_metrics(records, 2026, RULES, GENERATED))["delete"]
        assert row == MetricsRow("delete", 1, 1, 0, 0, 2.0, 2.0)


def test_metrics_round_the_mean_half_to_even():
    records = [record(f"k-{i}", RequestType.KNOW, "2026-03-02T17:00:00", RequestStatus.RESPONDED,
                      responded=f"2026-03-0{2 + days}T20:00:00", nature="complied")
               for i, days in enumerate((0, 0, 0, 1))]
    row = rows_by_type(compute_metrics(records, 2026, RULES, GENERATED))["know"]
    assert (row.median_days_to_respond, row.mean_days_to_respond) == (0.0, 0.2)  # mean 0.25


def test_metrics_refuse_a_naive_generated_at():
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_metrics([], 2026, RULES, datetime(2027, 2, 1))


def test_metrics_csv_has_the_header_one_row_per_type_and_the_total():
    body = metrics_csv(compute_metrics(MIX, 2026, RULES, GENERATED))
    assert body.startswith(b"year,request_type,received,complied_in_whole_or_in_part,denied,pending,"
                           b"median_days_to_respond,mean_days_to_respond\r\n")
    assert body.decode().split("\r\n") == [
        ",".join(CSV_COLUMNS),
        "2026,opt_out_sale_sharing,2,2,0,0,3.0,3.0",
        "2026,limit_sensitive_pi,1,1,0,0,5.0,5.0",
        "2026,delete,3,1,1,1,15.0,15.0",
        "2026,know,2,2,0,0,22.5,22.5",
        "2026,correct,0,0,0,0,,",
        "2026,total,8,6,1,1,7.5,13.8",
        "",
    ]
    assert len(list(csv.DictReader(io.StringIO(body.decode())))) == 6


def test_metrics_json_lists_each_type_and_the_total():
    document = metrics_json(compute_metrics(MIX, 2026, RULES, GENERATED))
    assert set(document) == {"year", "time_zone", "generated_at", "regulation", "by_type", "total"}
    assert (document["year"], document["time_zone"]) == (2026, "America/Los_Angeles")
    assert document["generated_at"] == "2027-02-01T12:00:00.000Z"
    assert document["regulation"] == "11 CCR 7102(a)"
    assert list(document["by_type"]) == [t.value for t in RequestType]
    assert document["by_type"]["delete"] == {
        "received": 3, "complied_in_whole_or_in_part": 1, "denied": 1, "pending": 1,
        "median_days_to_respond": 15.0, "mean_days_to_respond": 15.0,
    }
    assert document["by_type"]["correct"] == {
        "received": 0, "complied_in_whole_or_in_part": 0, "denied": 0, "pending": 0,
        "median_days_to_respond": None, "mean_days_to_respond": None,
    }
    assert document["total"] == {
        "received": 8, "complied_in_whole_or_in_part": 6, "denied": 1, "pending": 1,
        "median_days_to_respond": 7.5, "mean_days_to_respond": 13.8,
    }


def test_metrics_renderers_refuse_a_report_without_a_total_row():
    report = MetricsReport(2026, "America/Los_Angeles", GENERATED, [MetricsRow("delete", 0, 0, 0, 0, None, None)])
    with pytest.raises(ValueError, match="total row"):
        metrics_csv(report)
    with pytest.raises(ValueError, match="total row"):
        metrics_json(report)


def test_settings_check_a_configured_category_table_and_keep_an_empty_one(monkeypatch):
    import pydantic

    from shared.config import Settings

    assert Settings(data_category_map={}).data_category_map == {}
    assert Settings(data_category_map={"Favourite Colour": "inferences"}).data_category_map == {
        "favourite_colour": "inferences"}
    with pytest.raises(pydantic.ValidationError, match="not CCPA categories"):
        Settings(data_category_map={"colour": "not_a_category"})
