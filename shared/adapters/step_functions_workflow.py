"""StepFunctionsWorkflow: starts the suppression state machine and answers the task tokens its branches wait on."""

import json
from typing import Any

from botocore.exceptions import ClientError

from shared.errors import StorageUnavailableError
from shared.observability import logger, tracer

# The task is over (answered, timed out, or its execution ended): a late answer changes nothing there.
_GONE = ("TaskTimedOut", "TaskDoesNotExist", "InvalidToken")


class StepFunctionsWorkflow:
    def __init__(self, state_machine_arn: str, client: Any) -> None:
        self._arn = state_machine_arn
        self._sfn = client

    @tracer.capture_method(capture_response=False)
    def start(self, name: str, payload: dict[str, Any]) -> str:
        """Execution names are unique per state machine, so a repeated start finds the first execution."""
        try:
            response = self._sfn.start_execution(stateMachineArn=self._arn, name=name, input=json.dumps(payload))
            return str(response["executionArn"])
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
                arn = self._arn.replace(":stateMachine:", ":execution:") + f":{name}"
                return arn
            raise StorageUnavailableError("the state machine could not be started") from error

    @tracer.capture_method(capture_response=False)
    def succeed(self, task_token: str, output: dict[str, Any]) -> bool:
        return self._answer(lambda: self._sfn.send_task_success(taskToken=task_token, output=json.dumps(output)))

    @tracer.capture_method(capture_response=False)
    def fail(self, task_token: str, error: str, cause: str) -> bool:
        return self._answer(lambda: self._sfn.send_task_failure(taskToken=task_token, error=error, cause=cause[:32768]))

    def _answer(self, call: Any) -> bool:
        try:
            call()
            return True
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in _GONE:
                logger.info("task token no longer waiting", code=code)
                return False
            raise StorageUnavailableError("the state machine could not be answered") from error
