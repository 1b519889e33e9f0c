"""Static checks on template.yaml, statemachine/ and the layer build: what cfn-lint cannot know about our design."""

import json
import re
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from ccpa_audit.local.resources import REPO_ROOT, load_template
from shared.config import Settings

FUNCTIONS = ["IntakeFunction", "SuppressFunction", "DeadlineSweeperFunction", "ExportFunction", "SealFunction",
             "AccessBatcherFunction", "CloudTrailAccessFunction", "AccessCompactorFunction"]

# API.md (HTTP API contract v1), plus GET /openapi.json. The _local/* routes exist only in local mode.
PUBLIC_ROUTES = {
    ("GET", "/health"),
    ("GET", "/.well-known/gpc.json"),
    ("POST", "/requests"),
    ("POST", "/gpc"),
    ("GET", "/gpc/status"),
    ("GET", "/ledger/keys"),
    ("POST", "/callbacks/{system_id}"),
    ("GET", "/openapi.json"),
    ("GET", "/notices"),
    ("GET", "/notices/{notice_id}"),
    ("POST", "/consents"),  # public only for a consumer's web-form record; tokens checked in the handler
    ("GET", "/status/{token}"),
}
AUTHENTICATED_ROUTES = {
    ("GET", "/requests"),
    ("GET", "/requests/{id}"),
    ("POST", "/requests/{id}/actions"),
    ("POST", "/access-events"),
    ("GET", "/access-events"),
    ("GET", "/systems"),
    ("GET", "/systems/{system_id}"),
    ("PUT", "/systems/{system_id}"),
    ("DELETE", "/systems/{system_id}"),
    ("POST", "/exports"),
    ("GET", "/exports/{id}"),
    ("GET", "/events/{event_id}/proof"),
    ("GET", "/ledger/checkpoint"),
    ("GET", "/ledger/consistency"),
    ("GET", "/reports/metrics"),
    ("POST", "/notices"),
    ("GET", "/consents"),
    ("GET", "/consents/decision"),
}

FORBIDDEN_ON_EVIDENCE = ("s3:BypassGovernanceRetention", "s3:DeleteObject")


@pytest.fixture(scope="module")
def template():
    return load_template()


@pytest.fixture(scope="module")
def resources_(template):
    return template["Resources"]


def _props(resources_, logical_id):
    return resources_[logical_id]["Properties"]


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _function_policy_statements(resources_):
    """(owner, statement) for every inline statement of every function and state machine role."""
    for name, resource in resources_.items():
        if resource["Type"] in {"AWS::Serverless::Function", "AWS::Serverless::StateMachine"}:
            for policy in resource["Properties"].get("Policies", []):
                assert isinstance(policy, dict) and "Statement" in policy, f"{name}: only inline policy documents"
                for statement in policy["Statement"]:
                    yield name, statement


def _key_policy_statements(resources_):
    for name, resource in resources_.items():
        if resource["Type"] == "AWS::KMS::Key":
            for statement in resource["Properties"]["KeyPolicy"]["Statement"]:
                yield name, statement


def _bucket_policy_statements(resources_):
    for name, resource in resources_.items():
        if resource["Type"] == "AWS::S3::BucketPolicy":
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                yield name, statement


