"""Build the stateful resources of template.yaml in moto, from the template's own property blocks.

Why this exists (DESIGN section 9): moto's CloudFormation drops Object Lock, versioning and TTL (and crashes on
REST APIs), so deploying template.yaml into moto would give buckets that are not locked and tables without TTL.
Instead, every bucket, table, key, topic, queue and the state machine is created here with plain boto3 calls
whose arguments are read from the template's resource properties. Tests and the local stack therefore run
against the same Object Lock mode and retention, GSIs, key specs and redrive settings as AWS, and cannot drift
from template.yaml.

Works the same for in-process ``moto.mock_aws()`` and for a moto server (clients with ``endpoint_url``): the
caller passes either a boto3 Session or a ``client(service_name)`` factory.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from botocore.exceptions import ClientError

from shared.config import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"
DEFAULT_REGION = "us-east-1"

ClientFactory = Callable[[str], Any]

# Logical ids in template.yaml -> suffix of the local physical name.
_KEYS = {"EvidenceKey": "evidence", "ConsumerTagKey": "consumer-tag", "CheckpointKey": "checkpoint", "DataKey": "data"}
# The access-log bucket first: the others name it as their logging target.
_BUCKETS = {"AccessLogBucket": "access-logs", "EvidenceBucket": "evidence", "ExportBucket": "exports"}
_TABLES = {"IndexTable": "index", "IdempotencyTable": "idempotency"}
_TOPICS = {"AlertsTopic": "alerts"}
# Dead-letter queues first: the main queues' redrive policies point at them.
_QUEUES = {
    "InstructionDeadLetterQueue": "instructions-dlq",
    "InstructionQueue": "instructions",
    "ExportDeadLetterQueue": "exports-dlq",
    "ExportQueue": "exports",
}
_STREAMS = {"AccessStream": "access-events"}
_STATE_MACHINE = "SuppressionStateMachine"
# Functions moto cannot run; the state machine still needs an ARN for them.
_FUNCTIONS = {
    "IntakeFunction": "intake",
    "SuppressFunction": "suppress",
    "DeadlineSweeperFunction": "deadline-sweeper",
    "ExportFunction": "export",
    "SealFunction": "seal",
    "AccessBatcherFunction": "access-batcher",
    "CloudTrailAccessFunction": "cloudtrail-access",
}

# Env vars bound to a local resource, overriding whatever the template's Globals compute for AWS.
_RESOURCE_ENV = {
    "EVIDENCE_BUCKET": ("EvidenceBucket", "Ref"),
    "EXPORT_BUCKET": ("ExportBucket", "Ref"),
    "INDEX_TABLE": ("IndexTable", "Ref"),
    "IDEMPOTENCY_TABLE": ("IdempotencyTable", "Ref"),
    "EVIDENCE_KEY_ID": ("EvidenceKey", "Arn"),
    "CONSUMER_TAG_KEY_ID": ("ConsumerTagKey", "Arn"),
    "CHECKPOINT_KEY_ID": ("CheckpointKey", "Arn"),
    "ALERTS_TOPIC_ARN": ("AlertsTopic", "Ref"),
    "SUPPRESSION_STATE_MACHINE_ARN": (_STATE_MACHINE, "Ref"),
    "INSTRUCTION_QUEUE_URL": ("InstructionQueue", "Ref"),
    "EXPORT_QUEUE_URL": ("ExportQueue", "Ref"),
    "ACCESS_STREAM": ("AccessStream", "Ref"),
}


# ----------------------------------------------------------------------------------------------- template


class CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader that reads CloudFormation short tags (!Ref, !GetAtt, !Sub, ...) as their long forms."""


def _construct_short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


CloudFormationLoader.add_multi_constructor("!", _construct_short_tag)


def load_template(path: Path | None = None) -> dict[str, Any]:
    """template.yaml as a dict, short tags turned into long-form intrinsic functions."""
    with (path or TEMPLATE_PATH).open(encoding="utf-8") as handle:
        template: dict[str, Any] = yaml.load(handle, Loader=CloudFormationLoader)  # noqa: S506 - a SafeLoader
    return template


class UnresolvableError(ValueError):
    """An intrinsic function that has no local meaning (e.g. a parameter without a default)."""


_NO_VALUE = object()


