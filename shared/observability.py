"""The Powertools singletons every function shares (service name from POWERTOOLS_SERVICE_NAME).

Powertools' `Tracer()` imports the X-Ray SDK, which builds a botocore session and client at import (about 200 ms
of every cold start) even when tracing is off. Where tracing is off (POWERTOOLS_TRACE_DISABLED, or outside Lambda,
the rule Powertools itself applies) the decorators are a pass-through instead; on Lambda the real Tracer is built
at import, so it patches botocore before any client exists and every call still gets its X-Ray subsegment."""

import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics


def tracing_enabled(environ: Any = os.environ) -> bool:
    if environ.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in ("1", "true", "yes", "on", "y", "t"):
        return False
    in_lambda = bool(environ.get("LAMBDA_TASK_ROOT"))
    emulated = bool(environ.get("AWS_SAM_LOCAL") or environ.get("AWS_CHALICE_CLI_MODE"))
    return in_lambda and not emulated


class UntracedTracer:
    """Tracer's decorators, as no-ops: both `@capture_method` and `@capture_method(capture_response=False)`."""

    def capture_lambda_handler(self, lambda_handler: Callable | None = None, **_: Any) -> Any:
        return lambda_handler if lambda_handler is not None else (lambda handler: handler)

    capture_method = capture_lambda_handler


def api_request_id(event: dict[str, Any]) -> str | None:
    """The id API Gateway gives each call, the logs' correlation id: what `correlation_paths.API_GATEWAY_HTTP`
    selects, read directly (Powertools' JMESPath query costs a warm request about 20 us)."""
    request_context = event.get("requestContext")
    return request_context.get("requestId") if isinstance(request_context, dict) else None


def _tracer() -> Any:
    if not tracing_enabled():
        return UntracedTracer()
    from aws_lambda_powertools import Tracer

    return Tracer()


logger = Logger()
tracer = _tracer()
metrics = Metrics(namespace="CcpaAudit")
