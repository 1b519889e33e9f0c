"""The local stack's event-driven executor, run on our own suppression definition and on small definitions for the
ASL rules it implements; a fake queue stands in for SQS."""

import json
import queue
import time
from pathlib import Path

import pytest

from ccpa_audit.local.asl_data import StatesError, choice_matches, evaluate, render, write_result
from ccpa_audit.local.step_functions import Engine

DEFINITION = json.loads(Path("statemachine/suppression.asl.json").read_text().replace("${InstructionQueueUrl}", "q"))
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:suppression"


class Queue:
    def __init__(self):
        self.messages: queue.Queue = queue.Queue()
        self.fail_next = 0

    def send(self, url, body):
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("queue unreachable")
        self.messages.put((url, json.loads(body)))

    def next(self, timeout=5.0):
        return self.messages.get(timeout=timeout)[1]


@pytest.fixture
def sqs():
    return Queue()


@pytest.fixture
def engine(sqs):
    running = Engine(sqs.send)
    yield running
    running.shutdown()


def start(engine, definition=DEFINITION, payload=None, name="run-1"):
    return engine.start_execution(MACHINE, definition, name, json.dumps(payload or {}), RuntimeError)


def settle(execution, timeout=5.0):
    deadline = time.monotonic() + timeout
    while execution.status == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.01)
    return execution.status


def system(system_id, sla=30, retries=(1, 1)):
    return {"system_id": system_id, "connector": "webhook", "sla_seconds": sla,
            "retry_backoff_seconds": list(retries), "max_retries": len(retries)}


def fanout_input(*systems):
    return {"request_id": "r-1", "request_type": "opt_out_sale_sharing", "due": "2026-12-14", "systems": list(systems)}


def test_every_system_gets_an_instruction_and_finalize_sees_each_result(engine, sqs):
    execution = start(engine, payload=fanout_input(system("mail"), system("ads")))
    sent = {message["system"]["system_id"]: message for message in (sqs.next(), sqs.next())}
    assert {m["action"] for m in sent.values()} == {"instruct"}
    assert sent["mail"]["execution_id"] == execution.execution_arn and sent["mail"]["attempt"] == 0
    assert sent["mail"]["task_token"] != sent["ads"]["task_token"]

    assert engine.answer(sent["mail"]["task_token"], output=json.dumps({"status": "completed"}))
    assert engine.answer(sent["ads"]["task_token"], error="InstructionRefusedError", cause="http_400")
    final = sqs.next()
    assert final["action"] == "finalize"
    assert final["results"] == [{"system_id": "mail", "status": "confirmed", "error": None},
                                {"system_id": "ads", "status": "failed",
                                 "error": {"Error": "InstructionRefusedError", "Cause": "http_400"}}]
    assert execution.status == "RUNNING"
    assert engine.answer(final["task_token"], output=json.dumps({"recorded": True}))

    assert settle(execution) == "SUCCEEDED"
    assert json.loads(execution.output)["finalized"] == {"recorded": True}


def test_a_token_is_answered_once_and_a_late_answer_changes_nothing(engine, sqs):
    start(engine, payload=fanout_input(system("mail")))
    token = sqs.next()["task_token"]

    assert engine.answer(token, output="{}")
    assert not engine.answer(token, output="{}")
    assert not engine.answer(token, error="X")
    assert not engine.answer("made-up-token", output="{}")


def test_an_unavailable_system_is_retried_with_a_new_token_and_its_registry_backoff(engine, sqs):
    start(engine, payload=fanout_input(system("crm", retries=(0, 0))))
    first = sqs.next()
    engine.answer(first["task_token"], error="DownstreamUnavailableError", cause="http_503")
    second = sqs.next()
    assert second["attempt"] == 1 and second["task_token"] != first["task_token"]
    engine.answer(second["task_token"], error="DownstreamUnavailableError", cause="http_503")
    third = sqs.next()
    assert third["attempt"] == 2
    engine.answer(third["task_token"], error="DownstreamUnavailableError", cause="http_503")

    final = sqs.next()
    assert final["results"][0]["status"] == "failed"  # the schedule had two waits: three attempts in all


