"""Search criteria and result pages for the index (the service layer's view, not the HTTP one)."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from shared.models.domain import RequestStatus, RequestType
from shared.models.records import RequestRecord


class RequestSearch(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    consumer_tag: str | None = None
    type: RequestType | None = None
    status: RequestStatus | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    limit: int = 50
    cursor: str | None = None


class SearchPage(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    items: list[RequestRecord]
    cursor: str | None
    total: int | None = None  # known without reading records only for clock-ranked lists