@dataclass
class _Resolver:
    """Evaluates the intrinsic functions of the template against local resources and parameter defaults."""

    template: dict[str, Any]
    physical: dict[str, dict[str, str]]  # logical id -> {"Ref": ..., "Arn": ..., ...}
    pseudo: dict[str, str]

    def parameter(self, name: str) -> Any:
        spec = self.template.get("Parameters", {}).get(name)
        if spec is None or "Default" not in spec:
            raise UnresolvableError(f"parameter {name} has no default")
        default = spec["Default"]
        if spec.get("Type") == "Number":
            return int(default)
        return default

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.template.get("Parameters", {}):
            return self.parameter(name)
        if name in self.physical and "Ref" in self.physical[name]:
            return self.physical[name]["Ref"]
        raise UnresolvableError(f"no local value for Ref {name}")

    def get_att(self, name: str, attribute: str) -> str:
        try:
            return self.physical[name][attribute]
        except KeyError:
            raise UnresolvableError(f"no local value for {name}.{attribute}") from None

    def sub(self, value: str | list[Any]) -> str:
        text, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])

        def replace(match: re.Match[str]) -> str:
            token = match.group(1)
            if token.startswith("!"):
                return "${" + token[1:] + "}"
            if token in variables:
                return str(self.resolve(variables[token]))
            if "." in token:
                name, attribute = token.split(".", 1)
                return self.get_att(name, attribute)
            return str(self.ref(token))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template.get("Conditions", {})[name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self.resolve(v) for v in value) if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::GetAtt":
                name, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(name, attribute)
            if key == "Fn::Sub":
                return self.sub(arg)
            if key == "Fn::Join":
                return str(arg[0]).join(str(part) for part in self.resolve(arg[1]))
            if key == "Fn::Select":
                return self.resolve(arg[1])[int(self.resolve(arg[0]))]
            if key == "Fn::If":
                return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])
            if key == "Fn::Equals":
                return self.resolve(arg[0]) == self.resolve(arg[1])
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::And":
                return all(self.resolve(a) for a in arg)
            if key == "Fn::Or":
                return any(self.resolve(a) for a in arg)
            if key.startswith("Fn::"):
                raise UnresolvableError(f"{key} is not evaluated locally")
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not _NO_VALUE}


# ----------------------------------------------------------------------------------------------- resources


@dataclass
class LocalStack:
    """What a handler needs to reach the local resources: Settings env vars (UPPER_SNAKE) plus queue URLs."""

    env: dict[str, str]


def _client_factory(session_or_client_factory: Any) -> ClientFactory:
    if hasattr(session_or_client_factory, "client"):  # a boto3.Session
        session = session_or_client_factory
        region = getattr(session, "region_name", None) or DEFAULT_REGION
        return lambda service: session.client(service, region_name=region)
    if callable(session_or_client_factory):
        return session_or_client_factory  # type: ignore[no-any-return]
    raise TypeError("pass a boto3 Session or a callable client(service_name) -> boto3 client")


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _properties(template: Mapping[str, Any], logical_id: str) -> dict[str, Any]:
    try:
        return dict(template["Resources"][logical_id].get("Properties", {}))
    except KeyError:
        raise KeyError(f"template.yaml has no resource {logical_id}") from None


def _find_alias(template: Mapping[str, Any], key_id: str) -> dict[str, Any] | None:
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::KMS::Alias" and resource["Properties"].get("TargetKeyId") == {"Ref": key_id}:
            return dict(resource["Properties"])
    return None


def _create_key(kms: Any, resolver: _Resolver, template: Mapping[str, Any], logical_id: str, prefix: str) -> None:
    props = _properties(template, logical_id)
    alias_props = _find_alias(template, logical_id)
    alias = (
        str(resolver.resolve(alias_props["AliasName"]))
        if alias_props
        else f"alias/{prefix}-{_KEYS[logical_id]}"
    )
    try:
        metadata = kms.describe_key(KeyId=alias)["KeyMetadata"]
    except ClientError as error:
        if _error_code(error) != "NotFoundException":
            raise
        metadata = kms.create_key(
            Description=str(props.get("Description", logical_id)),
            KeySpec=props.get("KeySpec", "SYMMETRIC_DEFAULT"),
            KeyUsage=props.get("KeyUsage", "ENCRYPT_DECRYPT"),
        )["KeyMetadata"]
        kms.create_alias(AliasName=alias, TargetKeyId=metadata["KeyId"])
        if props.get("EnableKeyRotation"):
            kms.enable_key_rotation(KeyId=metadata["KeyId"])
    resolver.physical[logical_id] = {"Ref": metadata["KeyId"], "Arn": metadata["Arn"], "KeyId": metadata["KeyId"]}


def _bucket_exists(s3: Any, name: str) -> bool:
    try:
        s3.head_bucket(Bucket=name)
    except ClientError as error:
        if _error_code(error) in {"404", "NoSuchBucket", "NotFound"}:
            return False
        raise
    return True


