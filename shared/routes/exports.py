"""The export function's API: evidence bundles (POST/GET /exports) and the 11 CCR 7102 metrics report. The
function's queue path (functions/export/app.py) builds the bundles these routes queue."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from shared import wiring
from shared.api import allow, current_actor, json_body, json_response, parse, query_params
from shared.models.domain import Role
from shared.models.export_api import ExportBody, MetricsQuery
from shared.observability import metrics
from shared.services import exports, request_metrics

router = Router()
READERS = (Role.ANALYST, Role.AUDITOR)


@router.post("/exports", middlewares=[allow(*READERS)])
def create_export():
    body = parse(ExportBody, json_body(router))
    ledger = wiring.ledger()
    scope = exports.resolve_scope(ledger, body)
    out, ready = exports.start_export(ledger, wiring.exports(), scope, current_actor(router))
    metrics.add_metric(name="ExportsBuilt" if ready else "ExportsQueued", unit="Count", value=1)
    return json_response(201 if ready else 202, out, {"Location": f"/exports/{out.export_id}"})


@router.get("/exports/<export_id>", middlewares=[allow(*READERS)])
def get_export(export_id: str):
    return json_response(200, exports.get_export(wiring.ledger(), wiring.exports(), export_id,
                                                 current_actor(router)))


@router.get("/reports/metrics", middlewares=[allow(*READERS)])
def metrics_report():
    query = parse(MetricsQuery, query_params(router))
    report = exports.metrics_report(wiring.ledger(), wiring.exports(), query.year, current_actor(router))
    if query.format == "csv":
        return Response(status_code=200, content_type="text/csv; charset=utf-8",
                        body=request_metrics.metrics_csv(report).decode(),
                        headers={"Content-Disposition": f'attachment; filename="ccpa-metrics-{query.year}.csv"'})
    return json_response(200, request_metrics.metrics_json(report))
