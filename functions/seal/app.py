from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import wiring
from shared.models.schedule import schedule_time
from shared.observability import logger, metrics, tracer
from shared.services.seal_log import seal_log


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    now = schedule_time(event)  # locks are counted from the schedule's time
    result = seal_log(wiring.merkle_log(), now)
    metrics.add_metric(name="EventsSealed", unit="Count", value=result.sealed)
    metrics.add_metric(name="TreeSize", unit="Count", value=result.tree_size)
    logger.info("seal done", tree_size=result.tree_size, sealed=result.sealed)
    return {"tree_size": result.tree_size, "sealed": result.sealed}
