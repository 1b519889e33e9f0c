"""HTTP request and response models (the edge of API.md). Inputs refuse unknown fields."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from shared.models.domain import Channel, RequestStatus, RequestType
from shared.models.fields import Email, FieldRuleError, Lazy, LongText, ShortText, Strict, check_range
from shared.models.labels import CHANNEL_SYNONYMS, REQUEST_TYPE_SYNONYMS, vocabulary
from shared.models.time_range import DateOrTime, EnteredTime, in_range


class ConsumerIn(BaseModel):
    model_config = Strict

    email: Email
    name: ShortText | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=40)] | None = None
    account_id: ShortText | None = None


class AgentIn(BaseModel):
    model_config = Strict

    name: ShortText
    authorization_ref: ShortText | None = None


class NoticeSeenIn(BaseModel):
    """The privacy notice version the consumer was shown when filing (the privacy center sends it)."""

    model_config = Strict

    notice_id: ShortText
    version: ShortText


class RequestDetailsIn(BaseModel):
    model_config = Strict

    scope: Literal["categories", "specific_pieces"] | None = None
    fields: list[ShortText] | None = Field(default=None, max_length=100)
    look_back_from: Annotated[datetime, AfterValidator(in_range)] | None = None
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None
    notice_seen: NoticeSeenIn | None = None


class SubmitRequestBody(BaseModel):
    model_config = Strict

    type: Annotated[RequestType, vocabulary(REQUEST_TYPE_SYNONYMS)]
    channel: Annotated[Literal["web_form", "email", "toll_free", "mail", "in_person", "authorized_agent"],
                       vocabulary(CHANNEL_SYNONYMS)]
    consumer: ConsumerIn
    received_at: EnteredTime | None = None
    details: RequestDetailsIn | None = None
    agent: AgentIn | None = None

    @model_validator(mode="after")
    def _channel_rules(self) -> "SubmitRequestBody":
        if self.channel == Channel.WEB_FORM and self.received_at is not None:
            raise FieldRuleError("received_at", "is set by the server for web_form requests and must be omitted")
        if self.channel == Channel.AUTHORIZED_AGENT and self.agent is None:
            raise FieldRuleError("agent", "is required when channel is authorized_agent")
        if self.channel != Channel.AUTHORIZED_AGENT and self.agent is not None:
            raise FieldRuleError("agent", "is only allowed when channel is authorized_agent")
        if self.details and self.details.scope and self.type != RequestType.KNOW:
            raise FieldRuleError("details.scope", "applies only to know requests")
        if self.details and self.details.fields and self.type != RequestType.CORRECT:
            raise FieldRuleError("details.fields", "applies only to correct requests")
        return self


class SearchRequestsQuery(BaseModel):
    model_config = Strict

    consumer_email: Email | None = None
    type: Annotated[RequestType | None, vocabulary(REQUEST_TYPE_SYNONYMS)] = None
    status: Annotated[RequestStatus | None, vocabulary()] = None
    from_: DateOrTime | None = Field(default=None, alias="from")
    to: DateOrTime | None = None
    at_risk: bool | None = None
    overdue: bool | None = None
    open: bool | None = None
    cursor: Annotated[str, StringConstraints(max_length=4096)] | None = None
    limit: int | None = Field(default=None, ge=1, le=500)

    @model_validator(mode="after")
    def _range(self) -> "SearchRequestsQuery":
        check_range(self.from_, self.to)
        return self


class ClockOut(BaseModel):
    model_config = Lazy
    due: str
    satisfied_at: str | None
    met: bool | None
    at_risk: bool
    overdue: bool
    days_left: int
    extended: bool = False


class TimelineItemOut(BaseModel):
    model_config = Lazy
    event_id: str
    type: str
    occurred_at: str
    recorded_at: str
    actor: dict[str, Any]
    details: dict[str, Any]
    event_hash: str
    prev_event_hash: str | None


class Record7101Out(BaseModel):
    model_config = Lazy
    request_date: str | None
    request_nature: str | None
    request_manner: str | None
    response_date: str | None
    response_nature: str | None
    denial_basis: str | None
    notice_in_force: list[dict[str, str]] | None = None  # privacy-notice versions in force at receipt


class RequestSummaryOut(BaseModel):
    model_config = Lazy
    request_id: str
    type: str
    channel: str
    status: str
    received_at: str
    recorded_at: str
    time_zone: str
    clocks: dict[str, ClockOut]


class DownstreamOut(BaseModel):
    model_config = Lazy
    system_id: str
    status: str  # pending | instructed | confirmed | failed | timed_out
    instruction_sent_at: str | None
    confirmed_at: str | None
    connector: str | None = None
    attempts: int = 0
    last_error: str | None = None


class RequestRecordOut(RequestSummaryOut):
    consumer: dict[str, Any] | None = None
    agent: dict[str, Any] | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    timeline: list[TimelineItemOut]
    downstream: list[DownstreamOut]
    record_7101: Record7101Out
    notice_in_force: list[dict[str, str]] | None = None  # None for requests received before notices were recorded


class RequestPageOut(BaseModel):
    model_config = Lazy
    items: list[RequestSummaryOut]
    cursor: str | None
    total: int | None = None


class AcknowledgeAction(BaseModel):
    model_config = Strict

    action: Literal["acknowledge"]
    sent_at: EnteredTime
    method: ShortText


class VerifyAction(BaseModel):
    model_config = Strict

    action: Literal["verify"]
    method: ShortText
    outcome: Literal["verified", "failed"]
    level: Literal["reasonable", "reasonably_high"]


class ExtendAction(BaseModel):
    model_config = Strict

    action: Literal["extend"]
    reason: LongText
    notice_sent_at: EnteredTime


DenialBasis = Literal["unverifiable", "not_california_consumer", "exemption", "fraud", "other"]


class DenyAction(BaseModel):
    model_config = Strict

    action: Literal["deny"]
    basis: DenialBasis
    exemption: ShortText | None = None  # which exemption (e.g. "Civ. 1798.105(d)(1)"), required for basis exemption
    explanation: LongText
    sent_at: EnteredTime
    opt_out_offered: bool | None = None

    @model_validator(mode="after")
    def _exemption_named(self) -> "DenyAction":
        if self.basis == "exemption" and not self.exemption:
            raise FieldRuleError("exemption", "is required when basis is exemption")
        if self.basis != "exemption" and self.exemption:
            raise FieldRuleError("exemption", "is only allowed when basis is exemption")
        return self


class RespondAction(BaseModel):
    model_config = Strict

    action: Literal["respond"]
    sent_at: EnteredTime
    method: ShortText
    summary: LongText
    outcome: Literal["complied", "complied_in_part"] = "complied"


class ConfirmSystemAction(BaseModel):
    model_config = Strict

    action: Literal["confirm_system"]
    system_id: ShortText
    evidence: LongText | dict[str, Any]


ActionBody = Annotated[
    AcknowledgeAction | VerifyAction | ExtendAction | DenyAction | RespondAction | ConfirmSystemAction,
    Field(discriminator="action"),
]
