"""Export use cases: start an export (built at once when small, queued when large), build a queued one, show one.

Exactly once: the bundle's key and its `export_created` event's key derive from the export id, and both are
create-only, so a retried build adopts what an earlier attempt stored; the job item becomes ready only once.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared.errors import EvidenceIntegrityError, NotFoundError
from shared.ledger.envelope import Actor
from shared.ledger.identity import email_subject
from shared.ledger.ids import uuid7
from shared.models.domain import EventType, RecordType
from shared.models.export import ExportJob, ExportScope, MetricsReport
from shared.models.export_api import ExportBody, ExportOut, ProgressOut
from shared.models.time_range import instant
from shared.clocks.engine import ClockRules
from shared.ports import AccessEngine, BundleStore, ExportJobs, ExportQueue, ScopeIndex
from shared.services import request_metrics
from shared.services.build_bundle import BatchQueueAt, build_bundle
from shared.services.export_selection import SYNC_MAX_MONTHS, Selection, months_read, select
from shared.services.ledger_writer import OWN_SERVICE, AccessKeys, EventDraft, Ledger, record_standalone_event_once
from shared.services.merkle_log import MerkleLog
from shared.timefmt import rfc3339


class ExportNotFoundError(NotFoundError):
    code = "export_not_found"


@dataclass
class Exports:
    """The ports exports need, built once per container (see shared/wiring.py)."""

    scopes: ScopeIndex
    jobs: ExportJobs
    bundles: BundleStore
    queue: ExportQueue
    log: MerkleLog
    access: AccessEngine | None = None  # access events in batch objects: a consumer's export includes them
    batches: BatchQueueAt | None = None  # the sealer's queue of those objects, for the sealing run before a build


def resolve_scope(ledger: Ledger, body: ExportBody) -> ExportScope:
    """The email becomes its HMAC tag (the only form the index and the job item hold); dates become instants."""
    zone = ledger.settings.business_time_zone
    tag = ledger.tagger.tag(email_subject(body.consumer_email)) if body.consumer_email else None
    return ExportScope(request_id=body.request_id, consumer_tag=tag, action_type=body.action_type,
                       from_=instant(body.from_, zone, end=False), to=instant(body.to, zone, end=True),
                       metrics_year=body.metrics_year)


def start_export(ledger: Ledger, exports: Exports, scope: ExportScope, requester: Actor) -> tuple[ExportOut, bool]:
    """(the export, whether it is ready). Small scopes are built within the call; larger ones are queued."""
    # A date range read month by month over years is selected by the queued build, not within the API call.
    wide = months_read(scope, ledger.now()) > SYNC_MAX_MONTHS
    selection = None if wide else select(ledger, exports.scopes, scope, exports.access)  # unknown request id -> 404 first
    job = ExportJob(export_id=uuid7(), status="building", scope=scope, requested_by=requester,
                    requested_at=ledger.now(), progress_total=selection.event_count if selection else 0)
    exports.jobs.create(job)
    if selection is None or selection.event_count > ledger.settings.export_sync_max_events:
        exports.queue.send(job.export_id)
        return export_out(ledger, exports, job), False
    try:
        finished = _build(ledger, exports, job, selection)
    except Exception as error:
        # Nobody retries a build made within the call: the export ends failed, never left `building`.
        _fail(ledger, exports, job, error)
        if isinstance(error, EvidenceIntegrityError):
            error.details.append({"export_id": job.export_id, "issue": "the export ended failed"})
        raise
    return export_out(ledger, exports, finished), finished.status == "ready"


def _fail(ledger: Ledger, exports: Exports, job: ExportJob, error: Exception) -> None:
    reason = (f"{error.code}: {error.message}" if isinstance(error, EvidenceIntegrityError)
              else f"the bundle could not be built ({error})")
    exports.jobs.finish(job.model_copy(update={"status": "failed", "completed_at": ledger.now(), "error": reason}))


def run_export_job(ledger: Ledger, exports: Exports, export_id: str, *, last_attempt: bool) -> None:
    """Build a queued export. Errors propagate (the queue redelivers) until the last attempt, which records the
    export as failed so a poller is not left waiting forever; missing or altered evidence fails it at once."""
    job = exports.jobs.get(export_id)
    if job is None or job.status != "building":
        return  # already finished: a redelivered message
    try:
        _build(ledger, exports, job)
    except Exception as error:
        # Missing or altered evidence does not heal on a redelivery: that export fails at once.
        if last_attempt or isinstance(error, EvidenceIntegrityError):
            _fail(ledger, exports, job, error)
            return
        raise


def _build(ledger: Ledger, exports: Exports, job: ExportJob, selection: Selection | None = None) -> ExportJob:
    """`selection`: what the API call already selected (a queued build selects again, at build time)."""
    selection = selection or select(ledger, exports.scopes, job.scope, exports.access)
    metrics = yearly_metrics(ledger, exports, job.scope.metrics_year) if job.scope.metrics_year else None
    key = f"exports/{job.export_id}.zip"
    found = exports.bundles.find(key)
    if found is None:
        built = build_bundle(ledger, exports.log, selection, job, metrics,
                             lambda done, total: exports.jobs.progress(job.export_id, done, total), exports.batches)
        until = ledger.now() + timedelta(days=ledger.settings.export_retention_days)
        version = exports.bundles.put_new(key, built.data, built.sha256, until)
        sha, size, count, unsealed = built.sha256, len(built.data), built.event_count, built.unsealed_count
    else:  # an earlier attempt stored the bundle and crashed before finishing: finish with that one
        version, sha, size = found
        count, unsealed = selection.event_count, None
    draft = EventDraft(EventType.EXPORT_CREATED, job.requested_by, {
        "export_id": job.export_id, "scope": job.scope.as_manifest(), "event_count": count,
        "unsealed_count": unsealed, "bundle_key": key, "bundle_version": version, "bundle_sha256": sha,
        "bytes": size})
    access = AccessKeys(job.requested_by.id or job.requested_by.type, "export", OWN_SERVICE)
    record_standalone_event_once(ledger, draft, RecordType.ACCESS_EVENT, _consumer_tag(ledger, job.scope, selection),
                                 f"events/exports/{job.export_id}.json", access)
    finished = job.model_copy(update={
        "status": "ready", "event_count": count, "unsealed_count": unsealed, "bundle_key": key,
        "bundle_version": version, "sha256": sha, "bytes": size, "completed_at": ledger.now(),
        "progress_done": count, "progress_total": count})
    exports.jobs.finish(finished)
    return finished


def _consumer_tag(ledger: Ledger, scope: ExportScope, selection: Selection) -> str | None:
    """The export shows in the consumer's own history when it was about one consumer."""
    if scope.consumer_tag or not scope.request_id:
        return scope.consumer_tag
    if selection.requests:
        return selection.requests[0][0].consumer_tag
    record = ledger.index.get_request(scope.request_id)
    return record.consumer_tag if record else None


