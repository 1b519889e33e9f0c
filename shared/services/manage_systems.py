"""The downstream registry (admin): every change is itself a locked, standalone ledger event."""

from shared.errors import NotFoundError, ValidationError
from shared.ledger.envelope import Actor
from shared.models.domain import EventType, RecordType
from shared.models.system_api import ConnectorOut, SystemBody, SystemOut
from shared.models.systems import SYSTEM_ID, DownstreamSystem
from shared.services.downstream import Downstream
from shared.services.ledger_writer import EventDraft, Ledger, record_standalone_event
from shared.timefmt import rfc3339


class SystemNotFoundError(NotFoundError):
    code = "system_not_found"


def check_system_id(system_id: str) -> str:
    if not SYSTEM_ID.match(system_id):
        raise ValidationError(
            "The system id must be 1-63 lowercase letters, digits, '-' or '_', starting with a letter or digit.",
            [{"field": "system_id", "issue": "must match ^[a-z0-9][a-z0-9_-]{0,62}$"}])
    return system_id


def put_system(ledger: Ledger, downstream: Downstream, system_id: str, body: SystemBody,
               actor: Actor) -> tuple[DownstreamSystem, bool]:
    """Create or replace; a webhook needs a signing secret when it is created (later PUTs may keep the old one)."""
    check_system_id(system_id)
    current = downstream.registry.get(system_id)
    connector = body.connector
    secret = connector.secret.get_secret_value() if connector.type == "webhook" and connector.secret else None
    if connector.type == "webhook" and secret is None and (current is None or current.connector_type != "webhook"):
        raise ValidationError("A webhook connector needs a signing secret when it is first set.",
                              [{"field": "connector.secret", "issue": "is required for a new webhook connector"}])
    now = ledger.now()
    system = DownstreamSystem(
        system_id=system_id,
        name=body.name,
        kind=body.kind,
        applies_to=list(dict.fromkeys(body.applies_to)),
        connector_type=connector.type,
        url=connector.url if connector.type == "webhook" else None,
        instructions=connector.instructions if connector.type == "manual" else None,
        sla_hours=body.sla_hours,
        identifiers=list(dict.fromkeys(body.identifiers)),
        retry_backoff_seconds=body.retry_backoff_seconds,
        created_at=current.created_at if current else now,
        updated_at=now,
        version=current.version + 1 if current else 1,
    )
    if secret is not None:
        downstream.secrets.put(system_id, secret)  # first: a saved webhook must always be able to sign
    downstream.registry.save(system, current.version if current else None)
    # Canonical JSON has no floats: the ledger keeps the SLA in whole seconds.
    snapshot = system_out(system).model_dump(mode="json", exclude={"sla_hours"})
    details = {"system": {**snapshot, "sla_seconds": system.sla_seconds}, "secret_changed": bool(secret)}
    kind = EventType.SYSTEM_UPDATED if current else EventType.SYSTEM_REGISTERED
    record_standalone_event(ledger, EventDraft(kind, actor, details), RecordType.CONSUMER_REQUEST)
    return system, current is None


def get_system(downstream: Downstream, system_id: str) -> DownstreamSystem:
    system = downstream.registry.get(check_system_id(system_id))
    if system is None:
        raise SystemNotFoundError(f"No downstream system {system_id}.")
    return system


def remove_system(ledger: Ledger, downstream: Downstream, system_id: str, actor: Actor) -> None:
    """Fan-outs already running keep their systems; requests from now on no longer include this one."""
    system = get_system(downstream, system_id)
    downstream.registry.remove(system_id, system.version, ledger.now())
    details = {"system_id": system_id, "version": system.version}
    record_standalone_event(ledger, EventDraft(EventType.SYSTEM_REMOVED, actor, details), RecordType.CONSUMER_REQUEST)


def system_out(system: DownstreamSystem) -> SystemOut:
    """A webhook always has a secret (it is required when the connector is first set); it is never shown."""
    webhook = system.connector_type == "webhook"
    return SystemOut(
        system_id=system.system_id,
        name=system.name,
        kind=system.kind.value,
        applies_to=[t.value for t in system.applies_to],
        connector=ConnectorOut(type=system.connector_type, url=system.url, instructions=system.instructions,
                               secret_set=True if webhook else None),
        sla_hours=system.sla_hours,
        identifiers=system.identifiers,
        retry_backoff_seconds=system.retry_backoff_seconds,
        created_at=rfc3339(system.created_at),
        updated_at=rfc3339(system.updated_at),
        version=system.version,
    )
