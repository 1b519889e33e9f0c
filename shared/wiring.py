"""Composition root: builds the adapters once per container from Settings (clients are created on first use)."""

import gc
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from shared.batch_gc import collector_paused
from shared.config import get_settings
from shared.ports import AccessEngine, AlertPublisher, ScopeIndex, StatusTokens

if TYPE_CHECKING:  # each builder imports what it builds: a function loads only the services it uses
    from datetime import datetime

    from shared.adapters.s3_batch_objects import S3BatchObjects
    from shared.adapters.s3_evidence_store import S3EvidenceStore
    from shared.ports import AccessLeaves, AccessStream, CompactionState
    from shared.services.access_normalizers import CloudTrailMapping
    from shared.services.access_seal import AccessBatchQueue
    from shared.services.consents import Consents
    from shared.services.downstream import Downstream
    from shared.services.exports import Exports
    from shared.services.ledger_writer import Ledger
    from shared.services.merkle_log import MerkleLog


@lru_cache(maxsize=None)
def aws_client(service: str, **config: Any) -> Any:
    """One client per service (and configuration) for the container's life, built as shared/cold_start.py says."""
    with collector_paused(freeze=True):
        import boto3  # deferred: a handler that never touches AWS (e.g. /health) does not pay for it
        from botocore.config import Config

        return boto3.client(service, config=Config(retries={"mode": "standard", "max_attempts": 4}, **config))


@lru_cache(maxsize=1)
def ledger() -> "Ledger":
    from shared.adapters.dynamo_ledger_index import DynamoLedgerIndex
    from shared.adapters.kms_consumer_tagger import KmsConsumerTagger
    from shared.services.ledger_writer import Ledger

    settings = get_settings()
    return Ledger(
        evidence=evidence(),
        index=DynamoLedgerIndex(settings.index_table, aws_client("dynamodb"), settings.index_shards),
        tagger=KmsConsumerTagger(settings.consumer_tag_key_id, aws_client("kms")),
        settings=settings,
        notices=_OnFirstUse(_notice_catalog),  # the consent models it loads serve intake and consents only
        integrity=_OnFirstUse(alert_publisher),  # reads that meet no damaged object never create its clients
    )


@lru_cache(maxsize=1)
def evidence() -> "S3EvidenceStore":
    """The evidence bucket: the ledger's event objects, and the log's tiles, checkpoints and paths (the sealer needs
    only these, not the ledger's index and tagger)."""
    from shared.adapters.s3_evidence_store import S3EvidenceStore

    settings = get_settings()
    return S3EvidenceStore(settings.evidence_bucket, settings.evidence_key_id, aws_client("s3"))


class _OnFirstUse:
    """A port built at its first use: a function whose work never needs it never loads its modules or clients."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._port: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._port is None:
            self._port = self._build()
        return getattr(self._port, name)


def _notice_catalog() -> Any:
    from shared.adapters.dynamo_notice_catalog import DynamoNoticeCatalog

    settings = get_settings()
    return DynamoNoticeCatalog(settings.index_table, aws_client("dynamodb"), settings.index_shards)


@lru_cache(maxsize=1)
def merkle_log() -> "MerkleLog":
    from shared.adapters.dynamo_log_state import DynamoLogState
    from shared.adapters.dynamo_unsealed_events import DynamoUnsealedEvents
    from shared.adapters.kms_checkpoint_signer import KmsCheckpointSigner
    from shared.services.access_seal import routed_marks
    from shared.services.merkle_log import MerkleLog
    from shared.timefmt import utc_now

    settings = get_settings()
    events = DynamoUnsealedEvents(settings.index_table, aws_client("dynamodb"), settings.index_shards)
    return MerkleLog(
        objects=evidence(),
        queue=routed_marks(events, access_batch_queue(utc_now())),
        state=DynamoLogState(settings.index_table, aws_client("dynamodb")),
        signer=KmsCheckpointSigner(settings.checkpoint_key_id, aws_client("kms")),
        settings=settings,
        access_leaves=access_leaves(),
    )


@lru_cache(maxsize=1)
def access_stream() -> "AccessStream":
    from shared.adapters.kinesis_access_stream import KinesisAccessStream

    return KinesisAccessStream(get_settings().access_stream, aws_client("kinesis"))


@lru_cache(maxsize=1)
def access_leaves() -> "AccessLeaves":
    from shared.adapters.dynamo_access_leaves import DynamoAccessLeaves

    return DynamoAccessLeaves(get_settings().index_table, aws_client("dynamodb"))


def access_batch_queue(now: "datetime") -> "AccessBatchQueue":
    """The sealer's view of the batch objects, for one run (it remembers the objects it has read)."""
    from shared.services.access_seal import AccessBatchQueue

    return AccessBatchQueue(batch_objects(), evidence(), access_leaves(), now, get_settings())


@lru_cache(maxsize=1)
def batch_objects() -> "S3BatchObjects":
    """The evidence bucket's batch objects: listed by the sealer, read by prefix by the compactor (a day's batch
    objects and compacted copy)."""
    from shared.adapters.s3_batch_objects import S3BatchObjects

    return S3BatchObjects(get_settings().evidence_bucket, aws_client("s3"))


@lru_cache(maxsize=1)
def compaction_state() -> "CompactionState":
    from shared.adapters.dynamo_compaction_state import DynamoCompactionState

    return DynamoCompactionState(get_settings().index_table, aws_client("dynamodb"))


@lru_cache(maxsize=1)
def cloudtrail_mapping() -> "CloudTrailMapping":
    from shared.services.access_normalizers import CloudTrailMapping

    return CloudTrailMapping.model_validate(get_settings().cloudtrail_mapping)


