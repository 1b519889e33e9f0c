# moto first: clients created after this import are intercepted whenever mock_aws() is active (STYLE fact 1).
import moto  # noqa: F401  isort: skip
import os

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
    POWERTOOLS_METRICS_DISABLED="true",
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_SERVICE_NAME="ccpa-audit-test",
    POWERTOOLS_METRICS_NAMESPACE="CcpaAuditTest",
    POWERTOOLS_LOG_LEVEL="WARNING",
)
