from shared import cold_start  # first: the collector stays off while this function's modules load

# isort: split
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import wiring
from shared.api import build_resolver
from shared.observability import api_request_id, logger, metrics, tracer
from shared.routes import exports as export_routes
from shared.services import exports

app = build_resolver()
app.include_router(export_routes.router)
# The queue's maxReceiveCount in template.yaml: the last delivery records a failure instead of raising.
MAX_RECEIVES = 3


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
