"""The tamper-evident log: an event's inclusion proof, signed checkpoints, consistency proofs and public keys.
Its services load cryptography, so they are imported by the routes that use them."""

from aws_lambda_powertools.event_handler.api_gateway import Router

from shared import wiring
from shared.api import allow, current_actor, json_response, parse, query_params
from shared.models.domain import Role

router = Router()
READERS = (Role.ANALYST, Role.AUDITOR)


@router.get("/events/<event_id>/proof", middlewares=[allow(*READERS)])
def event_proof(event_id: str):
    from shared.services import ledger_proofs

    reader = current_actor(router)
    return json_response(200, ledger_proofs.event_proof(wiring.ledger(), wiring.merkle_log(), event_id, reader,
                                                        wiring.access_engine()))


@router.get("/ledger/checkpoint", middlewares=[allow(*READERS)])
def ledger_checkpoint():
    from shared.services import ledger_proofs

    return json_response(200, ledger_proofs.latest_checkpoint(wiring.merkle_log()))


@router.get("/ledger/consistency", middlewares=[allow(*READERS)])
def ledger_consistency():
    from shared.models.ledger_api import ConsistencyQuery
    from shared.services import ledger_proofs

    query = parse(ConsistencyQuery, query_params(router))
    return json_response(200, ledger_proofs.consistency(wiring.merkle_log(), query.from_, query.to))


@router.get("/ledger/keys")
def ledger_keys():
    from shared.services import ledger_proofs

    return json_response(200, ledger_proofs.public_keys(wiring.merkle_log()))
