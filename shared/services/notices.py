"""Privacy-notice versions: each one a locked, sealed `notice_published` event with the SHA-256 of its text.

Versions are never edited or removed. A notice's versions follow each other in `effective_from` order; a version
is in force from its `effective_from` until its successor's. Publishing a successor extends the predecessor's lock
to 12 months after it stops being in force (recorded as `retention_extended`)."""

import unicodedata
from datetime import datetime
from typing import Any

from shared.errors import (
    ConflictError,
    EvidenceExistsError,
    NoticeOutOfOrderError,
    NoticeUnknownError,
    NoticeVersionExistsError,
    StorageUnavailableError,
)
from shared.ledger.envelope import Actor
from shared.ledger.ids import uuid8
from shared.ledger.retention import notice_retain_until
from shared.models.domain import EventType, RecordType
from shared.models.notices import (
    NoticeBody,
    NoticeGroupOut,
    NoticeListOut,
    NoticeOut,
    NoticeTextOut,
    NoticeVersion,
    text_sha256,
)
from shared.models.time_range import instant
from shared.ports import NoticeCatalog
from shared.services.ledger_writer import (
    EventDraft,
    Ledger,
    draft_envelope,
    load_current,
    parse_envelope,
    store_envelope,
)
from shared.services.retention_locks import LockedRecord, extend_lock
from shared.timefmt import parse_rfc3339, rfc3339


def catalog(ledger: Ledger) -> NoticeCatalog:
    if ledger.notices is None:
        raise RuntimeError("this ledger has no notice catalog")
    return ledger.notices


def notice_event_key(notice_id: str, version: str) -> str:
    """One create-only key per (notice, version): a version can be published once."""
    return f"events/notices/{uuid8('ccpa-audit/notice/v1', notice_id + chr(10) + version)}.json"


def publish_notice(ledger: Ledger, body: NoticeBody, actor: Actor) -> tuple[NoticeOut, bool]:
    """Returns the version and whether this call published it (False: the same version again, unchanged)."""
    versions = catalog(ledger).versions(body.notice_id)
    existing = next((v for v in versions if v.version == body.version), None)
    if existing is not None:
        return _republished(ledger, body, existing, versions), False
    effective_from = _ms(_entered_start(ledger, body) or ledger.now())
    latest = versions[-1] if versions else None
    if latest is not None and effective_from <= latest.effective_from:
        raise NoticeOutOfOrderError(
            f"effective_from must be after {rfc3339(latest.effective_from)}, when version {latest.version} took "
            "effect.", [{"field": "effective_from", "issue": f"is not after version {latest.version}'s"}])
    notice: dict[str, Any] = {"notice_id": body.notice_id, "version": body.version, "title": body.title,
                              "url": body.url, "text_sha256": body.sha256, "effective_from": rfc3339(effective_from)}
    if body.text is not None:
        notice["text"] = unicodedata.normalize("NFC", body.text)
    details: dict[str, Any] = {"notice": notice}
    if latest is not None:
        details["supersedes"] = {"version": latest.version, "event_id": latest.event_id,
                                 "effective_to": rfc3339(effective_from)}
    envelope = draft_envelope(ledger, EventDraft(EventType.NOTICE_PUBLISHED, actor, details), RecordType.PRIVACY_NOTICE,
                              None)
    key = notice_event_key(body.notice_id, body.version)
    try:
        stored = store_envelope(ledger, envelope, key)
    except EvidenceExistsError:
        # A publisher that crashed before indexing (or a concurrent twin): adopt its object if it says the same.
        envelope, stored = load_current(ledger, key)
        if _fields(envelope.details["notice"]) != _fields(notice):
            raise _exists(body) from None
    version = NoticeVersion(notice_id=body.notice_id, version=body.version, title=body.title, url=body.url,
                            text_sha256=body.sha256, effective_from=effective_from, event_id=stored.event_id,
                            s3_key=stored.s3_key, s3_version_id=stored.s3_version_id, has_text=body.text is not None,
                            seq=(latest.seq if latest else 0) + 1)
    try:
        catalog(ledger).add(version, stored)
    except ConflictError:
        again = catalog(ledger).versions(body.notice_id)
        found = next((v for v in again if v.version == body.version), None)
        if found is None or found.event_id != stored.event_id:
            raise NoticeOutOfOrderError("Another version of this notice was published at the same time.",
                                        [{"field": "version", "issue": "raced with another publication"}]) from None
        version = found
    if latest is not None:
        _extend_predecessor(ledger, latest, version)
    return _out(version, None), True


