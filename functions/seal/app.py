from shared import cold_start  # first: the collector stays off while this function's modules load

# isort: split
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import wiring
from shared.models.schedule import schedule_time
from shared.observability import logger, metrics, tracer
from shared.services.access_seal import seal_everything


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    now = schedule_time(event)  # locks are counted from the schedule's time
    result = seal_everything(wiring.merkle_log(), wiring.access_batch_queue(now), now)
    metrics.add_metric(name="EventsSealed", unit="Count", value=result.sealed)
    metrics.add_metric(name="TreeSize", unit="Count", value=result.tree_size)
    logger.info("seal done", tree_size=result.tree_size, sealed=result.sealed)
    return {"tree_size": result.tree_size, "sealed": result.sealed}


cold_start.imports_done()
