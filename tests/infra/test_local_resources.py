"""ccpa_audit.local.resources builds the template's stateful resources in moto, with the template's settings."""

import json
import time
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from ccpa_audit.local.resources import LocalStack, UnresolvableError, create_local_resources, load_template
from shared.config import Settings

REGION = "us-east-1"
MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}


@pytest.fixture
def aws(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws(config=MOTO_CONFIG):
        yield lambda service: boto3.client(service, region_name=REGION)


@pytest.fixture
def stack(aws) -> LocalStack:
    return create_local_resources(aws)


@pytest.fixture(scope="module")
def template():
    return load_template()


def _props(template, logical_id):
    return template["Resources"][logical_id]["Properties"]


def test_every_resource_exists_when_created_from_the_template(aws, stack):
    env = stack.env
    s3, ddb, kms = aws("s3"), aws("dynamodb"), aws("kms")
    for bucket in (env["EVIDENCE_BUCKET"], env["EXPORT_BUCKET"]):
        s3.head_bucket(Bucket=bucket)
    for table in (env["INDEX_TABLE"], env["IDEMPOTENCY_TABLE"]):
        assert ddb.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"
    for key in (env["EVIDENCE_KEY_ID"], env["CONSUMER_TAG_KEY_ID"], env["CHECKPOINT_KEY_ID"]):
        assert kms.describe_key(KeyId=key)["KeyMetadata"]["Enabled"] is True
    aws("sns").get_topic_attributes(TopicArn=env["ALERTS_TOPIC_ARN"])
    for queue in (env["INSTRUCTION_QUEUE_URL"], env["EXPORT_QUEUE_URL"]):
        aws("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    aws("stepfunctions").describe_state_machine(stateMachineArn=env["SUPPRESSION_STATE_MACHINE_ARN"])
    assert env["AUTH_MODE"] == "local"


def test_env_configures_settings_when_applied(monkeypatch, stack):
    assert {field.upper() for field in Settings.model_fields} <= set(stack.env)
    for name, value in stack.env.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.auth_mode == "local"
    assert settings.evidence_bucket == stack.env["EVIDENCE_BUCKET"]
    assert settings.index_table == stack.env["INDEX_TABLE"]
    assert settings.retention_request_days == 730


def test_put_object_is_compliance_locked_for_730_days_when_the_bucket_default_applies(aws, stack):
    s3 = aws("s3")
    s3.put_object(Bucket=stack.env["EVIDENCE_BUCKET"], Key="events/e1.json", Body=b"{}")

    head = s3.head_object(Bucket=stack.env["EVIDENCE_BUCKET"], Key="events/e1.json")

    assert head["ObjectLockMode"] == "COMPLIANCE"
    expected = datetime.now(UTC) + timedelta(days=730)
    assert abs(head["ObjectLockRetainUntilDate"] - expected) < timedelta(days=1)
    assert head["ServerSideEncryption"] == "aws:kms"


def test_deleting_a_locked_version_is_refused_when_retention_has_not_run_out(aws, stack):
    s3 = aws("s3")
    version = s3.put_object(Bucket=stack.env["EVIDENCE_BUCKET"], Key="events/e2.json", Body=b"{}")["VersionId"]

    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=stack.env["EVIDENCE_BUCKET"], Key="events/e2.json", VersionId=version)

    assert refused.value.response["Error"]["Code"] == "AccessDenied"


def test_export_bucket_locks_bundles_for_the_export_retention_when_created(aws, stack, template):
    days = template["Parameters"]["ExportRetentionDays"]["Default"]
    config = aws("s3").get_object_lock_configuration(Bucket=stack.env["EXPORT_BUCKET"])["ObjectLockConfiguration"]
    assert config["Rule"]["DefaultRetention"]["Mode"] == "COMPLIANCE"
    assert config["Rule"]["DefaultRetention"]["Days"] == days


def test_buckets_are_versioned_private_and_kms_encrypted_when_created(aws, stack):
    s3 = aws("s3")
    for bucket in (stack.env["EVIDENCE_BUCKET"], stack.env["EXPORT_BUCKET"]):
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(block.values()) and len(block) == 4
        (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == stack.env["EVIDENCE_KEY_ID"]


def test_index_table_has_the_template_indexes_when_created(aws, stack, template):
    table = aws("dynamodb").describe_table(TableName=stack.env["INDEX_TABLE"])["Table"]
    built = {
        index["IndexName"]: (index["KeySchema"], index["Projection"]) for index in table["GlobalSecondaryIndexes"]
    }
    declared = {
        index["IndexName"]: (index["KeySchema"], index["Projection"])
        for index in _props(template, "IndexTable")["GlobalSecondaryIndexes"]
    }
    assert built == declared
    assert set(built) == {"ByConsumer", "ByKind", "ByMonth", "OpenClocks", "Unsealed", "ByEventId", "ByActor",
                          "ByAction", "ByService"}
    assert table["KeySchema"] == _props(template, "IndexTable")["KeySchema"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_tables_have_ttl_and_point_in_time_recovery_when_the_template_asks(aws, stack):
    ddb = aws("dynamodb")
    ttl = ddb.describe_time_to_live(TableName=stack.env["IDEMPOTENCY_TABLE"])["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiration"}
    for table in (stack.env["INDEX_TABLE"], stack.env["IDEMPOTENCY_TABLE"]):
        backups = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
        assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"


def test_kms_keys_have_the_template_specs_when_created(aws, stack, template):
    kms = aws("kms")
    for env_name, logical_id in (
        ("EVIDENCE_KEY_ID", "EvidenceKey"),
        ("CONSUMER_TAG_KEY_ID", "ConsumerTagKey"),
        ("CHECKPOINT_KEY_ID", "CheckpointKey"),
    ):
        metadata = kms.describe_key(KeyId=stack.env[env_name])["KeyMetadata"]
        props = _props(template, logical_id)
        assert (metadata["KeySpec"], metadata["KeyUsage"]) == (props["KeySpec"], props["KeyUsage"])
    assert kms.describe_key(KeyId="alias/ccpa-checkpoint-local")["KeyMetadata"]["Arn"] == stack.env["CHECKPOINT_KEY_ID"]


def test_checkpoint_key_signs_raw_messages_when_created(aws, stack):
    kms = aws("kms")
    signature = kms.sign(
        KeyId=stack.env["CHECKPOINT_KEY_ID"],
        Message=b"origin\n1\nroot\n",
        MessageType="RAW",
        SigningAlgorithm="ECDSA_SHA_256",
    )["Signature"]
    verified = kms.verify(
        KeyId=stack.env["CHECKPOINT_KEY_ID"],
        Message=b"origin\n1\nroot\n",
        MessageType="RAW",
        Signature=signature,
        SigningAlgorithm="ECDSA_SHA_256",
    )
    assert verified["SignatureValid"] is True


def test_queues_redrive_to_their_dead_letter_queues(aws, stack):
    from functions.export.app import MAX_RECEIVES

    sqs = aws("sqs")
    # The export function records a failed export on the queue's last delivery, so the two must agree.
    for url, receives in ((stack.env["INSTRUCTION_QUEUE_URL"], 5), (stack.env["EXPORT_QUEUE_URL"], MAX_RECEIVES)):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        redrive = json.loads(attributes["RedrivePolicy"])
        assert int(redrive["maxReceiveCount"]) == receives
        assert redrive["deadLetterTargetArn"].endswith("-dlq")


def test_state_machine_exists_with_every_placeholder_substituted(aws, stack):
    machine = aws("stepfunctions").describe_state_machine(stateMachineArn=stack.env["SUPPRESSION_STATE_MACHINE_ARN"])
    assert "${" not in machine["definition"]
    assert stack.env["INSTRUCTION_QUEUE_URL"] in machine["definition"]


def test_second_call_is_harmless_when_resources_and_objects_exist(aws, stack):
    aws("s3").put_object(Bucket=stack.env["EVIDENCE_BUCKET"], Key="events/e3.json", Body=b"{}")

    again = create_local_resources(aws)

    assert again.env == stack.env


def test_session_is_accepted_instead_of_a_client_factory(aws):
    stack = create_local_resources(boto3.Session(region_name=REGION), prefix="ccpa-session")
    assert stack.env["EVIDENCE_BUCKET"] == "ccpa-session-evidence"
    aws("s3").head_bucket(Bucket="ccpa-session-evidence")


def _receive(sqs, url, count, timeout=10.0):
    messages, deadline = [], time.monotonic() + timeout
    while len(messages) < count and time.monotonic() < deadline:
        messages += sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_fan_out_records_every_system_when_one_confirms_and_one_times_out(aws, stack):
    sfn, sqs = aws("stepfunctions"), aws("sqs")
    queue = stack.env["INSTRUCTION_QUEUE_URL"]
    system = {"connector": "webhook", "retry_backoff_seconds": [], "max_retries": 0}
    execution = sfn.start_execution(
        stateMachineArn=stack.env["SUPPRESSION_STATE_MACHINE_ARN"],
        input=json.dumps(
            {
                "request_id": "req-1",
                "request_type": "delete",
                "due": "2026-12-14",
                "systems": [{**system, "system_id": "crm", "sla_seconds": 60},
                            {**system, "system_id": "ads", "sla_seconds": 1}],
            }
        ),
    )["executionArn"]

    # When crm confirms through its task token and ads never answers
    instructions = {m["system"]["system_id"]: m for m in _receive(sqs, queue, 2)}
    assert set(instructions) == {"crm", "ads"}
    assert instructions["crm"]["request_id"] == "req-1" and instructions["crm"]["action"] == "instruct"
    sfn.send_task_success(taskToken=instructions["crm"]["task_token"], output=json.dumps({"status": "honored"}))

    # Then the finalize step is queued with one result per system, and the execution ends once it is answered
    (finalize,) = _receive(sqs, queue, 1, timeout=15)
    assert finalize["action"] == "finalize"
    results = {r["system_id"]: r for r in finalize["results"]}
    assert results["crm"]["status"] == "confirmed"
    assert results["ads"]["status"] == "timed_out"
    assert results["ads"]["error"]["Error"] == "States.Timeout"
    sfn.send_task_success(taskToken=finalize["task_token"], output=json.dumps({"status": "partially_honored"}))
    deadline = time.monotonic() + 15
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "execution did not finish"
        time.sleep(0.1)
    assert described["status"] == "SUCCEEDED"


def test_queues_and_tables_are_encrypted_with_the_data_key_when_created(aws, stack):
    data_key = aws("kms").describe_key(KeyId="alias/ccpa-data-local")["KeyMetadata"]["Arn"]
    sqs, ddb = aws("sqs"), aws("dynamodb")
    for url in (stack.env["INSTRUCTION_QUEUE_URL"], stack.env["EXPORT_QUEUE_URL"]):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attributes["KmsMasterKeyId"] == data_key
        redrive = json.loads(attributes["RedrivePolicy"])
        dlq = sqs.get_queue_url(QueueName=redrive["deadLetterTargetArn"].rsplit(":", 1)[1])["QueueUrl"]
        assert sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["KmsMasterKeyId"])["Attributes"] == {
            "KmsMasterKeyId": data_key}
    for table in (stack.env["INDEX_TABLE"], stack.env["IDEMPOTENCY_TABLE"]):
        sse = ddb.describe_table(TableName=table)["Table"]["SSEDescription"]
        assert (sse["Status"], sse["SSEType"], sse["KMSMasterKeyArn"]) == ("ENABLED", "KMS", data_key)


def test_evidence_and_export_buckets_log_access_to_the_private_access_log_bucket(aws, stack):
    s3 = aws("s3")
    targets = {bucket: s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]
               for bucket in (stack.env["EVIDENCE_BUCKET"], stack.env["EXPORT_BUCKET"])}
    assert targets == {stack.env["EVIDENCE_BUCKET"]: {"TargetBucket": "ccpa-local-access-logs",
                                                      "TargetPrefix": "evidence/"},
                       stack.env["EXPORT_BUCKET"]: {"TargetBucket": "ccpa-local-access-logs",
                                                    "TargetPrefix": "exports/"}}
    log_bucket = "ccpa-local-access-logs"
    assert s3.get_bucket_versioning(Bucket=log_bucket)["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket=log_bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    (rule,) = s3.get_bucket_encryption(Bucket=log_bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    policy = json.loads(s3.get_bucket_policy(Bucket=log_bucket)["Policy"])
    writers = {s["Principal"]["Service"] for s in policy["Statement"] if s["Effect"] == "Allow"}
    assert writers == {"logging.s3.amazonaws.com"}


def test_export_bucket_expires_bundles_by_the_template_lifecycle_rule_when_created(aws, stack, template):
    days = template["Parameters"]["ExportRetentionDays"]["Default"]
    (rule,) = aws("s3").get_bucket_lifecycle_configuration(Bucket=stack.env["EXPORT_BUCKET"])["Rules"]
    assert rule["ID"] == "ExpireBundlesAfterRetention" and rule["Status"] == "Enabled"
    assert rule["Expiration"] == {"Days": days}
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    (logs_rule,) = aws("s3").get_bucket_lifecycle_configuration(Bucket="ccpa-local-access-logs")["Rules"]
    assert logs_rule["Expiration"] == {"Days": 731}


def test_a_lifecycle_field_without_a_local_translation_is_refused_rather_than_dropped(aws, template):
    bucket = template["Resources"]["ExportBucket"]
    rule = {**bucket["Properties"]["LifecycleConfiguration"]["Rules"][0], "Transitions": [{"StorageClass": "GLACIER"}]}
    changed = {**bucket, "Properties": {**bucket["Properties"], "LifecycleConfiguration": {"Rules": [rule]}}}
    altered = {**template, "Resources": {**template["Resources"], "ExportBucket": changed}}

    with pytest.raises(UnresolvableError, match="Transitions"):
        create_local_resources(aws, prefix="ccpa-drift", template=altered)