def _create_bucket(s3: Any, resolver: _Resolver, template: Mapping[str, Any], logical_id: str, name: str) -> None:
    resolver.physical[logical_id] = {
        "Ref": name,
        "Arn": f"arn:aws:s3:::{name}",
        "DomainName": f"{name}.s3.amazonaws.com",
    }
    if _bucket_exists(s3, name):
        return  # already configured; PutObjectLockConfiguration would be refused on a non-empty bucket anyway
    props = resolver.resolve(_properties(template, logical_id))
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=bool(props.get("ObjectLockEnabled", False)))
    if "VersioningConfiguration" in props:
        status = props["VersioningConfiguration"]["Status"]
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})
    if "PublicAccessBlockConfiguration" in props:
        block = {k: bool(v) for k, v in props["PublicAccessBlockConfiguration"].items()}
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)
    if "OwnershipControls" in props:
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=props["OwnershipControls"])
    if "BucketEncryption" in props:
        rules = []
        for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]:
            # CloudFormation's ServerSideEncryptionByDefault is the API's ApplyServerSideEncryptionByDefault.
            default = dict(rule["ServerSideEncryptionByDefault"])
            api_rule: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": default}
            if "BucketKeyEnabled" in rule:
                api_rule["BucketKeyEnabled"] = bool(rule["BucketKeyEnabled"])
            rules.append(api_rule)
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    if "ObjectLockConfiguration" in props:
        # Must happen before the first object is put: moto (unlike S3) refuses it on a non-empty bucket.
        lock = props["ObjectLockConfiguration"]
        config: dict[str, Any] = {"ObjectLockEnabled": lock.get("ObjectLockEnabled", "Enabled")}
        retention = lock.get("Rule", {}).get("DefaultRetention")
        if retention:
            default_retention: dict[str, Any] = {"Mode": retention["Mode"]}
            for unit in ("Days", "Years"):
                if unit in retention:
                    default_retention[unit] = int(retention[unit])
            config["Rule"] = {"DefaultRetention": default_retention}
        s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=config)
    if "LifecycleConfiguration" in props:
        rules = [_lifecycle_rule(rule) for rule in props["LifecycleConfiguration"]["Rules"]]
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
    # Bucket policies are not applied (except a log target's, see _connect_access_logs): moto does not evaluate
    # them the way S3 does, and the TLS-only statement would only matter against plain-HTTP endpoints.


# CloudFormation's lifecycle rule fields -> the S3 API's; a field not listed here fails loudly rather than being
# silently dropped locally.
_LIFECYCLE_FIELDS: dict[str, Callable[[Any], tuple[str, Any]]] = {
    "Id": lambda value: ("ID", str(value)),
    "Status": lambda value: ("Status", str(value)),
    "Prefix": lambda value: ("Filter", {"Prefix": str(value)}),
    "ExpirationInDays": lambda value: ("Expiration", {"Days": int(value)}),
    "NoncurrentVersionExpiration": lambda value: (
        "NoncurrentVersionExpiration", {"NoncurrentDays": int(value["NoncurrentDays"])}),
    "AbortIncompleteMultipartUpload": lambda value: (
        "AbortIncompleteMultipartUpload", {"DaysAfterInitiation": int(value["DaysAfterInitiation"])}),
}


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(rule) - set(_LIFECYCLE_FIELDS)
    if unknown:
        raise UnresolvableError(f"lifecycle rule fields not translated locally: {sorted(unknown)}")
    api_rule: dict[str, Any] = {"Filter": {"Prefix": ""}}
    api_rule.update(_LIFECYCLE_FIELDS[field](value) for field, value in rule.items())
    return api_rule


def _connect_access_logs(s3: Any, resolver: _Resolver, template: Mapping[str, Any]) -> None:
    """Point each bucket's server access logging at its target, as the template does.

    S3 (and moto) accept a logging configuration only when the target's bucket policy lets the logging service
    write there, so the target's own policy is applied first. moto delivers the logs (many records per file:
    `emulator_s3_access_logs`).
    """
    logged = {logical_id: resolver.resolve(_properties(template, logical_id)).get("LoggingConfiguration")
              for logical_id in _BUCKETS}
    targets = {config["DestinationBucketName"] for config in logged.values() if config}
    for resource in template["Resources"].values():
        owner = resource.get("Properties", {}).get("Bucket")
        if resource.get("Type") == "AWS::S3::BucketPolicy" and isinstance(owner, dict) and owner.get("Ref") in _BUCKETS:
            bucket = resolver.resolve(owner)  # only the buckets the local stack builds (not the web site's)
            if bucket in targets:
                document = resource["Properties"]["PolicyDocument"]
                policy = {**document, "Statement": list(_local_statements(resolver, document["Statement"]))}
                # moto's check reads every Principal as a mapping; {"AWS": "*"} means the same as "*" to S3.
                for statement in policy["Statement"]:
                    if statement.get("Principal") == "*":
                        statement["Principal"] = {"AWS": "*"}
                s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    for logical_id, config in logged.items():
        if config:
            enabled = {"TargetBucket": config["DestinationBucketName"], "TargetPrefix": config.get("LogFilePrefix", "")}
            s3.put_bucket_logging(Bucket=resolver.physical[logical_id]["Ref"],
                                  BucketLoggingStatus={"LoggingEnabled": enabled})


