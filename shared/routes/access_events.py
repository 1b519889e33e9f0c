"""The access log: producers post who touched a consumer's data; analysts and auditors search it."""

from aws_lambda_powertools.event_handler.api_gateway import Router

from shared import wiring
from shared.api import allow, current_actor, json_bytes, json_response, parse, query_params
from shared.models.domain import Role
from shared.observability import metrics

router = Router()
READERS = (Role.ANALYST, Role.AUDITOR)


@router.post("/access-events", middlewares=[allow(Role.SERVICE)])
def post_access_events():
    from shared.batch_gc import collector_paused
    from shared.models.access_events import AccessAcceptedOut, validate_batch_json
    from shared.services.access_log import record_access_batch

    with collector_paused():  # the batch's objects are gone when it resumes: nothing left for it to walk
        ids = record_access_batch(wiring.ledger(), wiring.access_stream(), validate_batch_json(json_bytes(router)),
                                  current_actor(router))
    metrics.add_metric(name="AccessEventsAccepted", unit="Count", value=len(ids))
    return json_response(202, AccessAcceptedOut(accepted=len(ids), event_ids=ids))


@router.get("/access-events", middlewares=[allow(*READERS)])
def search_access_events():
    from shared.models.access_events import AccessPageOut, AccessSearchQuery
    from shared.services.access_log import AccessSearch, search_access_log

    query = parse(AccessSearchQuery, query_params(router))
    ledger = wiring.ledger()
    search = AccessSearch(query.consumer_email, query.actor_id, query.action, query.service, query.from_, query.to,
                          query.limit or ledger.settings.page_size, query.cursor)
    items, cursor = search_access_log(ledger, wiring.scope_index(), wiring.access_engine(), search,
                                      current_actor(router))
    return json_response(200, AccessPageOut(items=items, cursor=cursor))
