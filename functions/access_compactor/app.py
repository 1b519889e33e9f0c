from shared import cold_start  # first: the collector stays off while this function's modules load

# isort: split
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import wiring
from shared.config import get_settings
from shared.models.access_compaction import DAYS_PER_RUN
from shared.models.schedule import schedule_time
from shared.observability import logger, metrics, tracer
from shared.services.access_compaction import compact_closed_days


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    now = schedule_time(event)  # which days are closed, and locks, are counted from the schedule's time
    result = compact_closed_days(wiring.batch_objects(), wiring.ledger().evidence, wiring.compaction_state(),
                                 get_settings(), now, DAYS_PER_RUN)
    metrics.add_metric(name="DaysCompacted", unit="Count", value=len(result.days))
    metrics.add_metric(name="EventsCompacted", unit="Count", value=sum(day.events for day in result.days))
    for day in result.days:
        logger.info("access day compacted", day=day.day.isoformat(), events=day.events, sources=day.sources,
                    written=day.written, found=day.found)
    watermark = result.compacted_before.isoformat() if result.compacted_before else None
    return {"days": len(result.days), "events": sum(day.events for day in result.days),
            "compacted_before": watermark}


cold_start.imports_done()