def _local_statements(resolver: _Resolver, statements: list[Any]) -> Any:
    """The statements about resources the local stack builds (a grant to the web site's bucket has none here)."""
    for statement in statements:
        try:
            yield resolver.resolve(statement)
        except UnresolvableError:
            continue


def _create_table(ddb: Any, resolver: _Resolver, template: Mapping[str, Any], logical_id: str, name: str) -> None:
    props = resolver.resolve(_properties(template, logical_id))
    try:
        description = ddb.describe_table(TableName=name)["Table"]
    except ClientError as error:
        if _error_code(error) != "ResourceNotFoundException":
            raise
        kwargs: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        if props.get("GlobalSecondaryIndexes"):
            kwargs["GlobalSecondaryIndexes"] = [
                {k: v for k, v in index.items() if k in {"IndexName", "KeySchema", "Projection"}}
                for index in props["GlobalSecondaryIndexes"]
            ]
        if "SSESpecification" in props:
            sse = props["SSESpecification"]
            kwargs["SSESpecification"] = {"Enabled": bool(sse.get("SSEEnabled", False))}
            kwargs["SSESpecification"] |= {k: str(sse[k]) for k in ("SSEType", "KMSMasterKeyId") if k in sse}
        if "DeletionProtectionEnabled" in props:
            kwargs["DeletionProtectionEnabled"] = bool(props["DeletionProtectionEnabled"])
        description = ddb.create_table(**kwargs)["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            ddb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
            )
        pitr = props.get("PointInTimeRecoverySpecification")
        if pitr and pitr.get("PointInTimeRecoveryEnabled"):
            ddb.update_continuous_backups(
                TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
            )
    resolver.physical[logical_id] = {"Ref": name, "Arn": description["TableArn"]}


def _create_topic(sns: Any, resolver: _Resolver, template: Mapping[str, Any], logical_id: str, name: str) -> None:
    props = resolver.resolve(_properties(template, logical_id))
    attributes = {k: str(props[k]) for k in ("DisplayName", "KmsMasterKeyId") if k in props}
    arn = sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]  # idempotent by name
    resolver.physical[logical_id] = {"Ref": arn, "TopicArn": arn, "TopicName": name}


def _queue_attribute(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def _create_queue(sqs: Any, resolver: _Resolver, template: Mapping[str, Any], logical_id: str, name: str) -> None:
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except ClientError as error:
        if _error_code(error) not in {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}:
            raise
        props = resolver.resolve(_properties(template, logical_id))
        attributes = {k: _queue_attribute(v) for k, v in props.items() if k not in {"QueueName", "Tags"}}
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    resolver.physical[logical_id] = {"Ref": url, "Arn": arn, "QueueName": name, "QueueUrl": url}


def _create_stream(kinesis: Any, resolver: _Resolver, template: Mapping[str, Any], logical_id: str,
                   name: str) -> None:
    """The stream with the template's mode and retention (moto keeps encryption settings but does not encrypt)."""
    props = resolver.resolve(_properties(template, logical_id))
    try:
        kinesis.create_stream(StreamName=name, StreamModeDetails=props["StreamModeDetails"])
        kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
        kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=props["RetentionPeriodHours"])
    except ClientError as error:
        if _error_code(error) != "ResourceInUseException":
            raise
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    resolver.physical[logical_id] = {"Ref": name, "Arn": arn}


