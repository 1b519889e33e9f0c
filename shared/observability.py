"""The Powertools singletons every function shares (service name from POWERTOOLS_SERVICE_NAME).

Powertools' `Tracer()` imports the X-Ray SDK, which builds a botocore session and client at import (about 200 ms
of every cold start) even when tracing is off. Where tracing is off (POWERTOOLS_TRACE_DISABLED, or outside Lambda,
the rule Powertools itself applies) the decorators are a pass-through instead; on Lambda the real Tracer is built
at import, so it patches botocore before any client exists and every call still gets its X-Ray subsegment."""

import json
import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider


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


# Below 1e16 an integral float is spelled "N.0" by json and orjson alike; larger ones and fractions may differ.
_PLAIN_FLOAT_LIMIT = 1e16


class EmfProvider(AmazonCloudWatchEMFProvider):
    """Powertools' CloudWatch EMF provider (`Metrics(provider=...)`, its documented extension point), writing the
    same line for less: Powertools flushes with `json.dumps(..., separators=(",", ":"))`, which builds an encoder
    every time (about 4 us of every request). The blob is still Powertools' own `serialize_metric_set`."""

    def flush_metrics(self, raise_on_empty_metrics: bool = False) -> None:
        if not self.metric_set or is_metrics_disabled():
            return super().flush_metrics(raise_on_empty_metrics)  # the warning, the error or nothing, as before
        plain = not self.metadata_set and all(value.is_integer() and -_PLAIN_FLOAT_LIMIT < value < _PLAIN_FLOAT_LIMIT
                                              for metric in self.metric_set.values() for value in metric["Value"])
        print(emf_text(self.serialize_metric_set(), plain))
        self.clear_metrics()


def emf_text(blob: dict[str, Any], plain: bool) -> str:
    """`json.dumps(blob, separators=(",", ":"))`, Powertools' EMF line, byte for byte. orjson writes it when the
    values are `plain` (no metadata, which may hold anything; metric values integral floats below 1e16) and its
    bytes need no escape: ASCII without a backslash (every escape both libraries write starts with one) or DEL
    (which only json escapes). Dimension values are strings and the timestamp an integer (Powertools converts
    both); whatever orjson refuses (keys that are not text) takes json."""
    if plain:
        import orjson  # loaded by the first flush: the sealer and compactor import nothing else that needs it

        try:
            data = orjson.dumps(blob)
        except orjson.JSONEncodeError:
            data = None
        if data is not None and data.isascii() and b"\\" not in data and b"\x7f" not in data:
            return data.decode()
    return json.dumps(blob, separators=(",", ":"))


def _tracer() -> Any:
    if not tracing_enabled():
        return UntracedTracer()
    from aws_lambda_powertools import Tracer

    return Tracer()


logger = Logger()
tracer = _tracer()
metrics = Metrics(provider=EmfProvider(namespace="CcpaAudit"))
