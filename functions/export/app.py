from shared import cold_start  # first: the collector stays off while this function's modules load

# isort: split
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import wiring
from shared.api import allow, build_resolver, current_actor, json_body, json_response, parse, query_params
from shared.models.domain import Role
from shared.models.export_api import ExportBody, MetricsQuery
from shared.observability import api_request_id, logger, metrics, tracer
from shared.services import exports, request_metrics

app = build_resolver()
READERS = (Role.ANALYST, Role.AUDITOR)
# The queue's maxReceiveCount in template.yaml: the last delivery records a failure instead of raising.
MAX_RECEIVES = 3


@app.post("/exports", middlewares=[allow(*READERS)])
def create_export():
    body = parse(ExportBody, json_body(app))
    ledger = wiring.ledger()
    scope = exports.resolve_scope(ledger, body)
    out, ready = exports.start_export(ledger, wiring.exports(), scope, current_actor(app))
    metrics.add_metric(name="ExportsBuilt" if ready else "ExportsQueued", unit="Count", value=1)
    return json_response(201 if ready else 202, out, {"Location": f"/exports/{out.export_id}"})


@app.get("/exports/<export_id>", middlewares=[allow(*READERS)])
def get_export(export_id: str):
    return json_response(200, exports.get_export(wiring.ledger(), wiring.exports(), export_id, current_actor(app)))


@app.get("/reports/metrics", middlewares=[allow(*READERS)])
def metrics_report():
    query = parse(MetricsQuery, query_params(app))
    report = exports.metrics_report(wiring.ledger(), wiring.exports(), query.year, current_actor(app))
    if query.format == "csv":
        return Response(status_code=200, content_type="text/csv; charset=utf-8",
                        body=request_metrics.metrics_csv(report).decode(),
                        headers={"Content-Disposition": f'attachment; filename="ccpa-metrics-{query.year}.csv"'})
    return json_response(200, request_metrics.metrics_json(report))


@tracer.capture_method(capture_response=False)
def build_queued(record: SQSRecord) -> None:
    last = int(record.attributes.approximate_receive_count) >= MAX_RECEIVES
    exports.run_export_job(wiring.ledger(), wiring.exports(), record.json_body["export_id"], last_attempt=last)
    logger.info("export built", message_id=record.message_id)


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    """API Gateway routes (POST/GET /exports, GET /reports/metrics) and the export queue share one function."""
    logger.set_correlation_id(api_request_id(event))
    if "Records" in event:
        # Powertools' batch utility loads with the queue's first delivery: an API cold start does not pay for it.
        from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

        return process_partial_response(event=event, record_handler=build_queued,
                                        processor=BatchProcessor(event_type=EventType.SQS), context=context)
    return app.resolve(event, context)


cold_start.imports_done()
