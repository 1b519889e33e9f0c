from shared import cold_start  # first: the collector stays off while this function's modules load

# isort: split
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared import wiring
from shared.models.schedule import schedule_time
from shared.observability import logger, metrics, tracer
from shared.services.follow_up_downstream import follow_up_downstream
from shared.services.sweep_deadlines import sweep_deadlines


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    now = schedule_time(event)  # "now" is the schedule's time, not the clock's
    result = sweep_deadlines(wiring.ledger(), wiring.alert_publisher(), now)
    downstream = follow_up_downstream(wiring.ledger(), wiring.downstream(), wiring.alert_publisher(), now)
    metrics.add_metric(name="OpenClocks", unit="Count", value=result.open_clocks)
    metrics.add_metric(name="ClocksAtRisk", unit="Count", value=result.at_risk)
    metrics.add_metric(name="ClocksOverdue", unit="Count", value=result.overdue)
    metrics.add_metric(name="FanoutsStarted", unit="Count", value=downstream.started)
    logger.info("sweep done", open_clocks=result.open_clocks, at_risk=result.at_risk, overdue=result.overdue,
                transitions=len(result.alerts), fanouts_started=downstream.started, partial_flagged=downstream.flagged)
    return {"open_clocks": result.open_clocks, "at_risk": result.at_risk, "overdue": result.overdue,
            "fanouts_started": downstream.started,
            "alerts": [alert.model_dump() for alert in [*result.alerts, *downstream.alerts]]}


cold_start.imports_done()