def _create_state_machine(
    sfn: Any, resolver: _Resolver, template: Mapping[str, Any], name: str, account: str, region: str
) -> None:
    props = _properties(template, _STATE_MACHINE)
    # DefinitionUri is relative to the template, which lives at the repository root.
    definition = (REPO_ROOT / str(props["DefinitionUri"])).read_text(encoding="utf-8")
    substitutions = {k: str(resolver.resolve(v)) for k, v in props.get("DefinitionSubstitutions", {}).items()}
    definition = re.sub(
        r"\$\{([A-Za-z0-9_]+)\}", lambda m: substitutions.get(m.group(1), m.group(0)), definition
    )
    leftover = re.findall(r"\$\{([A-Za-z0-9_]+)\}", definition)
    if leftover:
        raise UnresolvableError(f"state machine placeholders without DefinitionSubstitutions: {leftover}")
    arn = f"arn:aws:states:{region}:{account}:stateMachine:{name}"
    pages = sfn.get_paginator("list_state_machines").paginate()
    existing = {machine["name"] for page in pages for machine in page["stateMachines"]}
    if name not in existing:
        kwargs: dict[str, Any] = {
            "name": name,
            "definition": definition,
            "roleArn": f"arn:aws:iam::{account}:role/{name}-role",
            "type": props.get("Type", "STANDARD"),
        }
        if props.get("Tracing", {}).get("Enabled"):
            kwargs["tracingConfiguration"] = {"enabled": True}
        arn = sfn.create_state_machine(**kwargs)["stateMachineArn"]
    resolver.physical[_STATE_MACHINE] = {"Ref": arn, "Arn": arn, "Name": name}


def _stage_for(prefix: str) -> str:
    return prefix.removeprefix("ccpa-") or prefix


def create_local_resources(
    session_or_client_factory: Any,
    *,
    prefix: str = "ccpa-local",
    template: dict[str, Any] | None = None,
) -> LocalStack:
    """Create (or find, when they already exist) every stateful resource of template.yaml; return the env vars."""
    client = _client_factory(session_or_client_factory)
    template = template if template is not None else load_template()
    # Parameters take their template defaults, except Stage, which names the local KMS aliases.
    parameters = dict(template.get("Parameters", {}))
    if "Stage" in parameters:
        parameters["Stage"] = {**parameters["Stage"], "Default": _stage_for(prefix)}
    template = {**template, "Parameters": parameters}
    sts = client("sts")
    account = str(sts.get_caller_identity()["Account"])
    region = str(sts.meta.region_name or DEFAULT_REGION)
    resolver = _Resolver(
        template=template,
        physical={},
        pseudo={
            "AWS::AccountId": account,
            "AWS::Region": region,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": prefix,
            "AWS::StackId": f"arn:aws:cloudformation:{region}:{account}:stack/{prefix}/local",
        },
    )
    for logical_id, suffix in _FUNCTIONS.items():
        fake = f"arn:aws:lambda:{region}:{account}:function:{prefix}-{suffix}"
        resolver.physical[logical_id] = {"Ref": f"{prefix}-{suffix}", "Arn": fake}

    kms = client("kms")
    for logical_id in _KEYS:
        _create_key(kms, resolver, template, logical_id, prefix)
    for service, resources, create in (
        ("s3", _BUCKETS, _create_bucket),
        ("dynamodb", _TABLES, _create_table),
        ("sns", _TOPICS, _create_topic),
        ("sqs", _QUEUES, _create_queue),
        ("kinesis", _STREAMS, _create_stream),
    ):
        aws = client(service)
        for logical_id, suffix in resources.items():
            create(aws, resolver, template, logical_id, f"{prefix}-{suffix}")
    _connect_access_logs(client("s3"), resolver, template)
    _create_state_machine(client("stepfunctions"), resolver, template, f"{prefix}-suppression", account, region)

    return LocalStack(env=_environment(template, resolver))


def _environment(template: Mapping[str, Any], resolver: _Resolver) -> dict[str, str]:
    """The template's Globals env vars evaluated locally, resource-bound ones pointed at the local resources.

    POWERTOOLS_* settings are left to the caller (tests silence tracing and metrics their own way).
    """
    variables = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    env: dict[str, str] = {}
    for name, value in variables.items():
        if name.startswith("POWERTOOLS_"):
            continue
        with contextlib.suppress(UnresolvableError):
            env[name] = str(resolver.resolve(value))
    for name, (logical_id, attribute) in _RESOURCE_ENV.items():
        env[name] = resolver.physical[logical_id][attribute]
    env["AUTH_MODE"] = "local"
    # No Athena or Glue here: the local stack searches the access log with embedded DuckDB over the same objects.
    env["ACCESS_SEARCH_ENGINE"] = "duckdb"
    for name in ("ATHENA_DATABASE", "ATHENA_ACCESS_TABLE", "ATHENA_WORKGROUP"):
        env.setdefault(name, str(Settings.model_fields[name.lower()].default))
    return env