def test_a_system_that_never_answers_times_out_after_its_sla(engine, sqs):
    start(engine, payload=fanout_input(system("silent", sla=0.2), system("mail")))
    messages = {m["system"]["system_id"]: m for m in (sqs.next(), sqs.next())}
    engine.answer(messages["mail"]["task_token"], output="{}")

    final = sqs.next()
    results = {r["system_id"]: r for r in final["results"]}
    assert results["silent"]["status"] == "timed_out" and results["silent"]["error"]["Error"] == "States.Timeout"
    assert not engine.answer(messages["silent"]["task_token"], output="{}")  # too late: the task is over


def test_a_queue_failure_is_retried_by_the_task_retrier(engine, sqs):
    sqs.fail_next = 1
    start(engine, payload=fanout_input(system("mail")))
    message = sqs.next(timeout=10)  # the Retry on SQS.SdkClientException waits 2 s, then queues it again
    assert message["system"]["system_id"] == "mail"


def test_the_same_name_and_input_returns_the_running_execution_and_other_input_is_refused(engine, sqs):
    first = start(engine, payload=fanout_input(system("mail")))
    assert start(engine, payload=fanout_input(system("mail"))) is first
    with pytest.raises(RuntimeError, match="Already Exists"):
        start(engine, payload=fanout_input(system("ads")))
    assert engine.list(MACHINE, "RUNNING") == [first]


def test_an_empty_fan_out_goes_straight_to_finalize(engine, sqs):
    start(engine, payload=fanout_input())
    assert sqs.next()["action"] == "finalize"


def test_a_stopped_execution_ignores_its_tokens(engine, sqs):
    execution = start(engine, payload=fanout_input(system("mail")))
    token = sqs.next()["task_token"]
    engine.stop(execution.execution_arn)

    assert execution.status == "ABORTED" and execution.stop_date is not None
    assert not engine.answer(token, output="{}")


def test_an_uncaught_error_fails_the_execution_with_its_name():
    definition = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Broken", "Cause": "why"}}}
    running = Engine(lambda url, body: None)
    try:
        execution = start(running, definition)
        assert settle(execution) == "FAILED"
        assert (execution.error, execution.cause) == ("Broken", "why")
    finally:
        running.shutdown()


def test_choice_wait_and_pass_follow_the_specification():
    definition = {"StartAt": "Pick", "States": {
        "Pick": {"Type": "Choice", "Choices": [
            {"And": [{"Variable": "$.n", "NumericGreaterThanEquals": 2}, {"Not": {"Variable": "$.s",
                                                                                 "StringEquals": "no"}}],
             "Next": "Nap"}], "Default": "Other"},
        "Nap": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Shape"},
        "Shape": {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.n, 40)", "fixed": [1, {"a": "b"}],
                                                "text.$": "States.Format('n={} s={}', $.n, $.s)"},
                  "ResultPath": "$.shaped", "OutputPath": "$.shaped", "End": True},
        "Other": {"Type": "Succeed"}}}
    running = Engine(lambda url, body: None)
    try:
        execution = start(running, definition, {"n": 2, "s": "yes", "wait": 0.05})
        assert settle(execution) == "SUCCEEDED"
        assert json.loads(execution.output) == {"sum": 42, "fixed": [1, {"a": "b"}], "text": "n=2 s=yes"}
        other = start(running, definition, {"n": 1, "s": "yes", "wait": 0}, name="run-2")
        assert settle(other) == "SUCCEEDED" and json.loads(other.output) == {"n": 1, "s": "yes", "wait": 0}
    finally:
        running.shutdown()


