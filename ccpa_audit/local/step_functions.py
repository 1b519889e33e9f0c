"""Step Functions for the long-running local stack: an event-driven executor of our state machine definitions,
installed behind moto's Step Functions API (start, describe, list, stop, SendTask*).

moto's own interpreter (used by the integration tests) runs each execution on several threads that block while a
branch waits for its task token; a manual downstream system keeps that wait open for days, so a few thousand
opt-outs held tens of thousands of threads and gigabytes. Here a waiting branch is a small record keyed by its
token, and one engine thread moves executions forward when a token is answered or a timer fires. Supported: Pass,
Choice, Wait, Succeed, Fail, Map (inline, MaxConcurrency), and Task on `sqs:sendMessage` (plain and
`.waitForTaskToken`) with Parameters, ResultSelector, ResultPath, InputPath/OutputPath, TimeoutSeconds(Path),
Retry and Catch. A definition that uses anything else is refused when the execution starts."""

import functools
import heapq
import itertools
import json
import queue
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ccpa_audit.local.asl_data import StatesError, choice_matches, read_path, render, write_result

SUPPORTED_STATES = {"Pass", "Choice", "Wait", "Succeed", "Fail", "Map", "Task"}
SQS_SEND = "arn:aws:states:::sqs:sendMessage"
SendMessage = Callable[[str, str], None]
RECENT_OBJECTS = 256
TIMER_SWEEP_FROM = 1024  # timers held before the answered tasks' timeouts are first dropped


class _SharedObjects:
    """A `json.loads` hook that returns one dict for identical JSON objects parsed recently: every opt-out's input
    lists the same registered systems, and thousands of executions wait for a manual one. Sharing is safe because
    the engine never changes data in place (ResultPath writes to a copy, templates build new objects)."""

    def __init__(self, size: int = RECENT_OBJECTS) -> None:
        self._recent: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()  # executions start on moto's request threads

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        key = json.dumps(pairs, separators=(",", ":"))
        found = self._recent.get(key)
        if found is not None:
            self._recent.move_to_end(key)
            return found
        self._recent[key] = parsed = dict(pairs)
        if len(self._recent) > self._size:
            self._recent.popitem(last=False)
        return parsed

    def loads(self, text: str) -> Any:
        with self._lock:
            return json.loads(text, object_pairs_hook=self)


@dataclass
class LocalExecution:
    """The fields moto's responses read from an execution."""

    execution_arn: str
    name: str
    state_machine_arn: str
    execution_input: str
    start_date: datetime = field(default_factory=lambda: datetime.now(UTC))
    status: str = "RUNNING"
    stop_date: datetime | None = None
    output: str | None = None
    output_details: dict[str, Any] | None = None
    error: str | None = None
    cause: str | None = None


@dataclass
class _Branch:
    """One run through a `States` block: the top level, or one Map iteration."""

    execution: LocalExecution
    states: dict[str, Any]
    context: dict[str, Any]
    on_done: Callable[[Any], None]
    on_fail: Callable[[StatesError], None]

    @property
    def live(self) -> bool:
        return self.execution.status == "RUNNING"


class _Timeout:
    """A task's timeout: its token, so the timers of answered tasks can be recognised and dropped."""

    __slots__ = ("engine", "token")

    def __init__(self, engine: "Engine", token: str) -> None:
        self.engine, self.token = engine, token

    def __call__(self) -> None:
        self.engine._timed_out(self.token)


@dataclass
class _Waiter:
    branch: _Branch
    name: str
    data: Any
    retries: dict[int, int]


