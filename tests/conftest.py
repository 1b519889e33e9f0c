# moto first: clients created after this import are intercepted whenever mock_aws() is active (STYLE fact 1).
import moto  # noqa: F401  isort: skip
import os

from ccpa_audit.local import emulator_fixes

# The suite runs on the same corrected emulator as `make run` (tests/local/test_emulator_fixes.py checks them).
emulator_fixes.apply()

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
