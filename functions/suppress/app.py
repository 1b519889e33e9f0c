from shared import cold_start  # first: the collector stays off while this function's modules load

# isort: split
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import wiring
from shared.observability import logger, metrics, tracer
from shared.services.suppression_step import run_suppression_step

processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method(capture_response=False)
def handle_record(record: SQSRecord) -> str:
    outcome = run_suppression_step(wiring.ledger(), wiring.downstream(), record.json_body)
    metrics.add_metric(name=f"Suppression_{outcome}", unit="Count", value=1)
    logger.info("suppression step", outcome=outcome, message_id=record.message_id)
    return outcome


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=handle_record, processor=processor, context=context)


cold_start.imports_done()