def test_data_helpers_read_write_and_refuse_what_they_cannot_evaluate():
    context = {"Map": {"Item": {"Value": {"id": 7}}}}
    data = {"a": {"b": [10, 20]}, "list": [3, 4, 5], "i": 1}
    assert evaluate("$.a.b[1]", data, context) == 20
    assert evaluate("$$.Map.Item.Value", data, context) == {"id": 7}
    assert evaluate("States.ArrayGetItem($.list, $.i)", data, context) == 4
    assert render({"x.$": "$.i", "y": {"z.$": "$['a']"}}, data, context) == {"x": 1, "y": {"z": {"b": [10, 20]}}}
    assert write_result("$.out.deep", {"keep": 1}, 9) == {"keep": 1, "out": {"deep": 9}}
    assert write_result(None, {"keep": 1}, 9) == {"keep": 1}
    assert choice_matches({"Variable": "$.i", "NumericLessThanPath": "$.list[0]"}, data, context)
    assert not choice_matches({"Variable": "$.missing", "NumericEquals": 1}, data, context)
    assert choice_matches({"Variable": "$.missing", "IsPresent": False}, data, context)
    with pytest.raises(StatesError):
        evaluate("$.nope", data, context)
    with pytest.raises(StatesError):
        evaluate("States.ArrayGetItem($.list, 9)", data, context)


def test_a_definition_with_an_unsupported_resource_is_refused_at_start():
    definition = {"StartAt": "L", "States": {"L": {"Type": "Task", "Resource": "arn:aws:lambda:x", "End": True}}}
    running = Engine(lambda url, body: None)
    try:
        with pytest.raises(StatesError, match="not supported"):
            start(running, definition)
    finally:
        running.shutdown()


def test_waiting_executions_share_their_identical_inputs_and_each_still_ends_with_its_own_results(engine, sqs):
    first = start(engine, payload={**fanout_input(system("mail")), "request_id": "r-1"}, name="one")
    second = start(engine, payload={**fanout_input(system("mail")), "request_id": "r-2"}, name="two")
    tokens = {message["request_id"]: message["task_token"] for message in (sqs.next(), sqs.next())}
    waiting = {waiter.data["request_id"]: waiter.data for waiter in engine._waiting.values()}

    assert waiting["r-1"]["system"] is waiting["r-2"]["system"]  # one parsed record of the same system
    engine.answer(tokens["r-1"], output=json.dumps({"status": "completed"}))
    engine.answer(tokens["r-2"], error="InstructionRefusedError", cause="http_400")
    finals = {message["request_id"]: message for message in (sqs.next(), sqs.next())}

    assert finals["r-1"]["results"][0]["status"] == "confirmed" and finals["r-2"]["results"][0]["status"] == "failed"
    assert finals["r-1"]["systems"] == finals["r-2"]["systems"] == [system("mail")]  # neither changed the other's
    assert first.status == second.status == "RUNNING"


def test_answered_tasks_leave_no_timers_behind_and_a_silent_one_still_times_out(sqs, monkeypatch):
    from ccpa_audit.local import step_functions

    monkeypatch.setattr(step_functions, "TIMER_SWEEP_FROM", 8)
    engine = Engine(sqs.send)
    try:
        start(engine, payload=fanout_input(system("silent", sla=1.5)), name="silent")
        silent = sqs.next()
        executions = []
        for n in range(30):  # each waits on one system (SLA a day), is answered, then on its finalize task
            executions.append(start(engine, payload=fanout_input(system("mail", sla=86_400)), name=f"run-{n}"))
            engine.answer(sqs.next()["task_token"], output=json.dumps({"status": "completed"}))
            engine.answer(sqs.next()["task_token"], output=json.dumps({"recorded": True}))
        assert all(settle(execution) == "SUCCEEDED" for execution in executions)
        assert len(engine._timers) <= 16  # not one per task started: 60 day-long timeouts were set
        final = sqs.next(timeout=5.0)  # the silent system's SLA still ends its wait
        assert final["action"] == "finalize" and final["results"][0]["status"] == "timed_out"
        assert not engine.answer(silent["task_token"], output="{}")
    finally:
        engine.shutdown()
