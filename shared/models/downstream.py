"""Step Functions I/O of the suppression fan-out, the webhook wire formats, and the GPC signal."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.models.fields import Email, LongText, Strict

Loose = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class SystemTask(BaseModel):
    """One Map item: what a branch needs without reading the registry (SLA and retry schedule are fixed at start)."""

    model_config = Loose

    system_id: str
    connector: Literal["webhook", "manual"]
    sla_seconds: int
    retry_backoff_seconds: list[int]
    max_retries: int


class FanoutInput(BaseModel):
    model_config = Loose

    request_id: str
    request_type: str
    due: str
    systems: list[SystemTask]


class InstructionInput(BaseModel):
    """An SQS message from a Map branch: send one instruction (attempt 0, 1, ...) and wait on `task_token`."""

    model_config = Loose

    action: Literal["instruct"]
    task_token: str
    execution_id: str
    request_id: str
    request_type: str
    due: str
    system: SystemTask
    attempt: int = 0


class BranchResult(BaseModel):
    model_config = Loose

    system_id: str
    status: Literal["confirmed", "failed", "timed_out"]
    error: dict[str, Any] | None = None


class FinalizeInput(BaseModel):
    model_config = Loose

    action: Literal["finalize"]
    task_token: str
    execution_id: str
    request_id: str
    request_type: str
    due: str
    systems: list[SystemTask]
    results: list[BranchResult]


class CallbackBody(BaseModel):
    """What a downstream system posts to /callbacks/{system_id} (signed)."""

    model_config = Strict

    instruction_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    request_id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    status: Literal["completed", "failed"]
    evidence: LongText | dict[str, Any] | None = None
    reason: LongText | None = None


class GpcConsumerIn(BaseModel):
    model_config = Strict

    email: Email | None = None


class GpcSignalBody(BaseModel):
    model_config = Strict

    device_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    consumer: GpcConsumerIn | None = None


class GpcStatusQuery(BaseModel):
    model_config = Strict

    device_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class GpcSignalOut(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built at first use

    gpc: bool
    request_id: str | None = None
    status: str | None = None


class GpcStatusOut(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built at first use

    device_id: str
    opted_out: bool
    request_id: str | None = None
    status: str | None = None
    honored: bool = False
    # The text a site shows beside its opt-out link (11 CCR 7025(c)(6), from 2026-01-01).
    display: str | None = None


class ConfirmationOut(BaseModel):
    model_config = ConfigDict(defer_build=True)  # built at first use

    accepted: bool
    request_id: str
    system_id: str
    status: str


class WebhookReply(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    status: int
    body: bytes = b""
