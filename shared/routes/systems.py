"""The registry of downstream systems that receive opt-out and deletion instructions."""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from shared import wiring
from shared.api import allow, current_actor, json_body, json_response, parse
from shared.models.domain import Role

router = Router()


@router.get("/systems", middlewares=[allow(Role.ADMIN, Role.ANALYST)])
def list_systems():
    from shared.models.system_api import SystemListOut
    from shared.services.manage_systems import system_out

    items = [system_out(system) for system in wiring.downstream().registry.list()]
    return json_response(200, SystemListOut(items=items))


@router.get("/systems/<system_id>", middlewares=[allow(Role.ADMIN, Role.ANALYST)])
def get_system_route(system_id: str):
    from shared.services.manage_systems import get_system, system_out

    return json_response(200, system_out(get_system(wiring.downstream(), system_id)))


@router.put("/systems/<system_id>", middlewares=[allow(Role.ADMIN)])
def put_system_route(system_id: str):
    from shared.models.system_api import SystemBody
    from shared.services.manage_systems import put_system, system_out

    body = parse(SystemBody, json_body(router))
    actor = current_actor(router)
    system, created = put_system(wiring.ledger(), wiring.downstream(), system_id, body, actor)
    return json_response(201 if created else 200, system_out(system), {"Location": f"/systems/{system_id}"})


@router.delete("/systems/<system_id>", middlewares=[allow(Role.ADMIN)])
def delete_system_route(system_id: str):
    from shared.services.manage_systems import remove_system

    actor = current_actor(router)
    remove_system(wiring.ledger(), wiring.downstream(), system_id, actor)
    return Response(status_code=204, body="")
