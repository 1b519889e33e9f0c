"""An SQS event source mapping, locally: receive from a queue, hand the batch to the function as an SQS event,
delete what succeeded, and let failures come back soon (the template's long visibility timeout suits Lambda, not a
laptop demo)."""

import hashlib
from collections.abc import Callable
from typing import Any

from ccpa_audit.local.lambda_context import LambdaContext

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
LOCAL_RETRY_SECONDS = 2
_ARNS: dict[str, str] = {}  # queue URL -> ARN: asking each round made the emulator count the queue's messages


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    return {"Records": [{
        "messageId": m["MessageId"],
        "receiptHandle": m["ReceiptHandle"],
        "body": m["Body"],
        "attributes": {"ApproximateReceiveCount": m.get("Attributes", {}).get("ApproximateReceiveCount", "1"),
                       "SentTimestamp": m.get("Attributes", {}).get("SentTimestamp", "0"),
                       "SenderId": "local", "ApproximateFirstReceiveTimestamp": "0"},
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(m["Body"].encode()).hexdigest(),  # noqa: S324  SQS's own checksum, not security
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3],
    } for m in messages]}


def pump_once(sqs: Any, queue_url: str, handler: Handler, wait_seconds: int = 0, batch: int = 10) -> int:
    """One receive -> invoke -> delete round; returns how many messages the function handled."""
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=batch, WaitTimeSeconds=wait_seconds,
                                   AttributeNames=["All"]).get("Messages", [])
    if not received:
        return 0
    arn = _ARNS.get(queue_url)
    if arn is None:
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
        arn = _ARNS[queue_url] = attributes["QueueArn"]
    result = handler(sqs_event(received, arn), LambdaContext(function_name="suppress", aws_request_id="local"))
    failed = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
    # one call each for the batch's successes and failures (a receive takes at most 10: one batch call's worth)
    done = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(received)
            if m["MessageId"] not in failed]
    retried = [{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": LOCAL_RETRY_SECONDS}
               for n, m in enumerate(received) if m["MessageId"] in failed]
    if done:
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=done)
    if retried:
        sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=retried)
    return len(done)
