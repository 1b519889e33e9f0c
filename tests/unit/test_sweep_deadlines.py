from datetime import UTC, datetime, timedelta

import pytest

from shared.ledger.envelope import Actor
from shared.models.api import SubmitRequestBody
from shared.services.submit_request import Submission, submit_request
from shared.services.sweep_deadlines import sweep_deadlines
from tests.fakes import FakeAlerts

# An opt-out received Friday 2026-11-20 (Los Angeles) is due Monday 2026-12-14 (us-federal).
RECEIVED = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


def pacific_noon(day):
    return datetime.fromisoformat(f"{day}T20:00:00+00:00")


@pytest.fixture
def optout(ledger, clock):
    clock.moment = RECEIVED
    body = SubmitRequestBody.model_validate({"type": "opt_out_sale_sharing", "channel": "web_form",
                                             "consumer": {"email": "a@example.com"}})
    return submit_request(ledger, Submission(body, Actor(type="consumer"))).record


def events(ledger, request_id):
    return [e.type for e in ledger.index.request_events(request_id)]


@pytest.mark.parametrize(("now", "expected"), [
    ("2026-11-23", []),                                  # 14 business days left
    ("2026-12-08", []),                                  # 4 business days left: not yet
    ("2026-12-09", ["clock_at_risk"]),                   # 3 left: at risk
    ("2026-12-14", ["clock_at_risk"]),                   # due day: still only at risk
    ("2026-12-15", ["clock_overdue"]),                   # the day after: overdue, one event
])
def test_sweep_records_one_event_per_transition_when_run_at(ledger, clock, optout, now, expected):
    alerts = FakeAlerts()
    clock.moment = pacific_noon(now)
    result = sweep_deadlines(ledger, alerts, clock.moment)
    assert events(ledger, optout.request_id)[1:] == expected
    assert [a.level for a in alerts.sent] == [e.removeprefix("clock_") for e in expected]
    assert result.open_clocks == 1


def test_sweep_walks_on_time_then_at_risk_then_overdue_once_each_when_run_repeatedly(ledger, clock, optout):
    alerts = FakeAlerts()
    day = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)
    while day < datetime(2026, 12, 20, tzinfo=UTC):
        for _ in range(3):  # re-running at the same time changes nothing
            sweep_deadlines(ledger, alerts, day)
        day += timedelta(hours=6)
    assert events(ledger, optout.request_id) == ["request_received", "clock_at_risk", "clock_overdue"]
    assert [(a.level, a.clock, a.due) for a in alerts.sent] == [("at_risk", "honor_by", "2026-12-14"),
                                                                ("overdue", "honor_by", "2026-12-14")]
    assert alerts.sent[0].days_left == 3 and alerts.sent[1].days_left < 0


def test_sweep_ignores_satisfied_clocks_when_a_request_was_answered(ledger, clock):
    from shared.models.api import RespondAction
    from shared.services.request_actions import apply_action

    clock.moment = RECEIVED
    body = SubmitRequestBody.model_validate({"type": "know", "channel": "web_form",
                                             "consumer": {"email": "a@example.com"}})
    record = submit_request(ledger, Submission(body, Actor(type="consumer"))).record
    clock.moment = RECEIVED + timedelta(days=1)
    answer = RespondAction(action="respond", sent_at=clock.moment, method="email", summary="Here it is.")
    apply_action(ledger, record.request_id, answer, Actor(type="staff", id="x", role="analyst"))
    result = sweep_deadlines(ledger, FakeAlerts(), RECEIVED + timedelta(days=80))
    assert result.open_clocks == 0 and result.overdue == 0