def _republished(ledger: Ledger, body: NoticeBody, existing: NoticeVersion,
                 versions: list[NoticeVersion]) -> NoticeOut:
    """The same version again: unchanged (an omitted effective_from means the stored one) answers the same body;
    anything else is refused, since a published version is never edited. A repeat also finishes a predecessor's
    lock extension that a crash may have cut short."""
    start = _entered_start(ledger, body)
    effective_from = _ms(start) if start else existing.effective_from
    same = (body.title, body.url, body.sha256, effective_from) == (existing.title, existing.url,
                                                                   existing.text_sha256, existing.effective_from)
    if not same:
        raise _exists(body)
    position = versions.index(existing)
    if position > 0:
        _extend_predecessor(ledger, versions[position - 1], existing)
    return _out(existing, None)


def _extend_predecessor(ledger: Ledger, predecessor: NoticeVersion, successor: NoticeVersion) -> None:
    record = LockedRecord(predecessor.event_id, predecessor.s3_key, predecessor.s3_version_id,
                          RecordType.PRIVACY_NOTICE)
    cause = {"event_id": successor.event_id, "notice_id": successor.notice_id, "version": predecessor.version,
             "superseded_by": successor.version, "effective_to": rfc3339(successor.effective_from)}
    extend_lock(ledger, record, notice_retain_until(successor.effective_from), "notice_superseded", cause)


def list_notices(ledger: Ledger) -> NoticeListOut:
    now = ledger.now()
    groups: dict[str, list[NoticeVersion]] = {}
    for version in catalog(ledger).versions():
        groups.setdefault(version.notice_id, []).append(version)
    items = []
    for notice_id, versions in sorted(groups.items()):
        current = in_force(versions, now)
        items.append(NoticeGroupOut(notice_id=notice_id, in_force=current.version if current else None,
                                    versions=[_out(v, _successor(versions, v)) for v in versions]))
    return NoticeListOut(items=items)


def notice_at(ledger: Ledger, notice_id: str, at: datetime | None) -> NoticeTextOut:
    """The version in force at `at` (default now), with its text when it was published with one."""
    versions = catalog(ledger).versions(notice_id)
    moment = at or ledger.now()
    found = in_force(versions, moment)
    if found is None:
        raise NoticeUnknownError(f"No version of notice {notice_id} is in force at {rfc3339(moment)}.")
    out = NoticeTextOut(**_out(found, _successor(versions, found)).model_dump())
    if found.has_text:
        text = parse_envelope(ledger.evidence.get_version(found.s3_key, found.s3_version_id)).details["notice"]["text"]
        if text_sha256(text) != found.text_sha256:
            raise StorageUnavailableError(f"notice {notice_id} version {found.version} does not match its hash")
        out = out.model_copy(update={"text": text})
    return out


def in_force(versions: list[NoticeVersion], at: datetime) -> NoticeVersion | None:
    """The latest version whose effective_from is not after `at` (versions are in effective_from order)."""
    found = None
    for version in versions:
        if version.effective_from <= at:
            found = version
    return found


def notices_in_force(ledger: Ledger, at: datetime) -> list[dict[str, str]]:
    """Every notice's version in force at `at`, as a request records them (`notice_in_force`)."""
    if ledger.notices is None:
        return []
    groups: dict[str, list[NoticeVersion]] = {}
    for version in ledger.notices.versions():
        groups.setdefault(version.notice_id, []).append(version)
    named = []
    for notice_id, versions in sorted(groups.items()):
        found = in_force(versions, at)
        if found is not None:
            named.append({"notice_id": notice_id, "version": found.version, "text_sha256": found.text_sha256})
    return named


def _successor(versions: list[NoticeVersion], version: NoticeVersion) -> NoticeVersion | None:
    position = versions.index(version)
    return versions[position + 1] if position + 1 < len(versions) else None


def _out(version: NoticeVersion, successor: NoticeVersion | None) -> NoticeOut:
    return NoticeOut(notice_id=version.notice_id, version=version.version, title=version.title, url=version.url,
                     text_sha256=version.text_sha256, effective_from=rfc3339(version.effective_from),
                     effective_to=rfc3339(successor.effective_from) if successor else None,
                     event_id=version.event_id)


def _fields(notice: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(notice.get(name) for name in ("title", "url", "text_sha256", "effective_from"))


def _exists(body: NoticeBody) -> NoticeVersionExistsError:
    return NoticeVersionExistsError(
        f"Version {body.version} of notice {body.notice_id} was already published with other content; "
        "publish a new version instead.", [{"field": "version", "issue": "already published with other content"}])


def _entered_start(ledger: Ledger, body: NoticeBody) -> datetime | None:
    """`effective_from` as an instant: a date alone means the first instant of that day in the business time zone."""
    return instant(body.effective_from, ledger.settings.business_time_zone, end=False)


def _ms(moment: datetime) -> datetime:
    """The ledger keeps milliseconds: compare times at that precision."""
    return parse_rfc3339(rfc3339(moment))
