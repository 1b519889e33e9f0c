"""HTTP models of the downstream registry (API.md: PUT /systems/{id}, GET /systems): loaded by those routes, not
by the functions that only read the registry."""

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from shared.models.domain import RequestType
from shared.models.fields import Strict
from shared.models.systems import Identifier, SystemKind

# Loopback may use plain HTTP (the local stack's demo systems); anything else must be HTTPS.
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _check_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("must be an absolute http(s) URL")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        raise ValueError("must use https (plain http is allowed for loopback only)")
    return value


Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2048), AfterValidator(_check_url)]


class WebhookConnectorIn(BaseModel):
    model_config = Strict

    type: Literal["webhook"]
    url: Url
    # Shared HMAC-SHA256 key: signs our instructions and verifies the system's callbacks. Write-only.
    secret: SecretStr | None = Field(default=None, min_length=32, max_length=512)


class ManualConnectorIn(BaseModel):
    model_config = Strict

    type: Literal["manual"]
    instructions: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class SystemBody(BaseModel):
    """PUT /systems/{id}. A webhook's secret is required when it is created; later PUTs may omit it to keep it."""

    model_config = Strict

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    kind: SystemKind
    applies_to: Annotated[list[RequestType], Field(min_length=1, max_length=5)]
    connector: Annotated[WebhookConnectorIn | ManualConnectorIn, Field(discriminator="type")]
    # Hours the system has to confirm; fractions are allowed (a quick-responding API, or a test).
    sla_hours: float = Field(gt=0, le=24 * 45)
    identifiers: Annotated[list[Identifier], Field(min_length=1, max_length=5)] = ["email"]
    # Waits before each retry of an unreachable system (exponential by default); the count is the retry limit.
    retry_backoff_seconds: Annotated[list[Annotated[int, Field(ge=0, le=3600)]], Field(max_length=10)] = [
        30, 120, 600]


class ConnectorOut(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built at first use

    type: str
    url: str | None = None
    instructions: str | None = None
    secret_set: bool | None = None


class SystemOut(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built at first use

    system_id: str
    name: str
    kind: str
    applies_to: list[str]
    connector: ConnectorOut
    sla_hours: float
    identifiers: list[str]
    retry_backoff_seconds: list[int]
    created_at: str
    updated_at: str
    version: int


class SystemListOut(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built at first use

    items: list[SystemOut]
