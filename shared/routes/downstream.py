"""The consumer's browser signal (GPC) and the downstream systems' signed callbacks."""

from aws_lambda_powertools.event_handler.api_gateway import Router

from shared import wiring
from shared.api import header, json_body, json_response, parse, query_params, raw_body
from shared.observability import metrics

router = Router()


@router.get("/.well-known/gpc.json")
def gpc_well_known():
    return {"gpc": True, "lastUpdate": wiring.ledger().settings.gpc_last_update}


@router.post("/gpc")
def gpc_signal():
    from shared.models.downstream import GpcSignalBody
    from shared.services.record_gpc_signal import record_gpc_signal

    body = parse(GpcSignalBody, json_body(router))
    out = record_gpc_signal(wiring.ledger(), wiring.downstream(), header(router, "sec-gpc"), body,
                            wiring.consents().store)
    metrics.add_metric(name="GpcSignals" if out.gpc else "GpcAbsent", unit="Count", value=1)
    return json_response(200, out.model_dump(exclude_none=True))


@router.get("/gpc/status")
def gpc_status_route():
    from shared.models.downstream import GpcStatusQuery
    from shared.services.record_gpc_signal import gpc_status

    query = parse(GpcStatusQuery, query_params(router))
    return json_response(200, gpc_status(wiring.ledger(), wiring.downstream(), query.device_id))


@router.post("/callbacks/<system_id>")
def downstream_callback(system_id: str):
    from shared.services import webhook_signing
    from shared.services.receive_callback import receive_callback

    signature = header(router, webhook_signing.HEADER)
    return json_response(200, receive_callback(wiring.ledger(), wiring.downstream(), system_id, signature,
                                               raw_body(router)))
