"""HTTP input models of the request routes (the edge of API.md): filing and searching requests. Inputs refuse
unknown fields."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from shared.models.domain import Channel, RequestStatus, RequestType
from shared.models.fields import Email, FieldRuleError, ShortText, Strict, check_range
from shared.models.labels import CHANNEL_SYNONYMS, REQUEST_TYPE_SYNONYMS, vocabulary
from shared.models.moved import forwarding
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


# The response models and the lifecycle actions live in modules of their own, loaded by the routes that use them
# (a cold start filing a request builds neither); their old names here still work, loading the module at first use,
# as do the shared field types' (shared/models/fields.py).
__getattr__ = forwarding(__name__, {
    "shared.models.request_views": ("ClockOut", "TimelineItemOut", "Record7101Out", "RequestSummaryOut",
                                    "DownstreamOut", "RequestRecordOut", "RequestPageOut"),
    "shared.models.actions": ("AcknowledgeAction", "VerifyAction", "ExtendAction", "DenialBasis", "DenyAction",
                              "RespondAction", "ConfirmSystemAction", "ActionBody"),
    "shared.models.fields": ("LongText", "Lazy", "STAFF_CHANNELS", "names_staff_channel"),
})
