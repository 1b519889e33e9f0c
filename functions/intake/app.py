from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import wiring
from shared.api import (
    allow,
    build_resolver,
    consent_caller,
    current_actor,
    json_body,
    json_bytes,
    json_response,
    parse,
    parse_action,
    query_params,
    raw_body,
    submitter,
)
from shared.clocks.engine import ClockRules
from shared.models.api import SubmitRequestBody
from shared.models.domain import Role
from shared.observability import logger, metrics, tracer
from shared.services import presenters
from shared.services.submit_request import Submission, accept_request

# Only POST /requests (the consumer's form) is loaded with the function: every other route imports its modules
# on its first call, so a cold start does not pay for the consent, log (cryptography) or access-log code.
app = build_resolver()
READERS = (Role.ANALYST, Role.AUDITOR)


@app.get("/health")
def health():
    return {"status": "ok"}


@app.get("/openapi.json")
def openapi():
    from shared.openapi import openapi_document

    return openapi_document()


@app.post("/requests")
def create_request():
    data = json_body(app)
    actor = submitter(app, data)  # the token is checked before the body
    submission = Submission(parse(SubmitRequestBody, data), actor, app.current_event.headers.get("idempotency-key"))
    result = accept_request(wiring.ledger(), wiring.downstream(), submission, wiring.status_tokens())
    metrics.add_metric(name="RequestsReceived" if result.created else "RequestsReplayed", unit="Count", value=1)
    payload = presenters.submitted_out(result, wiring.ledger().now(), _rules())
    return json_response(201 if result.created else 200, payload,
                         {"Location": f"/requests/{result.record.request_id}"})


@app.get("/status/<token>")
def request_status(token: str):
    from shared.services.request_status import read_request_status

    return json_response(200, read_request_status(wiring.ledger(), wiring.status_tokens(), token))


@app.get("/requests/<request_id>", middlewares=[allow(*READERS)])
def get_request(request_id: str):
    from shared.services.read_requests import get_request_view

    ledger = wiring.ledger()
    view = get_request_view(ledger, request_id, current_actor(app))
    return json_response(200, presenters.record_out(view, ledger.now(), _rules()))


@app.post("/requests/<request_id>/actions", middlewares=[allow(Role.AGENT, Role.ANALYST)])
def act_on_request(request_id: str):
    from shared.services.read_requests import get_request_view
    from shared.services.request_actions import perform_action

    ledger = wiring.ledger()
    actor = current_actor(app)
    perform_action(ledger, wiring.downstream(), request_id, parse_action(json_body(app)), actor)
    metrics.add_metric(name="ActionsRecorded", unit="Count", value=1)
    view = get_request_view(ledger, request_id, actor)
    return json_response(200, presenters.record_out(view, ledger.now(), _rules()))


@app.get("/requests", middlewares=[allow(*READERS)])
def list_requests():
    from shared.cursors import decode_cursor, encode_cursor
    from shared.models.api import RequestPageOut, SearchRequestsQuery
    from shared.services.read_requests import SearchCriteria, search_requests

    query = parse(SearchRequestsQuery, query_params(app))
    ledger = wiring.ledger()
    criteria = SearchCriteria(query.consumer_email, query.type, query.status, query.from_, query.to,
                              query.limit or ledger.settings.page_size, decode_cursor(query.cursor),
                              bool(query.at_risk),
                              bool(query.overdue), open_only=bool(query.open))
    page = search_requests(ledger, criteria, current_actor(app))
    items = [presenters.summary_out(record, ledger.now(), _rules()) for record in page.items]
    return json_response(200, RequestPageOut(items=items, cursor=encode_cursor(page.cursor), total=page.total))


@app.get("/.well-known/gpc.json")
def gpc_well_known():
    return {"gpc": True, "lastUpdate": wiring.ledger().settings.gpc_last_update}


@app.post("/gpc")
def gpc_signal():
    from shared.models.downstream import GpcSignalBody
    from shared.services.record_gpc_signal import record_gpc_signal

    body = parse(GpcSignalBody, json_body(app))
    out = record_gpc_signal(wiring.ledger(), wiring.downstream(), app.current_event.headers.get("sec-gpc"), body,
                            wiring.consents().store)
    metrics.add_metric(name="GpcSignals" if out.gpc else "GpcAbsent", unit="Count", value=1)
    return json_response(200, out.model_dump(exclude_none=True))


@app.get("/gpc/status")
def gpc_status_route():
    from shared.models.downstream import GpcStatusQuery
    from shared.services.record_gpc_signal import gpc_status

    query = parse(GpcStatusQuery, query_params(app))
    return json_response(200, gpc_status(wiring.ledger(), wiring.downstream(), query.device_id))


@app.post("/callbacks/<system_id>")
def downstream_callback(system_id: str):
    from shared.services import webhook_signing
    from shared.services.receive_callback import receive_callback

    signature = app.current_event.headers.get(webhook_signing.HEADER)
    return json_response(200, receive_callback(wiring.ledger(), wiring.downstream(), system_id, signature,
                                               raw_body(app)))


@app.get("/systems", middlewares=[allow(Role.ADMIN, Role.ANALYST)])
def list_systems():
    from shared.models.systems import SystemListOut
    from shared.services.manage_systems import system_out

    items = [system_out(system) for system in wiring.downstream().registry.list()]
    return json_response(200, SystemListOut(items=items))


@app.get("/systems/<system_id>", middlewares=[allow(Role.ADMIN, Role.ANALYST)])
def get_system_route(system_id: str):
    from shared.services.manage_systems import get_system, system_out

    return json_response(200, system_out(get_system(wiring.downstream(), system_id)))


