"""The access stream's consumer: each invocation's accepted events become one locked Parquet batch object (their
envelopes are built here, off the producers' requests).

The event source mapping (template.yaml) gathers up to 10,000 records or a minute's worth per invocation, so at
full load an object holds thousands of events. A failure raises: the mapping retries the same records, and
copies of events already written are skipped by event id when they are sealed and searched.
"""

from shared import cold_start  # first: the collector stays off while this function's modules load

# isort: split
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import wiring
from shared.adapters.kinesis_access_stream import access_records
from shared.batch_gc import collector_paused
from shared.observability import logger, metrics, tracer
from shared.services.access_batches import write_access_batch


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    with collector_paused():  # the records are gone when it resumes: nothing left for it to walk
        written = write_access_batch(wiring.ledger(), access_records(event["Records"]))  # up to 10,000 records
    key, _, count = written or ("", "", 0)
    metrics.add_metric(name="AccessBatchObjects", unit="Count", value=1 if written else 0)
    metrics.add_metric(name="AccessEventsBatched", unit="Count", value=count)
    logger.info("access batch written", key=key, events=count, records=len(event["Records"]))
    return {"key": key, "events": count}


cold_start.imports_done()
