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


class Crash(BaseException):
    """The process dies (a timeout, an out-of-memory kill): nothing after this point runs."""


class CrashingAlerts(FakeAlerts):
    def __init__(self, crashes):
        super().__init__()
        self.crashes = crashes

    def publish(self, alerts):
        if self.crashes:
            self.crashes -= 1
            raise Crash()
        super().publish(alerts)


def test_alert_lost_to_a_crash_between_commit_and_publish_is_delivered_once_by_the_next_run(ledger, clock, optout):
    moment = pacific_noon("2026-12-09")
    alerts = CrashingAlerts(crashes=1)
    with pytest.raises(Crash):
        sweep_deadlines(ledger, alerts, moment)
    assert events(ledger, optout.request_id)[1:] == ["clock_at_risk"]  # committed
    assert alerts.sent == [] and len(ledger.index.pending_alerts()) == 1  # not delivered, still pending

    result = sweep_deadlines(ledger, alerts, moment + timedelta(minutes=15))
    assert result.alerts == []  # nothing new to record
    assert [(a.level, a.clock, a.request_id) for a in alerts.sent] == [("at_risk", "honor_by", optout.request_id)]
    sweep_deadlines(ledger, alerts, moment + timedelta(minutes=30))
    assert len(alerts.sent) == 1 and ledger.index.pending_alerts() == []
    assert events(ledger, optout.request_id)[1:] == ["clock_at_risk"]


def test_alert_published_but_not_cleared_is_sent_again_under_the_same_alert_id(ledger, clock, optout):
    moment = pacific_noon("2026-12-15")
    alerts = FakeAlerts()
    cleared = ledger.index.alert_sent
    ledger.index.alert_sent = lambda alert_id: (_ for _ in ()).throw(Crash())
    with pytest.raises(Crash):
        sweep_deadlines(ledger, alerts, moment)
    ledger.index.alert_sent = cleared
    sweep_deadlines(ledger, alerts, moment)
    assert [a.level for a in alerts.sent] == ["overdue", "overdue"]
    assert alerts.sent[0].alert_id == alerts.sent[1].alert_id  # a consumer de-duplicates on it
    assert ledger.index.pending_alerts() == []


def test_alert_ids_are_stable_per_transition_and_differ_between_transitions(ledger, clock, optout):
    alerts = FakeAlerts()
    sweep_deadlines(ledger, alerts, pacific_noon("2026-12-09"))
    sweep_deadlines(ledger, alerts, pacific_noon("2026-12-15"))
    at_risk, overdue = alerts.sent
    from shared.services.alert_outbox import clock_alert_id

    assert at_risk.alert_id == clock_alert_id(optout.request_id, "honor_by", "2026-12-14", "at_risk")
    assert overdue.alert_id == clock_alert_id(optout.request_id, "honor_by", "2026-12-14", "overdue")
    assert at_risk.alert_id != overdue.alert_id


def test_sweep_reads_no_request_when_the_index_copy_of_it_is_current(ledger, clock, optout):
    reads = []
    real = ledger.index.get_request
    ledger.index.get_request = lambda request_id: reads.append(request_id) or real(request_id)
    result = sweep_deadlines(ledger, FakeAlerts(), pacific_noon("2026-12-09"))
    assert [a.level for a in result.alerts] == ["at_risk"]
    assert reads == []  # the open clock's copy of the request was enough to append on the chain head


def test_sweep_given_a_stale_copy_of_the_request_rereads_it_and_records_the_transition_once(ledger, clock, optout):
    moment = pacific_noon("2026-12-09")
    stale = ledger.index.get_request(optout.request_id)
    sweep_deadlines(ledger, FakeAlerts(), moment)  # another sweeper already recorded the transition
    current = ledger.index.stream_open_clocks
    ledger.index.stream_open_clocks = lambda *a, **kw: (clock.model_copy(update={"record": stale, "alerted": None})
                                                        for clock in current(*a, **kw))
    alerts = FakeAlerts()
    result = sweep_deadlines(ledger, alerts, moment)
    assert result.alerts == [] and alerts.sent == []
    assert events(ledger, optout.request_id) == ["request_received", "clock_at_risk"]
    assert ledger.index.get_request(optout.request_id).chain_seq == 2


def test_sweep_publishes_its_own_alerts_and_leaves_nothing_pending(ledger, clock, optout):
    alerts = FakeAlerts()
    result = sweep_deadlines(ledger, alerts, pacific_noon("2026-12-15"))
    assert [a.alert_id for a in alerts.sent] == [a.alert_id for a in result.alerts]
    assert ledger.index.pending_alerts() == []
