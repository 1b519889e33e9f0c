"""POST /requests answers from a dict written straight from the record: it must be exactly what the response
models (RequestSummaryOut with ClockOut) dump, key order included, for every kind of request and clock state."""

import json
from datetime import timedelta

import pytest

from shared.clocks.engine import ClockRules, evaluate
from shared.ledger.envelope import Actor
from shared.models.api import ClockOut, RequestSummaryOut, SubmitRequestBody
from shared.services import presenters
from shared.services.submit_request import Submission, SubmitResult, submit_request
from shared.timefmt import rfc3339


def _through_models(record, now, rules) -> dict:
    clocks = {}
    for name, clock in record.clocks.items():
        status = evaluate(name, clock.due, now, clock.satisfied_at, rules)
        clocks[name.value] = ClockOut(due=clock.due.isoformat(),
                                      satisfied_at=rfc3339(clock.satisfied_at) if clock.satisfied_at else None,
                                      met=status.met, at_risk=status.at_risk, overdue=status.overdue,
                                      days_left=status.days_left, extended=clock.extended)
    return RequestSummaryOut(request_id=record.request_id, type=record.type.value, channel=record.channel.value,
                             status=record.status.value, received_at=rfc3339(record.received_at),
                             recorded_at=rfc3339(record.recorded_at), time_zone=rules.time_zone,
                             clocks=clocks).model_dump(mode="json")


@pytest.mark.parametrize("request_type", ["opt_out_sale_sharing", "limit_sensitive_pi", "delete", "know", "correct"])
@pytest.mark.parametrize("later_days", [0, 12, 60])
@pytest.mark.parametrize("satisfied", [False, True])
def test_summary_json_equals_the_response_models_dump_when_built_for_any_request(ledger, request_type, later_days,
                                                                                 satisfied):
    body = SubmitRequestBody.model_validate({"type": request_type, "channel": "web_form",
                                             "consumer": {"email": "ana@example.com"}})
    record = submit_request(ledger, Submission(body, Actor(type="consumer"))).record
    if satisfied:
        first = next(iter(record.clocks))
        clocks = {**record.clocks, first: record.clocks[first].model_copy(
            update={"satisfied_at": record.received_at + timedelta(days=1), "extended": True})}
        record = record.model_copy(update={"clocks": clocks})
    now = ledger.now() + timedelta(days=later_days)
    rules = ClockRules.from_settings(ledger.settings)
    expected = _through_models(record, now, rules)
    got = presenters.summary_json(record, now, rules)
    assert json.dumps(got) == json.dumps(expected)  # same keys, values and order: the same response bytes
    assert presenters.summary_out(record, now, rules).model_dump(mode="json") == expected
    submitted = presenters.submitted_out(SubmitResult(record, True, "tok"), now, rules)
    assert json.dumps(submitted) == json.dumps({**expected, "status_token": "tok"})
