"""Who is calling: `Bearer local-<role>` in local mode, the API Gateway JWT authorizer's groups in AWS (DESIGN 8)."""

from dataclasses import dataclass
from typing import Any

from shared.errors import ForbiddenError, UnauthorizedError
from shared.ledger.envelope import Actor
from shared.models.domain import Role


@dataclass(frozen=True)
class Principal:
    id: str
    roles: frozenset[Role]

    def actor(self, role: Role) -> Actor:
        return Actor(type="service" if role == Role.SERVICE else "staff", id=self.id, role=role.value)


def principal_from_event(event: dict[str, Any], mode: str, groups_claim: str) -> Principal | None:
    """None when the caller sent no credentials; UnauthorizedError when it sent bad ones."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    header = headers.get("authorization")
    if header is not None and ("," in header or len(header.split()) != 2):
        # API Gateway joins repeated headers with commas: two credentials must not let either one win.
        raise UnauthorizedError("Send exactly one Authorization header holding one bearer token.")
    if mode == "local":
        if header is None:
            return None
        scheme, _, token = header.partition(" ")
        role = token.removeprefix("local-") if token.startswith("local-") else ""
        # Auth schemes are case-insensitive (RFC 9110 11.1): `bearer local-analyst` is the same credential.
        if scheme.lower() != "bearer" or role not in Role.__members__.values():
            raise UnauthorizedError("The bearer token is not valid; local mode accepts only `Bearer local-<role>`.")
        return Principal(id=f"local-{role}", roles=frozenset({Role(role)}))
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("jwt", {}).get("claims")
    if not claims:
        return None
    return Principal(id=str(claims.get("sub", "unknown")), roles=frozenset(_roles(claims.get(groups_claim))))


def _roles(groups: Any) -> list[Role]:
    # HTTP API JWT authorizers pass array claims as a bracketed, space-separated string.
    names = groups if isinstance(groups, list) else str(groups or "").strip("[]").replace(",", " ").split()
    return [Role(name) for name in names if name in Role.__members__.values()]


def require(principal: Principal | None, allowed: tuple[Role, ...]) -> tuple[Principal, Role]:
    if principal is None:
        raise UnauthorizedError("This endpoint needs a bearer token.")
    for role in allowed:
        if role in principal.roles:
            return principal, role
    names = ", ".join(role.value for role in allowed)
    raise ForbiddenError(f"This endpoint is for the role(s): {names}.")
