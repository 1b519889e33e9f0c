"""Global Privacy Control (11 CCR 7025): a `Sec-GPC: 1` signal is an opt-out of sale/sharing for that browser or
device and, when known, for the consumer. One request per identity: a repeated signal adds nothing, a later page
load without the signal never opts anyone back in, and the signal wins over any earlier business setting."""

from shared.ledger.envelope import Actor
from shared.ledger.identity import device_subject, email_subject
from shared.ledger.ids import uuid8
from shared.models.domain import Channel, EventType, RequestStatus, RequestType
from shared.models.downstream import GpcSignalBody, GpcSignalOut, GpcStatusOut
from shared.ports import ConsentStore
from shared.services.downstream import Downstream
from shared.services.ledger_writer import EventDraft, Ledger, append_request_event
from shared.services.start_fanout import start_fanout_soon
from shared.services.submit_request import open_request, received_envelope

GPC_ACTOR = Actor(type="consumer", id="gpc")
HONORED_TEXT = "Opt-Out Request Honored"
RECEIVED_TEXT = "Opt-Out Request Received"


def signal_present(header: str | None) -> bool:
    """Only the exact value "1" is a signal (the GPC spec); "0", "true", " 1" or absence are not."""
    return header == "1"


def record_gpc_signal(ledger: Ledger, downstream: Downstream, header: str | None, body: GpcSignalBody,
                      consent_store: ConsentStore | None = None) -> GpcSignalOut:
    if not signal_present(header):
        return GpcSignalOut(gpc=False)
    email = body.consumer.email if body.consumer else None
    device_tag = ledger.tagger.tag(device_subject(body.device_id))
    email_tag = ledger.tagger.tag(email_subject(email)) if email else None
    tags = [device_tag] + ([email_tag] if email_tag else [])
    known = downstream.gpc.find(tags)
    if known:
        request_id = known.get(device_tag) or next(iter(known.values()))
        new_identities = [tag for tag in tags if tag not in known]
        _link(ledger, downstream, request_id, new_identities, email is not None and email_tag in new_identities)
        if email_tag and not new_identities and consent_store is not None:
            _over_opt_in(ledger, consent_store, request_id, email_tag)
    else:
        request_id = _open(ledger, body, device_tag, email_tag)
        for tag in tags:
            downstream.gpc.link(tag, request_id)
    record = start_fanout_soon(ledger, downstream, request_id) or ledger.index.get_request(request_id)
    return GpcSignalOut(gpc=True, request_id=request_id, status=record.status.value if record else "received")


def _open(ledger: Ledger, body: GpcSignalBody, device_tag: str, email_tag: str | None) -> str:
    """The request id derives from the device's tag, so concurrent first signals converge on one request."""
    request_id = uuid8("ccpa-audit/gpc/v1", device_tag)
    submission: dict[str, object] = {"type": RequestType.OPT_OUT_SALE_SHARING.value, "channel": Channel.GPC.value,
                                     "device_id": body.device_id, "signal": {"sec_gpc": "1"}}
    if body.consumer and body.consumer.email:
        submission["consumer"] = {"email": body.consumer.email}
    now = ledger.now()
    envelope = received_envelope(ledger, request_id, RequestType.OPT_OUT_SALE_SHARING, Channel.GPC, GPC_ACTOR,
                                 now, now, email_tag or device_tag, {"submission": submission})
    return open_request(ledger, envelope, same_submission=lambda found: True).record.request_id


def _link(ledger: Ledger, downstream: Downstream, request_id: str, tags: list[str], consumer_linked: bool) -> None:
    """A signal that names an identity the request does not cover yet: link it, and record that once."""
    linked = [tag for tag in tags if downstream.gpc.link(tag, request_id)]
    if not linked:
        return
    details = {"linked": "consumer" if consumer_linked else "device", "identities": len(linked)}
    append_request_event(ledger, request_id, lambda _: EventDraft(EventType.GPC_SIGNAL_RECEIVED, GPC_ACTOR, details))


def _over_opt_in(ledger: Ledger, consent_store: ConsentStore, request_id: str, email_tag: str) -> None:
    """A known consumer's signal after they opted in to sale/sharing is recorded again, once: it conflicts with the
    opt-in and wins (11 CCR 7025(c)(3)); without this event a repeated signal would leave the opt-in standing."""
    state = consent_store.state(email_tag)
    opt_ins = [entry for entry in (state.in_force if state else []) if entry.purpose == "sale_sharing"]
    if not opt_ins:
        return
    signals = [event.occurred_at for event in ledger.index.request_events(request_id)
               if event.type in (EventType.REQUEST_RECEIVED, EventType.GPC_SIGNAL_RECEIVED)]
    if signals and max(signals) >= max(entry.occurred_at for entry in opt_ins):
        return
    details = {"linked": "none", "conflicts_with": sorted(entry.consent_id for entry in opt_ins)}
    append_request_event(ledger, request_id, lambda _: EventDraft(EventType.GPC_SIGNAL_RECEIVED, GPC_ACTOR, details))


def gpc_status(ledger: Ledger, downstream: Downstream, device_id: str) -> GpcStatusOut:
    tag = ledger.tagger.tag(device_subject(device_id))
    request_id = downstream.gpc.find([tag]).get(tag)
    record = ledger.index.get_request(request_id) if request_id else None
    if record is None:
        return GpcStatusOut(device_id=device_id, opted_out=False)
    honored = record.status == RequestStatus.HONORED
    return GpcStatusOut(device_id=device_id, opted_out=True, request_id=record.request_id,
                        status=record.status.value, honored=honored,
                        display=HONORED_TEXT if honored else RECEIVED_TEXT)
