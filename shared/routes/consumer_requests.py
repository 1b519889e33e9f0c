"""Consumer requests: filing one (POST /requests), its status link, and staff reading and acting on them."""

from aws_lambda_powertools.event_handler.api_gateway import Router

from shared import wiring
from shared.api import (
    allow,
    current_actor,
    header,
    json_body,
    json_response,
    parse,
    parse_action,
    query_params,
    submitter,
)
from shared.clocks.engine import ClockRules
from shared.models.api import SubmitRequestBody
from shared.models.domain import Role
from shared.observability import metrics
from shared.services import presenters
from shared.services.submit_request import Submission, accept_request

router = Router()
READERS = (Role.ANALYST, Role.AUDITOR)


@router.post("/requests")
def create_request():
    data = json_body(router)
    actor = submitter(router, data)  # the token is checked before the body
    submission = Submission(parse(SubmitRequestBody, data), actor,
                            header(router, "idempotency-key"))
    result = accept_request(wiring.ledger(), wiring.downstream(), submission, wiring.status_tokens())
    metrics.add_metric(name="RequestsReceived" if result.created else "RequestsReplayed", unit="Count", value=1)
    payload = presenters.submitted_out(result, wiring.ledger().now(), _rules())
    return json_response(201 if result.created else 200, payload,
                         {"Location": f"/requests/{result.record.request_id}"})


@router.get("/status/<token>")
def request_status(token: str):
    from shared.services.request_status import read_request_status

    return json_response(200, read_request_status(wiring.ledger(), wiring.status_tokens(), token))


@router.get("/requests/<request_id>", middlewares=[allow(*READERS)])
def get_request(request_id: str):
    from shared.services.read_requests import get_request_view

    ledger = wiring.ledger()
    view = get_request_view(ledger, request_id, current_actor(router))
    return json_response(200, presenters.record_out(view, ledger.now(), _rules()))


@router.post("/requests/<request_id>/actions", middlewares=[allow(Role.AGENT, Role.ANALYST)])
def act_on_request(request_id: str):
    from shared.services.read_requests import get_request_view
    from shared.services.request_actions import perform_action

    ledger = wiring.ledger()
    actor = current_actor(router)
    perform_action(ledger, wiring.downstream(), request_id, parse_action(json_body(router)), actor)
    metrics.add_metric(name="ActionsRecorded", unit="Count", value=1)
    view = get_request_view(ledger, request_id, actor)
    return json_response(200, presenters.record_out(view, ledger.now(), _rules()))


@router.get("/requests", middlewares=[allow(*READERS)])
def list_requests():
    from shared.cursors import decode_cursor, encode_cursor
    from shared.models.api import SearchRequestsQuery
    from shared.models.request_views import RequestPageOut
    from shared.services.read_requests import SearchCriteria, search_requests

    query = parse(SearchRequestsQuery, query_params(router))
    ledger = wiring.ledger()
    criteria = SearchCriteria(query.consumer_email, query.type, query.status, query.from_, query.to,
                              query.limit or ledger.settings.page_size, decode_cursor(query.cursor),
                              bool(query.at_risk),
                              bool(query.overdue), open_only=bool(query.open))
    page = search_requests(ledger, criteria, current_actor(router))
    items = [presenters.summary_out(record, ledger.now(), _rules()) for record in page.items]
    return json_response(200, RequestPageOut(items=items, cursor=encode_cursor(page.cursor), total=page.total))


def _rules() -> ClockRules:
    return ClockRules.from_settings(wiring.ledger().settings)
