"""CloudTrail data events through EventBridge: normalized (shared/services/access_normalizers.py) and accepted
exactly like a producer's POST /access-events, onto the access stream. Accesses to data the mapping does not name
are not personal data: dropped. A failure raises, and EventBridge retries the event (same ids: stored once)."""

from shared import cold_start  # first: the collector stays off while this function's modules load

# isort: split
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import wiring
from shared.ledger.envelope import Actor
from shared.observability import logger, metrics, tracer
from shared.services.access_log import record_access_batch
from shared.services.access_normalizers import from_eventbridge

CLOUDTRAIL = Actor(type="service", id="aws.cloudtrail")


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    events = from_eventbridge(event, wiring.cloudtrail_mapping())
    ids = record_access_batch(wiring.ledger(), wiring.access_stream(), events, CLOUDTRAIL) if events else []
    metrics.add_metric(name="AccessEventsAccepted", unit="Count", value=len(ids))
    logger.info("cloudtrail event", accepted=len(ids))
    return {"accepted": len(ids), "event_ids": ids}


cold_start.imports_done()