@app.put("/systems/<system_id>", middlewares=[allow(Role.ADMIN)])
def put_system_route(system_id: str):
    from shared.models.systems import SystemBody
    from shared.services.manage_systems import put_system, system_out

    body = parse(SystemBody, json_body(app))
    actor = current_actor(app)
    system, created = put_system(wiring.ledger(), wiring.downstream(), system_id, body, actor)
    return json_response(201 if created else 200, system_out(system), {"Location": f"/systems/{system_id}"})


@app.delete("/systems/<system_id>", middlewares=[allow(Role.ADMIN)])
def delete_system_route(system_id: str):
    from shared.services.manage_systems import remove_system

    actor = current_actor(app)
    remove_system(wiring.ledger(), wiring.downstream(), system_id, actor)
    return Response(status_code=204, body="")


@app.post("/access-events", middlewares=[allow(Role.SERVICE)])
def post_access_events():
    from shared.batch_gc import collector_paused
    from shared.models.access_events import AccessAcceptedOut, validate_batch_json
    from shared.services.access_log import record_access_batch

    with collector_paused():  # the batch's objects are gone when it resumes: nothing left for it to walk
        ids = record_access_batch(wiring.ledger(), wiring.access_stream(), validate_batch_json(json_bytes(app)),
                                  current_actor(app))
    metrics.add_metric(name="AccessEventsAccepted", unit="Count", value=len(ids))
    return json_response(202, AccessAcceptedOut(accepted=len(ids), event_ids=ids))


@app.get("/access-events", middlewares=[allow(*READERS)])
def search_access_events():
    from shared.models.access_events import AccessPageOut, AccessSearchQuery
    from shared.services.access_log import AccessSearch, search_access_log

    query = parse(AccessSearchQuery, query_params(app))
    ledger = wiring.ledger()
    search = AccessSearch(query.consumer_email, query.actor_id, query.action, query.service, query.from_, query.to,
                          query.limit or ledger.settings.page_size, query.cursor)
    items, cursor = search_access_log(ledger, wiring.scope_index(), wiring.access_engine(), search,
                                      current_actor(app))
    return json_response(200, AccessPageOut(items=items, cursor=cursor))


@app.get("/events/<event_id>/proof", middlewares=[allow(*READERS)])
def event_proof(event_id: str):
    from shared.services import ledger_proofs

    reader = current_actor(app)
    return json_response(200, ledger_proofs.event_proof(wiring.ledger(), wiring.merkle_log(), event_id, reader,
                                                        wiring.access_engine()))


@app.get("/ledger/checkpoint", middlewares=[allow(*READERS)])
def ledger_checkpoint():
    from shared.services import ledger_proofs

    return json_response(200, ledger_proofs.latest_checkpoint(wiring.merkle_log()))


@app.get("/ledger/consistency", middlewares=[allow(*READERS)])
def ledger_consistency():
    from shared.models.ledger_api import ConsistencyQuery
    from shared.services import ledger_proofs

    query = parse(ConsistencyQuery, query_params(app))
    return json_response(200, ledger_proofs.consistency(wiring.merkle_log(), query.from_, query.to))


@app.get("/ledger/keys")
def ledger_keys():
    from shared.services import ledger_proofs

    return json_response(200, ledger_proofs.public_keys(wiring.merkle_log()))


@app.post("/notices", middlewares=[allow(Role.ADMIN)])
def post_notice():
    from shared.models.consent import NoticeBody
    from shared.services.notices import publish_notice

    out, created = publish_notice(wiring.ledger(), parse(NoticeBody, json_body(app)), current_actor(app))
    return json_response(201 if created else 200, out, {"Location": f"/notices/{out.notice_id}"})


@app.get("/notices")
def get_notices():
    from shared.services.notices import list_notices

    return json_response(200, list_notices(wiring.ledger()))


@app.get("/notices/<notice_id>")
def get_notice(notice_id: str):
    from shared.models.consent import NoticeAtQuery
    from shared.services.notices import notice_at

    query = parse(NoticeAtQuery, app.current_event.query_string_parameters or {})
    return json_response(200, notice_at(wiring.ledger(), notice_id, query.at).model_dump(exclude_none=True))


@app.post("/consents")
def post_consent():
    from shared.models.consent import ConsentBody
    from shared.services.consents import record_consent

    actor, data = consent_caller(app)
    out = record_consent(wiring.ledger(), wiring.consents(), parse(ConsentBody, data), actor)
    metrics.add_metric(name="ConsentsRecorded", unit="Count", value=1)
    return json_response(201, out.model_dump(exclude_none=True))


@app.get("/consents", middlewares=[allow(*READERS)])
def get_consents():
    from shared.models.consent import ConsentQuery
    from shared.services.consents import list_consents

    query = parse(ConsentQuery, app.current_event.query_string_parameters or {})
    return json_response(200, list_consents(wiring.ledger(), wiring.consents(), query.consumer_email,
                                            current_actor(app)))


@app.get("/consents/decision", middlewares=[allow(*READERS, Role.SERVICE)])
def get_consent_decision():
    from shared.models.consent import DecisionQuery
    from shared.services.consents import consent_decision

    query = parse(DecisionQuery, app.current_event.query_string_parameters or {})
    return json_response(200, consent_decision(wiring.ledger(), wiring.consents(), query, current_actor(app)))


def _rules() -> ClockRules:
    return ClockRules.from_settings(wiring.ledger().settings)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
