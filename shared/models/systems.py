"""The downstream registry: systems that must stop selling/sharing or delete when a consumer asks (DESIGN 6).
Their HTTP models (PUT/GET /systems) are in shared/models/system_api.py."""

import re
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

from shared.models.domain import RequestType
from shared.models.moved import forwarding

SYSTEM_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class SystemKind(StrEnum):
    EMAIL_MARKETING = "email_marketing"
    AD_PLATFORM = "ad_platform"
    CRM = "crm"
    ANALYTICS = "analytics"
    SERVICE_PROVIDER = "service_provider"
    CONTRACTOR = "contractor"
    THIRD_PARTY = "third_party"


Identifier = Literal["email", "name", "phone", "account_id", "device_id"]


class DownstreamSystem(BaseModel):
    """A registry entry as stored (the secret lives in the secret store, never here)."""

    model_config = ConfigDict(frozen=True)

    system_id: str
    name: str
    kind: SystemKind
    applies_to: list[RequestType]
    connector_type: Literal["webhook", "manual"]
    url: str | None = None
    instructions: str | None = None
    sla_hours: float
    identifiers: list[str]
    retry_backoff_seconds: list[int]
    created_at: datetime
    updated_at: datetime
    version: int = 1

    @property
    def sla_seconds(self) -> int:
        return max(1, round(self.sla_hours * 3600))


# The registry's HTTP models under their old names here.
__getattr__ = forwarding(__name__, {"shared.models.system_api": (
    "Url", "WebhookConnectorIn", "ManualConnectorIn", "SystemBody", "ConnectorOut", "SystemOut", "SystemListOut")})