class Engine:
    """Executions in memory; every state change happens on the engine thread, in arrival order."""

    def __init__(self, send_message: SendMessage) -> None:
        self._send = send_message
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._sweep_at = TIMER_SWEEP_FROM
        self._sequence = itertools.count()
        self._waiting: dict[str, _Waiter] = {}
        self._executions: dict[str, LocalExecution] = {}
        self._by_machine: dict[str, dict[str, LocalExecution]] = {}
        self._parsed = _SharedObjects()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="step-functions", daemon=True)
        self._thread.start()

    # --- the API moto's responses call -------------------------------------------------------------------------

    def start_execution(self, machine_arn: str, definition: dict[str, Any], name: str, execution_input: str,
                        already_exists: Callable[[str], Exception]) -> LocalExecution:
        named = self._by_machine.setdefault(machine_arn, {})
        existing = named.get(name)
        if existing is not None:
            if existing.execution_input == execution_input:
                return existing  # StartExecution is idempotent for the same name and input
            raise already_exists(f"Execution Already Exists: '{existing.execution_arn}'")
        _check_supported(definition["States"])
        arn = machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"
        execution = LocalExecution(arn, name, machine_arn, execution_input)
        named[name] = execution
        self._executions[arn] = execution
        data = self._parsed.loads(execution_input)
        context = {"Execution": {"Id": arn, "Name": name, "Input": data, "StartTime": _iso(execution.start_date)},
                   "StateMachine": {"Id": machine_arn, "Name": machine_arn.rsplit(":", 1)[-1]}}
        branch = _Branch(execution, definition["States"], context,
                         on_done=lambda output: self._finish(execution, "SUCCEEDED", output=output),
                         on_fail=lambda error: self._finish(execution, "FAILED", error=error))
        self._jobs.put(lambda: self._run(branch, definition["StartAt"], data))
        return execution

    def describe(self, arn: str) -> LocalExecution | None:
        return self._executions.get(arn)

    def list(self, machine_arn: str, status: str | None) -> list[LocalExecution]:
        found = [e for e in self._by_machine.get(machine_arn, {}).values() if status in (None, e.status)]
        return sorted(found, key=lambda e: e.start_date, reverse=True)

    def stop(self, arn: str) -> LocalExecution | None:
        execution = self._executions.get(arn)
        if execution is not None and execution.status == "RUNNING":
            self._finish(execution, "ABORTED")
        return execution

    def answer(self, token: str, output: str | None = None, error: str | None = None, cause: str = "") -> bool:
        """SendTaskSuccess / SendTaskFailure: False when the token waits for nothing (answered, timed out, ended)."""
        waiter = self._waiting.pop(token, None)  # atomic: a timeout firing at the same moment cannot also win
        if waiter is None or not waiter.branch.live:
            return False
        if error is not None:
            self._jobs.put(lambda: self._failed(waiter.branch, waiter.name, waiter.data, waiter.retries,
                                                StatesError(error, cause)))
        else:
            self._jobs.put(lambda: self._task_succeeded(waiter, output or "null"))
        return True

    def is_waiting(self, token: str) -> bool:
        return token in self._waiting

    def shutdown(self) -> None:
        self._stopped.set()
        self._jobs.put(lambda: None)

    # --- the engine thread ------------------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopped.is_set():
            timeout = max(0.0, self._timers[0][0] - time.monotonic()) if self._timers else None
            try:
                job = self._jobs.get(timeout=timeout)
            except queue.Empty:
                job = None
            if job is not None:
                self._guarded(job)
            while self._timers and self._timers[0][0] <= time.monotonic():
                self._guarded(heapq.heappop(self._timers)[2])

    def _guarded(self, job: Callable[[], None]) -> None:
        try:
            job()
        except Exception as error:  # noqa: BLE001  one broken execution must not stop the others
            print(f"step functions: {type(error).__name__}: {error}", flush=True)

    def _later(self, seconds: float, job: Callable[[], None]) -> None:
        heapq.heappush(self._timers, (time.monotonic() + seconds, next(self._sequence), job))
        if len(self._timers) >= self._sweep_at:
            # A task's timeout stays set for hours after the task was answered; the answered ones are dropped here
            # rather than kept until they fire, so the timers are about as many as the tasks still waiting.
            self._timers = [timer for timer in self._timers
                            if not isinstance(timer[2], _Timeout) or timer[2].token in self._waiting]
            heapq.heapify(self._timers)
            self._sweep_at = max(TIMER_SWEEP_FROM, 2 * len(self._timers))

    def _finish(self, execution: LocalExecution, status: str, output: Any = None,
                error: StatesError | None = None) -> None:
        if execution.status != "RUNNING":
            return
        execution.stop_date = datetime.now(UTC)
        if status == "SUCCEEDED":
            execution.output = json.dumps(output)
            execution.output_details = {"included": True}
        if error is not None:
            execution.error, execution.cause = error.error, error.cause
        execution.status = status

    def _run(self, branch: _Branch, name: str, data: Any, retries: dict[int, int] | None = None) -> None:
        """Runs states until one has to wait (a task token, a timer, map iterations) or the branch ends."""
        while branch.live:
            state = branch.states[name]
            kind = state["Type"]
            try:
                effective = read_path(state["InputPath"], data, branch.context) if state.get("InputPath") else data
                if kind == "Task":
                    self._task(branch, name, effective, retries or {})
                    return
                if kind == "Map":
                    self._map(branch, name, effective, retries or {})
                    return
                if kind == "Wait":
                    seconds = state.get("Seconds")
                    if "SecondsPath" in state:
                        seconds = read_path(state["SecondsPath"], effective, branch.context)
                    self._later(float(seconds or 0), lambda: self._advance(branch, name, effective))
                    return
                if kind == "Fail":
                    branch.on_fail(StatesError(state.get("Error", "States.Fail"), state.get("Cause", "")))
                    return
                if kind == "Choice":
                    rule = next((r for r in state.get("Choices", []) if choice_matches(r, effective, branch.context)),
                                None)
                    if rule is None and "Default" not in state:
                        raise StatesError("States.NoChoiceMatched", f"no choice matched in {name}")
                    name, data = (rule or {}).get("Next", state.get("Default")), effective
                    continue
                output = effective
                if kind == "Pass":
                    result = (render(state["Parameters"], effective, branch.context) if "Parameters" in state
                              else state.get("Result", effective))
                    output = write_result(state.get("ResultPath", "$"), effective, result)
            except StatesError as error:
                branch.on_fail(error)
                return
            output = read_path(state["OutputPath"], output, branch.context) if state.get("OutputPath") else output
            if state.get("End") or kind == "Succeed":
                branch.on_done(output)
                return
            name, data, retries = state["Next"], output, None

    def _advance(self, branch: _Branch, name: str, output: Any) -> None:
        state = branch.states[name]
        output = read_path(state["OutputPath"], output, branch.context) if state.get("OutputPath") else output
        if state.get("End"):
            branch.on_done(output)
        else:
            self._run(branch, state["Next"], output)

    def _task(self, branch: _Branch, name: str, data: Any, retries: dict[int, int]) -> None:
        state = branch.states[name]
        resource = state["Resource"]
        waits = resource.endswith(".waitForTaskToken")
        token = secrets.token_urlsafe(48) if waits else ""
        context = {**branch.context, "State": {"Name": name, "EnteredTime": _iso(datetime.now(UTC)),
                                               "RetryCount": sum(retries.values())}, "Task": {"Token": token}}
        try:
            params = render(state.get("Parameters", {}), data, context)
            body = params["MessageBody"]
            timeout = state.get("TimeoutSeconds")
            if "TimeoutSecondsPath" in state:
                timeout = read_path(state["TimeoutSecondsPath"], data, context)
        except (StatesError, KeyError) as error:
            self._failed(branch, name, data, retries, error if isinstance(error, StatesError)
                         else StatesError("States.Runtime", f"{name}: missing {error}"))
            return
        if waits:
            self._waiting[token] = _Waiter(branch, name, data, retries)
        try:
            self._send(params["QueueUrl"], body if isinstance(body, str) else json.dumps(body))
        except Exception as error:  # noqa: BLE001  the SDK's failure becomes the task's error, as in Step Functions
            self._waiting.pop(token, None)
            code = getattr(error, "response", {}).get("Error", {}).get("Code")
            self._failed(branch, name, data, retries,
                         StatesError("SQS.AmazonSQSException" if code else "SQS.SdkClientException", str(error)))
            return
        if not waits:
            self._task_result(branch, name, data, {"MessageId": "local"})
            return
        if timeout:
            self._later(float(timeout), _Timeout(self, token))

    def _timed_out(self, token: str) -> None:
        waiter = self._waiting.pop(token, None)
        if waiter is not None and waiter.branch.live:
            self._failed(waiter.branch, waiter.name, waiter.data, waiter.retries,
                         StatesError("States.Timeout", "the task did not answer within its timeout"))

    def _task_succeeded(self, waiter: _Waiter, output: str) -> None:
        try:
            result = self._parsed.loads(output)
        except ValueError:
            result = output
        self._task_result(waiter.branch, waiter.name, waiter.data, result)

    def _task_result(self, branch: _Branch, name: str, data: Any, result: Any) -> None:
        state = branch.states[name]
        try:
            if "ResultSelector" in state:
                result = render(state["ResultSelector"], result, branch.context)
            output = write_result(state.get("ResultPath", "$"), data, result)
        except StatesError as error:
            branch.on_fail(error)
            return
        self._advance(branch, name, output)

    def _map(self, branch: _Branch, name: str, data: Any, retries: dict[int, int]) -> None:
        state = branch.states[name]
        try:
            items = read_path(state.get("ItemsPath", "$"), data, branch.context)
            if not isinstance(items, list):
                raise StatesError("States.Runtime", f"{name}: ItemsPath is not an array")
        except StatesError as error:
            self._failed(branch, name, data, retries, error)
            return
        processor = state.get("ItemProcessor") or state.get("Iterator") or {}
        selector = state.get("ItemSelector") or state.get("Parameters")
        results: list[Any] = [None] * len(items)
        pending = list(range(len(items)))
        running = {"count": 0, "done": 0, "failed": False}
        limit = int(state.get("MaxConcurrency") or 0) or len(items) or 1

        def start_next() -> None:
            while pending and running["count"] < limit and not running["failed"]:
                index = pending.pop(0)
                running["count"] += 1
                item_context = {**branch.context, "Map": {"Item": {"Index": index, "Value": items[index]}}}
                try:
                    item_input = render(selector, data, item_context) if selector else items[index]
                except StatesError as error:
                    fail(error)
                    return
                child = _Branch(branch.execution, processor["States"], item_context,
                                on_done=lambda output, i=index: done(i, output), on_fail=fail)
                self._run(child, processor["StartAt"], item_input)

        def done(index: int, output: Any) -> None:
            if running["failed"]:
                return
            results[index] = output
            running["count"] -= 1
            running["done"] += 1
            if running["done"] == len(items):
                self._task_result(branch, name, data, results)
            else:
                start_next()

        def fail(error: StatesError) -> None:
            if not running["failed"]:
                running["failed"] = True
                self._failed(branch, name, data, retries, error)

        if not items:
            self._task_result(branch, name, data, [])
            return
        start_next()

    def _failed(self, branch: _Branch, name: str, data: Any, retries: dict[int, int], error: StatesError) -> None:
        """A state's error: its first matching retrier (while attempts remain), else its first matching catcher."""
        if not branch.live:
            return
        state = branch.states[name]
        for position, retrier in enumerate(state.get("Retry", [])):
            if not _matches(error.error, retrier["ErrorEquals"]):
                continue
            attempts = retries.get(position, 0)
            if attempts < retrier.get("MaxAttempts", 3):
                delay = retrier.get("IntervalSeconds", 1) * retrier.get("BackoffRate", 2.0) ** attempts
                delay = min(delay, retrier.get("MaxDelaySeconds", delay))
                again = {**retries, position: attempts + 1}
                self._later(delay, lambda: self._run(branch, name, data, again))
                return
            break
        for catcher in state.get("Catch", []):
            if _matches(error.error, catcher["ErrorEquals"]):
                output = write_result(catcher.get("ResultPath", "$"), data, {"Error": error.error,
                                                                            "Cause": error.cause})
                self._run(branch, catcher["Next"], output)
                return
        branch.on_fail(error)


