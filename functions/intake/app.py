from shared import cold_start  # first: the collector stays off while this function's modules load

# isort: split
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.api import build_resolver
from shared.observability import api_request_id, logger, metrics, tracer
from shared.routes import access_events, consumer_requests, downstream, ledger_log, notices_consents, systems

# One resolver over the areas' routers (shared/routes/): each area's modules load at its first call.
app = build_resolver()
for area in (consumer_requests, downstream, systems, notices_consents, ledger_log, access_events):
    app.include_router(area.router)


@app.get("/health")
def health():
    return {"status": "ok"}


@app.get("/openapi.json")
def openapi():
    from shared.openapi import openapi_document

    return openapi_document()


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    logger.set_correlation_id(api_request_id(event))
    return app.resolve(event, context)


cold_start.imports_done()
