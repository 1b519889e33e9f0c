"""The public status page's answer (GET /status/{token}): no consumer identifiers, only the request's state."""

from pydantic import BaseModel


class RequestStatusOut(BaseModel):
    request_id: str
    type: str
    status: str
    received_at: str
    due: str
    display: str