def _matches(error: str, names: list[str]) -> bool:
    if "States.ALL" in names or error in names:
        return True
    return "States.TaskFailed" in names and error != "States.Timeout" and not error.startswith("States.")


def _check_supported(states: dict[str, Any]) -> None:
    for name, state in states.items():
        kind = state.get("Type")
        if kind not in SUPPORTED_STATES:
            raise StatesError("States.Runtime", f"state {name}: type {kind} is not supported locally")
        if kind == "Task" and not state.get("Resource", "").startswith(SQS_SEND):
            raise StatesError("States.Runtime", f"state {name}: resource {state.get('Resource')} is not supported")
        if kind == "Map":
            _check_supported((state.get("ItemProcessor") or state.get("Iterator") or {}).get("States", {}))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@functools.lru_cache(maxsize=16)
def _definition(text: str) -> dict[str, Any]:
    """One parsed definition per state machine version, shared by its executions (the engine only reads it)."""
    return dict(json.loads(text))


def install(send_message: SendMessage) -> Engine:
    """Serve moto's execution APIs from an Engine (the state machines themselves stay moto's)."""
    import uuid

    from moto.stepfunctions.exceptions import ExecutionAlreadyExists, ExecutionDoesNotExist
    from moto.stepfunctions.parser.api import TaskDoesNotExist
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend as Backend

    engine = Engine(send_message)

    def start_execution(self: Any, state_machine_arn: str, name: str | None = None,
                        execution_input: str | None = None, trace_header: Any = None) -> LocalExecution:
        machine = self.describe_state_machine(state_machine_arn)
        return engine.start_execution(machine.arn, _definition(machine.definition), name or str(uuid.uuid4()),
                                      execution_input or "{}", ExecutionAlreadyExists)

    def describe_execution(self: Any, execution_arn: str) -> LocalExecution:
        execution = engine.describe(execution_arn)
        if execution is None:
            raise ExecutionDoesNotExist(f"Execution Does Not Exist: '{execution_arn}'")
        return execution

    def list_executions(self: Any, state_machine_arn: str, status_filter: str | None = None,
                        max_results: int | None = None, next_token: str | None = None) -> tuple[list[Any], None]:
        return engine.list(state_machine_arn, status_filter)[: max_results or None], None

    def stop_execution(self: Any, execution_arn: str) -> LocalExecution:
        engine.stop(execution_arn)
        return describe_execution(self, execution_arn)

    def send_task_success(self: Any, task_token: str, outcome: str) -> None:
        if not engine.answer(task_token, output=outcome):
            raise TaskDoesNotExist()

    def send_task_failure(self: Any, task_token: str, error: str | None = None, cause: str | None = None) -> None:
        if not engine.answer(task_token, error=error or "States.TaskFailed", cause=cause or ""):
            raise TaskDoesNotExist()

    def send_task_heartbeat(self: Any, task_token: str) -> None:
        if not engine.is_waiting(task_token):
            raise TaskDoesNotExist()

    def get_execution_history(self: Any, execution_arn: str) -> dict[str, Any]:
        execution = describe_execution(self, execution_arn)
        events = [{"id": 1, "type": "ExecutionStarted", "timestamp": execution.start_date}]
        if execution.stop_date is not None:
            ended = {"SUCCEEDED": "ExecutionSucceeded", "FAILED": "ExecutionFailed", "ABORTED": "ExecutionAborted"}
            events.append({"id": 2, "type": ended[execution.status], "timestamp": execution.stop_date})
        return {"events": events}

    for function in (start_execution, describe_execution, list_executions, stop_execution, send_task_success,
                     send_task_failure, send_task_heartbeat, get_execution_history):
        setattr(Backend, function.__name__, function)
    return engine