def _is_root_admin_statement(statement):
    """The one statement type allowed to be broad: a key's administration by the account root."""
    principal = statement.get("Principal", {}).get("AWS")
    is_root = principal == {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    return statement.get("Sid") == "EnableRootAccountAdmin" and is_root and "Condition" not in statement


def _is_wildcard(action):
    return action == "*" or action.endswith(":*")


def _references(value, logical_id):
    """Whether an intrinsic-function value points at a logical id (Ref, GetAtt or ${Id...} in a Sub)."""
    text = json.dumps(value)
    return f'"Ref": "{logical_id}"' in text or f'"{logical_id}"' in text or "${" + logical_id in text


# ------------------------------------------------------------------------------------------------- lint


def test_cfn_lint_passes_when_run_on_the_template():
    executable = Path(sys.executable).parent / "cfn-lint"
    command = [str(executable)] if executable.exists() else [sys.executable, "-m", "cfnlint"]
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [*command, "template.yaml"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    # cfn-lint exit code is a bit field: 2 errors, 4 warnings, 8 informational.
    assert result.returncode & ~8 == 0, result.stdout + result.stderr


def test_every_iam_action_exists_when_checked_against_cfn_lint_data(resources_):
    # cfn-lint validates SAM templates against SAM schemas, so it never looks inside function Policies.
    known = json.loads((resources.files("cfnlint.data.AdditionalSpecs") / "Policies.json").read_text())
    statements = [
        *_function_policy_statements(resources_),
        *_key_policy_statements(resources_),
        *_bucket_policy_statements(resources_),
    ]
    unknown = []
    for owner, statement in statements:
        for action in _as_list(statement["Action"]):
            service, _, name = action.partition(":")
            if name == "*":
                continue
            if service not in known or name.lower() not in known[service]["Actions"]:
                unknown.append((owner, action))
    assert unknown == []


# ------------------------------------------------------------------------------------------------- evidence


def test_evidence_bucket_is_compliance_locked_for_at_least_730_days(template, resources_):
    bucket = resources_["EvidenceBucket"]
    props = bucket["Properties"]
    assert props["ObjectLockEnabled"] is True
    lock = props["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    retention = lock["Rule"]["DefaultRetention"]
    assert retention["Mode"] == "COMPLIANCE"
    assert retention["Days"] == {"Ref": "RetentionDays"}
    parameter = template["Parameters"]["RetentionDays"]
    assert parameter["MinValue"] >= 730
    assert parameter["Default"] >= 730
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["UpdateReplacePolicy"] == "Retain"


def test_evidence_bucket_is_versioned_kms_encrypted_and_private(resources_):
    props = _props(resources_, "EvidenceBucket")
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {"Fn::GetAtt": ["EvidenceKey", "Arn"]}
    assert rule["BucketKeyEnabled"] is True
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}


def _policy_for(resources_, bucket):
    (policy,) = [
        r["Properties"]["PolicyDocument"]
        for r in resources_.values()
        if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": bucket}
    ]
    return policy


def _denies_insecure_transport(policy):
    return any(
        s["Effect"] == "Deny"
        and s["Principal"] == "*"
        and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") in ("false", False)
        and set(_as_list(s["Action"])) & {"s3:*", "*"}
        for s in policy["Statement"]
    )


def test_evidence_bucket_policy_denies_insecure_transport_and_retention_changes(resources_):
    policy = _policy_for(resources_, "EvidenceBucket")
    assert _denies_insecure_transport(policy)
    denied_to_everyone = {
        action
        for s in policy["Statement"]
        if s["Effect"] == "Deny" and s["Principal"] == "*" and "Condition" not in s
        for action in _as_list(s["Action"])
    }
    assert {"s3:BypassGovernanceRetention", "s3:DeleteObjectVersion", "s3:DeleteObject"} <= denied_to_everyone
    conditional = [s for s in policy["Statement"] if s["Effect"] == "Deny" and "s3:PutObjectRetention" in
                   _as_list(s["Action"]) and "Condition" in s]
    conditions = [s["Condition"] for s in conditional]
    # Retention may be set at write time only as COMPLIANCE and for at least RetentionDays (>= 730).
    assert {"StringNotEqualsIfExists": {"s3:object-lock-mode": "COMPLIANCE"}} in conditions
    assert {"NumericLessThan": {"s3:object-lock-remaining-retention-days": {"Ref": "RetentionDays"}}} in conditions


def test_export_bucket_is_locked_encrypted_private_and_tls_only_when_holding_bundles(template, resources_):
    props = _props(resources_, "ExportBucket")
    assert props["ObjectLockEnabled"] is True
    retention = props["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert retention == {"Mode": "COMPLIANCE", "Days": {"Ref": "ExportRetentionDays"}}
    assert "ExportRetentionDays" in template["Parameters"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    assert _denies_insecure_transport(_policy_for(resources_, "ExportBucket"))


# ------------------------------------------------------------------------------------------------- index


def test_tables_have_point_in_time_recovery_and_encryption(resources_):
    for table in ("IndexTable", "IdempotencyTable"):
        props = _props(resources_, table)
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, table
        assert props["SSESpecification"]["SSEEnabled"] is True, table
        assert props["BillingMode"] == "PAY_PER_REQUEST", table


def test_index_table_is_protected_from_deletion(resources_):
    table = resources_["IndexTable"]
    assert table["DeletionPolicy"] == "Retain"
    assert table["Properties"]["DeletionProtectionEnabled"] is True


def test_index_table_has_the_query_indexes_when_built(resources_):
    props = _props(resources_, "IndexTable")
    assert props["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    indexes = {
        index["IndexName"]: (
            tuple((k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]),
            index["Projection"]["ProjectionType"],
            tuple(index["Projection"].get("NonKeyAttributes", [])),
        )
        for index in props["GlobalSecondaryIndexes"]
    }
    assert indexes == {
        "ByConsumer": ((("consumer_pk", "HASH"), ("consumer_sk", "RANGE")), "ALL", ()),
        "ByKind": ((("kind_pk", "HASH"), ("kind_sk", "RANGE")), "ALL", ()),
        "ByMonth": ((("month_pk", "HASH"), ("month_sk", "RANGE")), "ALL", ()),
        "OpenClocks": ((("open_pk", "HASH"), ("open_sk", "RANGE")), "ALL", ()),
        "ByActor": ((("actor_pk", "HASH"), ("actor_sk", "RANGE")), "ALL", ()),
        "ByAction": ((("action_pk", "HASH"), ("action_sk", "RANGE")), "ALL", ()),
        "ByService": ((("service_pk", "HASH"), ("service_sk", "RANGE")), "ALL", ()),
        "Unsealed": (
            (("unsealed_pk", "HASH"), ("unsealed_sk", "RANGE")),
            "INCLUDE",
            ("event_id", "event_hash", "consumer_tag"),
        ),
        "ByEventId": ((("event_id", "HASH"),), "KEYS_ONLY", ()),
    }
    key_attributes = {name for schema, _, _ in indexes.values() for name, _ in schema} | {"pk", "sk"}
    definitions = {d["AttributeName"]: d["AttributeType"] for d in props["AttributeDefinitions"]}
    assert definitions == dict.fromkeys(key_attributes, "S")


def test_idempotency_table_expires_records_when_ttl_passes(resources_):
    props = _props(resources_, "IdempotencyTable")
    assert props["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert props["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


# ------------------------------------------------------------------------------------------------- functions


def test_every_function_has_the_shared_layer_and_active_tracing(template, resources_):
    defaults = template["Globals"]["Function"]
    functions = {n: r for n, r in resources_.items() if r["Type"] == "AWS::Serverless::Function"}
    assert set(functions) == set(FUNCTIONS)
    for name, function in functions.items():
        props = function["Properties"]
        assert {"Ref": "SharedLayer"} in props.get("Layers", defaults.get("Layers", [])), name
        assert props.get("Tracing", defaults.get("Tracing")) == "Active", name
        assert props.get("Runtime", defaults.get("Runtime")) == "python3.12", name
        assert props.get("Architectures", defaults.get("Architectures")) == ["arm64"], name
        assert props["Handler"] == "app.lambda_handler", name
        folder = props["CodeUri"].rstrip("/")
        assert folder.startswith("functions/"), name
        assert (REPO_ROOT / folder).is_dir(), name


def test_shared_layer_is_built_by_makefile_into_the_shared_import_path(resources_):
    layer = resources_["SharedLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Properties"]["ContentUri"].rstrip("/") == "shared"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.12"]
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    makefile = (REPO_ROOT / "shared" / "Makefile").read_text()
    assert re.search(r"^build-SharedLayer:", makefile, re.MULTILINE)
    assert "$(ARTIFACTS_DIR)/python/shared" in makefile
    flags = ("--platform manylinux2014_aarch64", "--only-binary=:all:", "--python-version 3.12", "--implementation cp")
    for flag in flags:
        assert flag in makefile


def test_layer_requirements_pin_every_runtime_dependency_when_compared_with_pyproject():
    def normalize(name):
        return re.sub(r"[-_.]+", "-", name).lower()

    pins = {}
    for line in (REPO_ROOT / "shared" / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"unpinned requirement: {line}"
            pins[normalize(name)] = version
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    for dependency in project["dependencies"]:
        name, _, version = dependency.partition("==")
        assert pins.get(normalize(name.split("[")[0])) == version, dependency
    constraints = {}
    for line in (REPO_ROOT / "constraints.txt").read_text().splitlines():
        if "==" in line:
            name, _, version = line.strip().partition("==")
            constraints[normalize(name)] = version
    assert {name: constraints.get(name) for name in pins} == pins
    assert "boto3" not in pins and "botocore" not in pins


def test_globals_env_covers_every_settings_field(template):
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    expected = {field.upper() for field in Settings.model_fields}
    assert expected - set(variables) == set()
    assert variables["AUTH_MODE"] == "jwt"


def test_globals_env_points_resources_at_the_stack(template, resources_):
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["EVIDENCE_BUCKET"] == {"Ref": "EvidenceBucket"}
    assert variables["EXPORT_BUCKET"] == {"Ref": "ExportBucket"}
    assert variables["INDEX_TABLE"] == {"Ref": "IndexTable"}
    assert variables["IDEMPOTENCY_TABLE"] == {"Ref": "IdempotencyTable"}
    assert variables["ALERTS_TOPIC_ARN"] == {"Ref": "AlertsTopic"}
    assert variables["HOLIDAY_CALENDAR"] == {"Ref": "HolidayCalendar"}
    for name in ("RETENTION_REQUEST_DAYS", "RETENTION_CONSENT_DAYS"):
        assert variables[name] == {"Ref": "RetentionDays"}
    # The state machine ARN is built from the state machine's fixed name (no dependency cycle).
    name = _props(resources_, "SuppressionStateMachine")["Name"]
    assert name == {"Fn::Sub": "${AWS::StackName}-suppression"}
    assert variables["SUPPRESSION_STATE_MACHINE_ARN"]["Fn::Sub"].endswith(":stateMachine:${AWS::StackName}-suppression")


def test_schedules_run_the_sweeper_every_15_minutes_and_the_sealer_every_minute(resources_):
    def schedules(name):
        events = _props(resources_, name).get("Events", {})
        return [e["Properties"]["Schedule"] for e in events.values() if e["Type"] == "Schedule"]

    assert schedules("DeadlineSweeperFunction") == ["rate(15 minutes)"]
    assert schedules("SealFunction") == ["rate(1 minute)"]
    assert schedules("AccessCompactorFunction") == ["rate(1 hour)"]


# ------------------------------------------------------------------------------------------------- least privilege


def test_no_policy_grants_wildcard_actions(resources_):
    offenders = []
    for owner, statement in _function_policy_statements(resources_):
        offenders += [(owner, a) for a in _as_list(statement["Action"]) if _is_wildcard(a)]
    for owner, statement in _key_policy_statements(resources_):
        # Explicit exception: only the account-root administration statement could ever need breadth.
        if _is_root_admin_statement(statement):
            continue
        offenders += [(owner, a) for a in _as_list(statement["Action"]) if _is_wildcard(a)]
    for owner, statement in _bucket_policy_statements(resources_):
        # Deny statements (e.g. "s3:* over plain HTTP") restrict; only grants must be narrow.
        if statement["Effect"] == "Allow":
            offenders += [(owner, a) for a in _as_list(statement["Action"]) if _is_wildcard(a)]
    assert offenders == []


def test_key_root_admin_statements_grant_no_cryptographic_use(resources_):
    for owner, statement in _key_policy_statements(resources_):
        if _is_root_admin_statement(statement):
            crypto = {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:Sign", "kms:GenerateMac", "kms:*", "*"}
            assert not crypto & set(_as_list(statement["Action"])), owner
            assert "kms:ScheduleKeyDeletion" not in _as_list(statement["Action"]), owner


def test_function_statements_name_explicit_resources(resources_):
    # Only actions without resource-level permissions may use Resource "*".
    unscoped_ok = {
        "kinesis:ListStreams",  # the Kinesis event source mapping's poller; no resource-level scoping
        "states:SendTaskSuccess",
        "states:SendTaskFailure",
        "states:SendTaskHeartbeat",
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
    }
    for owner, statement in _function_policy_statements(resources_):
        assert statement["Effect"] == "Allow", owner
        if "*" in _as_list(statement["Resource"]):
            assert set(_as_list(statement["Action"])) <= unscoped_ok, (owner, statement.get("Sid"))


def test_no_function_may_delete_evidence_or_change_its_retention(resources_):
    for owner, statement in _function_policy_statements(resources_):
        for action in _as_list(statement["Action"]):
            assert not action.startswith(FORBIDDEN_ON_EVIDENCE), (owner, action)
    for owner, statement in _key_policy_statements(resources_):
        for action in _as_list(statement["Action"]):
            assert not action.startswith(FORBIDDEN_ON_EVIDENCE), (owner, action)


def test_retention_may_be_set_only_on_the_locked_buckets_objects_and_never_bypassed(resources_):
    # PutObjectRetention (lock headers on writes, extensions of superseded notices and withdrawn consents) only on
    # objects of the two COMPLIANCE-locked buckets; the bucket policy denies bypassing or weakening a lock.
    locked = {"${EvidenceBucket.Arn}/*", "${ExportBucket.Arn}/*", "${EvidenceBucket.Arn}/access/batches/*",
              "${EvidenceBucket.Arn}/access/compacted/*"}
    for owner, statement in _function_policy_statements(resources_):
        if "s3:PutObjectRetention" in _as_list(statement["Action"]):
            resources = {r["Fn::Sub"] if isinstance(r, dict) else r for r in _as_list(statement["Resource"])}
            assert resources <= locked, (owner, statement.get("Sid"))
    denied = {action for s in resources_["EvidenceBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
              if s["Effect"] == "Deny" for action in _as_list(s["Action"])}
    assert {"s3:BypassGovernanceRetention", "s3:PutObjectRetention"} <= denied


def test_only_intake_and_sweeper_start_suppression_and_only_sealer_and_exporter_sign(resources_):
    def actions_of(name):
        statements = _function_policy_statements(resources_)
        return {action for owner, s in statements if owner == name for action in _as_list(s["Action"])}

    starters = {name for name in FUNCTIONS if "states:StartExecution" in actions_of(name)}
    signers = {name for name in FUNCTIONS if "kms:Sign" in actions_of(name)}
    assert starters == {"IntakeFunction", "DeadlineSweeperFunction"}  # the sweeper starts fan-outs a crash lost
    assert signers == {"SealFunction", "ExportFunction"}
    intake = actions_of("IntakeFunction")
    assert {"kms:GenerateMac", "kms:GenerateDataKey", "kms:Decrypt", "kms:GetPublicKey"} <= intake
    assert {"states:SendTaskSuccess", "states:SendTaskFailure"} <= intake
    assert {"sns:Publish", "events:PutEvents"} <= actions_of("DeadlineSweeperFunction")


def test_only_the_validating_functions_may_put_records_on_the_access_stream(resources_):
    """The batcher reads stream records without validating them again (shared/models/access_batch.py AccessRecord):
    only the API and the CloudTrail function, which validate every event first, may write them."""
    writes = {"kinesis:PutRecord", "kinesis:PutRecords"}
    writers = {owner for owner, statement in _function_policy_statements(resources_)
               if statement["Effect"] == "Allow" and any(
                   action in writes or action in ("kinesis:*", "kinesis:Put*", "*") for action in
                   _as_list(statement["Action"]))}
    assert writers == {"IntakeFunction", "CloudTrailAccessFunction"}
    others = {"AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::Kinesis::ResourcePolicy"}
    assert not [name for name, resource in resources_.items() if resource["Type"] in others]


def test_kms_keys_have_the_design_specs_and_survive_stack_deletion(resources_):
    expected = {
        "EvidenceKey": ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"),
        "CheckpointKey": ("ECC_NIST_P256", "SIGN_VERIFY"),
        "ConsumerTagKey": ("HMAC_256", "GENERATE_VERIFY_MAC"),
    }
    for name, (spec, usage) in expected.items():
        key = resources_[name]
        assert (key["Properties"]["KeySpec"], key["Properties"]["KeyUsage"]) == (spec, usage), name
        assert key["DeletionPolicy"] == "Retain", name
        aliases = [
            r
            for r in resources_.values()
            if r["Type"] == "AWS::KMS::Alias" and r["Properties"]["TargetKeyId"] == {"Ref": name}
        ]
        assert len(aliases) == 1, name
    assert resources_["EvidenceKey"]["Properties"]["EnableKeyRotation"] is True


# ------------------------------------------------------------------------------------------------- API


EXPORT_ROUTES = {("POST", "/exports"), ("GET", "/exports/{id}"), ("GET", "/reports/metrics")}


def test_every_api_route_has_an_http_api_event_on_intake_or_export(resources_):
    routes = {}
    for function in ("IntakeFunction", "ExportFunction"):
        found = {}
        for event in _props(resources_, function)["Events"].values():
            assert event["Type"] == "HttpApi"
            props = event["Properties"]
            assert props["ApiId"] == {"Ref": "HttpApi"}
            found[(props["Method"].upper(), props["Path"])] = props.get("Auth", {}).get("Authorizer")
        # Exports and reports live on the function that holds the bundle and signing permissions.
        assert (set(found) == EXPORT_ROUTES) == (function == "ExportFunction"), function
        routes |= found
    assert set(routes) == PUBLIC_ROUTES | AUTHENTICATED_ROUTES
    assert {route for route, authorizer in routes.items() if authorizer == "NONE"} == PUBLIC_ROUTES


def test_http_api_uses_a_jwt_authorizer_with_access_logs_and_throttling(template, resources_):
    props = _props(resources_, "HttpApi")
    auth = props["Auth"]
    authorizer = auth["Authorizers"][auth["DefaultAuthorizer"]]
    # An external provider when JwtIssuer is given, else the stack's own Cognito user pool and console client.
    issuer = authorizer["JwtConfiguration"]["issuer"]["Fn::If"]
    assert issuer[0] == "UsesExternalIdp" and issuer[1] == {"Ref": "JwtIssuer"}
    assert _references(issuer[2], "ConsoleUserPool") and "cognito-idp" in json.dumps(issuer[2])
    [audience] = authorizer["JwtConfiguration"]["audience"]
    assert audience["Fn::If"] == ["UsesExternalIdp", {"Ref": "JwtAudience"}, {"Ref": "ConsoleUserPoolClient"}]
    assert _references(props["AccessLogSettings"]["DestinationArn"], "HttpApiAccessLogGroup")
    assert props["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0
    assert props["DefaultRouteSettings"]["ThrottlingBurstLimit"] > 0
    assert template["Parameters"]["HolidayCalendar"]["AllowedValues"] == [
        "weekends-only",
        "us-federal",
        "california",
        "us-federal+california",
    ]


# ------------------------------------------------------------------------------------------------- state machine


def test_state_machine_definition_is_valid_json_and_every_placeholder_is_substituted(resources_):
    props = _props(resources_, "SuppressionStateMachine")
    text = (REPO_ROOT / props["DefinitionUri"]).read_text()
    definition = json.loads(text)
    placeholders = set(re.findall(r"\$\{([^}]+)\}", text))
    assert placeholders
    assert placeholders <= set(props["DefinitionSubstitutions"])
    assert props["Tracing"] == {"Enabled": True}
    assert props["Logging"]["Destinations"]
    fan_out = definition["States"][definition["StartAt"]]
    assert fan_out["Type"] == "Map"
    assert fan_out["ItemsPath"] == "$.systems"
    assert fan_out["MaxConcurrency"] == 10


def test_state_machine_waits_for_each_system_and_catches_every_failure():
    definition = json.loads((REPO_ROOT / "statemachine" / "suppression.asl.json").read_text())
    branch = definition["States"]["FanOut"]["ItemProcessor"]
    send = branch["States"][branch["StartAt"]]
    assert send["Resource"] == "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
    assert send["Parameters"]["MessageBody"]["task_token.$"] == "$$.Task.Token"
    assert send["TimeoutSecondsPath"] == "$.system.sla_seconds"
    assert send["Retry"] and all(r["BackoffRate"] > 1 for r in send["Retry"])
    assert send["Catch"][-1]["ErrorEquals"] == ["States.ALL"]
    # Transient failures loop back through a wait taken from the system's own schedule, then give up as failed.
    retry = branch["States"][send["Catch"][0]["Next"]]
    assert send["Catch"][0]["ErrorEquals"] == ["DownstreamUnavailableError"]
    assert retry["Type"] == "Choice" and retry["Default"] == "RecordFailed"
    wait = branch["States"][branch["States"][retry["Choices"][0]["Next"]]["Next"]]
    assert wait == {"Type": "Wait", "SecondsPath": "$.wait_seconds", "Next": branch["StartAt"]}
    ends = {branch["States"][c["Next"]]["Parameters"]["status"] for c in send["Catch"][1:]}
    assert ends == {"failed", "timed_out"}
    finalize = definition["States"]["Finalize"]
    assert finalize["Resource"] == "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
    assert finalize["Parameters"]["MessageBody"]["action"] == "finalize"
    assert finalize["TimeoutSeconds"] and finalize["Retry"]
    # Features moto 5.2.5 cannot interpret stay out of the definition (DESIGN section 9).
    text = json.dumps(definition)
    assert "JSONata" not in text and "ToleratedFailurePercentage" not in text and "states:startExecution" not in text


def test_outputs_name_what_operators_and_e2e_tests_need(template):
    assert {
        "ApiUrl",
        "EvidenceBucketName",
        "IndexTableName",
        "CheckpointKeyId",
        "AlertsTopicArn",
        "StateMachineArn",
    } <= set(template["Outputs"])


def test_samconfig_deploys_the_default_stack_with_iam_capability():
    config = tomllib.loads((REPO_ROOT / "samconfig.toml").read_text())
    deploy = config["default"]["deploy"]["parameters"]
    assert config["default"]["global"]["parameters"]["stack_name"] == "ccpa-audit"
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["resolve_s3"] is True
    assert deploy["confirm_changeset"] is True


def test_layer_requirements_file_matches_make_deps_output_when_regenerated():
    from ccpa_audit.layer_requirements import layer_pins

    lines = [line for line in (REPO_ROOT / "shared" / "requirements.txt").read_text().splitlines()
             if line and not line.startswith("#")]
    assert lines == [f"{name}=={version}" for name, version in layer_pins().items()], "run `make deps`"
    assert "aws-xray-sdk==2.15.0" in lines  # Tracer imports it at construction time


# ------------------------------------------------------------------------------------------------- encryption, logs

DATA_KEY_ARN = {"Fn::GetAtt": ["DataKey", "Arn"]}


def _of_type(resources_, kind):
    return {name: r for name, r in resources_.items() if r["Type"] == kind}


def test_every_queue_is_encrypted_with_the_customer_managed_data_key(resources_):
    queues = _of_type(resources_, "AWS::SQS::Queue")
    assert len(queues) >= 4
    for name, queue in queues.items():
        props = queue["Properties"]
        assert props["KmsMasterKeyId"] == DATA_KEY_ARN, name
        assert "SqsManagedSseEnabled" not in props, name


def test_every_table_is_encrypted_with_the_customer_managed_data_key(resources_):
    tables = _of_type(resources_, "AWS::DynamoDB::Table")
    assert set(tables) >= {"IndexTable", "IdempotencyTable"}
    for name, table in tables.items():
        assert table["Properties"]["SSESpecification"] == {
            "SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": DATA_KEY_ARN}, name


def test_every_log_group_is_encrypted_with_the_data_key_which_logs_may_use_only_for_them(resources_):
    groups = _of_type(resources_, "AWS::Logs::LogGroup")
    assert set(groups) >= {"HttpApiAccessLogGroup", "SuppressionStateMachineLogGroup"}
    prefix = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
    expected = set()
    for name, group in groups.items():
        assert group["Properties"]["KmsKeyId"] == DATA_KEY_ARN, name
        expected.add(prefix + group["Properties"]["LogGroupName"]["Fn::Sub"])
    (logs,) = [s for s in resources_["DataKey"]["Properties"]["KeyPolicy"]["Statement"]
               if s["Principal"] == {"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}}]
    contexts = logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]
    assert {context["Fn::Sub"] for context in contexts} == expected


def test_data_key_rotates_survives_the_stack_and_names_every_principal(resources_):
    key = resources_["DataKey"]
    props = key["Properties"]
    assert (props["KeySpec"], props["KeyUsage"], props["EnableKeyRotation"]) == ("SYMMETRIC_DEFAULT",
                                                                                 "ENCRYPT_DECRYPT", True)
    assert key["DeletionPolicy"] == "Retain"
    statements = props["KeyPolicy"]["Statement"]
    root = {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    for statement in statements:
        # Nobody is named by wildcard; the account root's statements other than administration carry a condition.
        assert statement["Principal"] not in ("*", {"AWS": "*"}), statement["Sid"]
        if statement["Principal"] == root and not _is_root_admin_statement(statement):
            assert statement["Condition"], statement["Sid"]
    (dynamodb,) = [s for s in statements if "kms:ViaService" in s.get("Condition", {}).get("StringEquals", {})]
    assert dynamodb["Condition"]["StringEquals"]["kms:ViaService"] == {
        "Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com"}
    assert dynamodb["Condition"]["StringEquals"]["kms:CallerAccount"] == {"Ref": "AWS::AccountId"}


def test_roles_using_encrypted_queues_or_tables_may_use_the_data_key_and_no_other_key_broadly(resources_):
    encrypted = (set(_of_type(resources_, "AWS::SQS::Queue")) | set(_of_type(resources_, "AWS::DynamoDB::Table"))
                 | set(_of_type(resources_, "AWS::Kinesis::Stream")))
    owners = {}
    for owner, statement in _function_policy_statements(resources_):
        owners.setdefault(owner, []).append(statement)
    users = {owner for owner, statements in owners.items()
             if any(_references(s["Resource"], name) for s in statements for name in encrypted)}
    assert users == {*FUNCTIONS, "SuppressionStateMachine"}
    for owner in users:
        grants = [s for s in owners[owner] if _references(s["Resource"], "DataKey")]
        assert [(set(_as_list(s["Action"])), s["Resource"]) for s in grants] == [
            ({"kms:Decrypt", "kms:GenerateDataKey"}, DATA_KEY_ARN)], owner
    for owner, statements in owners.items():
        for statement in statements:
            if any(action.startswith("kms:") for action in _as_list(statement["Action"])):
                assert "*" not in _as_list(statement["Resource"]), owner


def test_evidence_and_export_buckets_log_access_to_the_access_log_bucket_under_their_own_prefix(resources_):
    logged = {name: bucket["Properties"].get("LoggingConfiguration")
              for name, bucket in _of_type(resources_, "AWS::S3::Bucket").items() if name != "AccessLogBucket"}
    assert set(logged) == {"EvidenceBucket", "ExportBucket", "SiteBucket", "AccessSearchResultsBucket"}
    assert logged == {
        "AccessSearchResultsBucket": {"DestinationBucketName": {"Ref": "AccessLogBucket"},
                                      "LogFilePrefix": "access-search/"},
        "EvidenceBucket": {"DestinationBucketName": {"Ref": "AccessLogBucket"}, "LogFilePrefix": "evidence/"},
        "ExportBucket": {"DestinationBucketName": {"Ref": "AccessLogBucket"}, "LogFilePrefix": "exports/"},
        "SiteBucket": {"DestinationBucketName": {"Ref": "AccessLogBucket"}, "LogFilePrefix": "site/"},
    }
    allowed = [s for s in _policy_for(resources_, "AccessLogBucket")["Statement"] if s["Effect"] == "Allow"]
    grants = {}
    for statement in allowed:
        # Only S3 log delivery may write, only PutObject, only from this account, each bucket under its prefix.
        assert statement["Principal"] == {"Service": "logging.s3.amazonaws.com"}
        assert _as_list(statement["Action"]) == ["s3:PutObject"]
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
        source = statement["Condition"]["ArnLike"]["aws:SourceArn"]
        grants[source["Fn::GetAtt"][0]] = statement["Resource"]["Fn::Sub"]
    assert grants == {name: "${AccessLogBucket.Arn}/" + config["LogFilePrefix"] + "*"
                      for name, config in logged.items()}


def test_access_log_bucket_is_private_versioned_sse_s3_tls_only_undeletable_and_expires_logs(resources_):
    bucket = resources_["AccessLogBucket"]
    props = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain"
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    # S3 server access logs are delivered only to SSE-S3 buckets.
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert props["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True)
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert "LoggingConfiguration" not in props and "ObjectLockEnabled" not in props
    (expiry,) = props["LifecycleConfiguration"]["Rules"]
    assert expiry["Status"] == "Enabled" and expiry["ExpirationInDays"] >= 731
    assert expiry["NoncurrentVersionExpiration"]["NoncurrentDays"] > 0
    policy = _policy_for(resources_, "AccessLogBucket")
    assert _denies_insecure_transport(policy)
    denied = {a for s in policy["Statement"] if s["Effect"] == "Deny" and "Condition" not in s
              for a in _as_list(s["Action"])}
    assert {"s3:DeleteObject", "s3:DeleteObjectVersion"} <= denied


def test_every_scanner_suppression_names_a_check_and_gives_its_reason(resources_):
    skips = [(name, skip) for name, resource in resources_.items()
             for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])]
    assert skips
    for name, skip in skips:
        assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), name
        assert len(skip["comment"].split()) >= 8, (name, skip["id"])
    suppressed = {(name, skip["id"]) for name, skip in skips}
    # The findings this template fixes instead of suppressing stay unsuppressed.
    fixed = {"CKV_AWS_27", "CKV_AWS_119", "CKV_AWS_158"}
    assert not {check for _, check in suppressed} & fixed
    assert ("EvidenceBucket", "CKV_AWS_18") not in suppressed and ("ExportBucket", "CKV_AWS_18") not in suppressed


def test_only_the_sweeper_deletes_index_items_and_only_in_the_alert_outbox(resources_):
    from shared.adapters.index_items import OUTBOX_PK

    deleting = [(owner, s) for owner, s in _function_policy_statements(resources_)
                if "dynamodb:DeleteItem" in _as_list(s["Action"]) and "IndexTable" in json.dumps(s["Resource"])]
    assert [owner for owner, _ in deleting] == ["DeadlineSweeperFunction"]
    statement = deleting[0][1]
    assert _as_list(statement["Action"]) == ["dynamodb:DeleteItem"]
    assert statement["Condition"] == {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [OUTBOX_PK]}}


def test_every_function_that_reads_event_bodies_can_publish_integrity_alerts(resources_):
    def actions_of(name):
        return {action for owner, s in _function_policy_statements(resources_) if owner == name
                for action in _as_list(s["Action"])}

    for name in ("IntakeFunction", "SuppressFunction", "ExportFunction", "DeadlineSweeperFunction"):
        assert {"sns:Publish", "events:PutEvents"} <= actions_of(name), name
    assert not {"sns:Publish", "events:PutEvents"} & actions_of("SealFunction")  # it reads no event body


@pytest.mark.parametrize("name", ["AccessEventsTable", "AccessEventsCompactedTable"])
def test_the_access_table_reads_the_batch_objects_by_the_contracts_columns_with_projected_dates(resources_, name):
    from shared.models.access_search import BATCH_PREFIX, COLUMNS
    from shared.models.access_compaction import COMPACTED_PREFIX

    prefix = COMPACTED_PREFIX if name == "AccessEventsCompactedTable" else BATCH_PREFIX
    table = resources_[name]["Properties"]["TableInput"]
    storage = table["StorageDescriptor"]
    assert {c["Name"]: c["Type"] for c in storage["Columns"]} == COLUMNS
    assert [c["Name"] for c in storage["Columns"]] == list(COLUMNS)
    assert storage["Location"] == {"Fn::Sub": "s3://${EvidenceBucket}/" + prefix}
    assert table["PartitionKeys"] == [{"Name": "date", "Type": "string"}]
    params = table["Parameters"]
    assert params["projection.enabled"] == "true" and params["projection.date.format"] == "yyyy-MM-dd"
    assert params["storage.location.template"] == {"Fn::Sub": "s3://${EvidenceBucket}/" + prefix + "date=${!date}/"}
    group = resources_["AccessSearchWorkGroup"]["Properties"]["WorkGroupConfiguration"]
    assert group["EnforceWorkGroupConfiguration"] is True and group["BytesScannedCutoffPerQuery"] > 0
    assert group["ResultConfiguration"]["EncryptionConfiguration"]["EncryptionOption"] == "SSE_KMS"


def test_only_the_searching_functions_query_athena_and_only_in_their_workgroup_reading_only_batch_objects(resources_):
    searchers = set()
    for owner, statement in _function_policy_statements(resources_):
        actions = _as_list(statement["Action"])
        if any(action.startswith("athena:") for action in actions):
            searchers.add(owner)
            assert _as_list(statement["Resource"]) == [
                {"Fn::Sub": "arn:${AWS::Partition}:athena:${AWS::Region}:${AWS::AccountId}:workgroup/"
                            "${AccessSearchWorkGroup}"}]
            assert all(a.startswith("athena:") and ("Get" in a or a.endswith("QueryExecution")) for a in actions)
        if statement.get("Sid") == "ListBatchObjects":
            assert statement["Condition"] == {"StringLike": {"s3:prefix": ["access/batches/*", "access/compacted/*"]}}
        if statement.get("Sid") == "ReadBatchObjects":
            assert actions == ["s3:GetObject"]
    assert searchers == {"IntakeFunction", "ExportFunction"}


def test_the_cold_start_bench_runs_with_the_deployed_runtime_settings(template):
    from bench.cold_start import ENV

    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    for name in ("ACCESS_SEARCH_ENGINE", "PYDANTIC_DISABLE_PLUGINS"):
        assert ENV[name] == variables[name], name