def reset() -> None:
    """Forget built clients and settings (tests and the local runtime switch environments)."""
    gc.unfreeze()  # what building clients froze (shared/cold_start.py) is collectable again with them
    aws_client.cache_clear()
    evidence.cache_clear()
    ledger.cache_clear()
    merkle_log.cache_clear()
    access_stream.cache_clear()
    access_leaves.cache_clear()
    batch_objects.cache_clear()
    compaction_state.cache_clear()
    cloudtrail_mapping.cache_clear()
    alert_publisher.cache_clear()
    downstream.cache_clear()
    exports.cache_clear()
    scope_index.cache_clear()
    access_engine.cache_clear()
    consents.cache_clear()
    status_tokens.cache_clear()
    get_settings.cache_clear()


@lru_cache(maxsize=1)
def alert_publisher() -> AlertPublisher:
    from shared.adapters.sns_eventbridge_alerts import SnsEventBridgeAlerts

    settings = get_settings()
    return SnsEventBridgeAlerts(settings.alerts_topic_arn, settings.event_bus_name, aws_client("sns"),
                                aws_client("events"))


@lru_cache(maxsize=1)
def downstream() -> "Downstream":
    from shared.adapters.dynamo_gpc_identities import DynamoGpcIdentities
    from shared.adapters.dynamo_replay_guard import DynamoReplayGuard
    from shared.adapters.dynamo_system_registry import DynamoSystemRegistry
    from shared.adapters.dynamo_task_tokens import DynamoTaskTokens
    from shared.adapters.http_webhook_sender import HttpWebhookSender
    from shared.adapters.secrets_manager_store import SecretsManagerStore
    from shared.adapters.step_functions_workflow import StepFunctionsWorkflow
    from shared.services.downstream import Downstream

    settings = get_settings()
    return Downstream(
        registry=DynamoSystemRegistry(settings.index_table, aws_client("dynamodb")),
        secrets=SecretsManagerStore(settings.system_secret_prefix, aws_client("secretsmanager")),
        workflow=StepFunctionsWorkflow(settings.suppression_state_machine_arn, aws_client("stepfunctions")),
        tokens=DynamoTaskTokens(settings.index_table, aws_client("dynamodb")),
        webhooks=HttpWebhookSender(settings.webhook_timeout_seconds),
        replays=DynamoReplayGuard(settings.idempotency_table, aws_client("dynamodb")),
        gpc=DynamoGpcIdentities(settings.index_table, aws_client("dynamodb")),
    )


@lru_cache(maxsize=1)
def exports() -> "Exports":
    import os

    from shared.adapters.dynamo_export_jobs import DynamoExportJobs
    from shared.adapters.s3_bundle_store import S3BundleStore
    from shared.adapters.sqs_export_queue import SqsExportQueue
    from shared.services.exports import Exports

    settings = get_settings()
    # Presigned URLs must be SigV4 (X-Amz-Expires); a client of its own keeps that explicit.
    s3 = aws_client("s3", signature_version="s3v4")
    return Exports(
        scopes=scope_index(),
        jobs=DynamoExportJobs(settings.index_table, aws_client("dynamodb")),
        bundles=S3BundleStore(settings.export_bucket, settings.evidence_key_id, s3),
        queue=SqsExportQueue(os.environ.get("EXPORT_QUEUE_URL", ""), aws_client("sqs")),
        log=merkle_log(),
        access=_OnFirstUse(access_engine),  # only a consumer's export searches the access log
        batches=access_batch_queue,
    )


@lru_cache(maxsize=1)
def scope_index() -> "ScopeIndex":
    from shared.adapters.dynamo_scope_index import DynamoScopeIndex

    settings = get_settings()
    return DynamoScopeIndex(settings.index_table, aws_client("dynamodb"), settings.index_shards)


@lru_cache(maxsize=1)
def access_engine() -> AccessEngine:
    settings = get_settings()
    if settings.access_search_engine == "athena":
        from shared.adapters.athena_access_engine import AthenaAccessEngine

        return AthenaAccessEngine(aws_client("athena"), database=settings.athena_database,
                                  table=settings.athena_access_table, workgroup=settings.athena_workgroup,
                                  output_location=settings.athena_output_location,
                                  compacted_table=settings.athena_compacted_table, watermark=compaction_state())
    import tempfile
    from pathlib import Path

    from shared.adapters.duckdb_access_engine import DuckDbAccessEngine
    from shared.adapters.s3_access_batches import S3AccessBatches
    from shared.models.access_compaction import COMPACTED_PREFIX

    cache = Path(settings.access_cache_dir or Path(tempfile.gettempdir()) / "ccpa-access-batches")
    return DuckDbAccessEngine(
        S3AccessBatches(settings.evidence_bucket, aws_client("s3"), str(cache)),
        S3AccessBatches(settings.evidence_bucket, aws_client("s3"), str(cache / "compacted"), COMPACTED_PREFIX),
        compaction_state())


@lru_cache(maxsize=1)
def consents() -> "Consents":
    from shared.adapters.dynamo_consent_store import DynamoConsentStore
    from shared.services.consents import Consents

    settings = get_settings()
    return Consents(store=DynamoConsentStore(settings.index_table, aws_client("dynamodb"), settings.index_shards),
                    gpc=downstream().gpc)


@lru_cache(maxsize=1)
def status_tokens() -> StatusTokens:
    from shared.adapters.dynamo_status_tokens import DynamoStatusTokens

    return DynamoStatusTokens(get_settings().index_table, aws_client("dynamodb"))
