"""Privacy-notice versions and the consents recorded against them."""

from aws_lambda_powertools.event_handler.api_gateway import Router

from shared import wiring
from shared.api import allow, consent_caller, current_actor, json_body, json_response, parse
from shared.models.domain import Role
from shared.observability import metrics

router = Router()
READERS = (Role.ANALYST, Role.AUDITOR)


@router.post("/notices", middlewares=[allow(Role.ADMIN)])
def post_notice():
    from shared.models.notices import NoticeBody
    from shared.services.notices import publish_notice

    out, created = publish_notice(wiring.ledger(), parse(NoticeBody, json_body(router)), current_actor(router))
    return json_response(201 if created else 200, out, {"Location": f"/notices/{out.notice_id}"})


@router.get("/notices")
def get_notices():
    from shared.services.notices import list_notices

    return json_response(200, list_notices(wiring.ledger()))


@router.get("/notices/<notice_id>")
def get_notice(notice_id: str):
    from shared.models.notices import NoticeAtQuery
    from shared.services.notices import notice_at

    query = parse(NoticeAtQuery, router.current_event.query_string_parameters or {})
    return json_response(200, notice_at(wiring.ledger(), notice_id, query.at).model_dump(exclude_none=True))


@router.post("/consents")
def post_consent():
    from shared.models.consent import ConsentBody
    from shared.services.consents import record_consent

    actor, data = consent_caller(router)
    out = record_consent(wiring.ledger(), wiring.consents(), parse(ConsentBody, data), actor)
    metrics.add_metric(name="ConsentsRecorded", unit="Count", value=1)
    return json_response(201, out.model_dump(exclude_none=True))


@router.get("/consents", middlewares=[allow(*READERS)])
def get_consents():
    from shared.models.consent import ConsentQuery
    from shared.services.consents import list_consents

    query = parse(ConsentQuery, router.current_event.query_string_parameters or {})
    return json_response(200, list_consents(wiring.ledger(), wiring.consents(), query.consumer_email,
                                            current_actor(router)))


@router.get("/consents/decision", middlewares=[allow(*READERS, Role.SERVICE)])
def get_consent_decision():
    from shared.models.consent import DecisionQuery
    from shared.services.consents import consent_decision

    query = parse(DecisionQuery, router.current_event.query_string_parameters or {})
    return json_response(200, consent_decision(wiring.ledger(), wiring.consents(), query, current_actor(router)))