def get_export(ledger: Ledger, exports: Exports, export_id: str, reader: Actor) -> ExportOut:
    job = exports.jobs.get(export_id)
    if job is None:
        raise ExportNotFoundError(f"No export with id {export_id}.")
    if job.status == "ready":
        # A fresh URL hands the evidence out again: that is a read of the ledger like any other.
        from shared.services.read_requests import record_audit_read  # reads, not a new export, load the reader

        record_audit_read(ledger, reader, {"export_id": export_id}, job.scope.consumer_tag)
    return export_out(ledger, exports, job)


def export_out(ledger: Ledger, exports: Exports, job: ExportJob) -> ExportOut:
    url = expires_at = None
    if job.status == "ready" and job.bundle_key and job.bundle_version:
        expiry = ledger.settings.presign_expiry_seconds
        url = exports.bundles.presign(job.bundle_key, job.bundle_version, expiry)
        expires_at = rfc3339(ledger.now() + timedelta(seconds=expiry))
    return ExportOut(
        export_id=job.export_id, status=job.status, url=url, expires_at=expires_at, sha256=job.sha256,
        event_count=job.event_count, bytes=job.bytes, unsealed_count=job.unsealed_count,
        progress=ProgressOut(done=job.progress_done, total=job.progress_total), scope=job.scope.as_manifest(),
        requested_at=rfc3339(job.requested_at), requested_by=job.requested_by.model_dump(exclude_none=True),
        completed_at=rfc3339(job.completed_at) if job.completed_at else None, error=job.error)


def yearly_metrics(ledger: Ledger, exports: Exports, year: int) -> MetricsReport:
    """11 CCR 7102 figures of a calendar year from the index's request records (a day's margin each side
    covers the business time zone; compute_metrics keeps only the year's receipt days)."""
    start = datetime(year, 1, 1, tzinfo=UTC) - timedelta(days=1)
    end = datetime(year + 1, 1, 1, tzinfo=UTC) + timedelta(days=1)
    records = exports.scopes.requests(received_from=start, received_to=end)
    return request_metrics.compute_metrics(records, year, ClockRules.from_settings(ledger.settings), ledger.now())


def metrics_report(ledger: Ledger, exports: Exports, year: int, reader: Actor) -> MetricsReport:
    from shared.services.read_requests import record_audit_read

    report = yearly_metrics(ledger, exports, year)
    record_audit_read(ledger, reader, {"report": "ccpa_7102_metrics", "year": year}, None)
    return report
