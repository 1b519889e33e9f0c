"""The lifecycle actions staff record on a request (API.md: POST /requests/{id}/actions), one model per action,
chosen by its `action` field."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, model_validator

from shared.models.fields import FieldRuleError, LongText, ShortText, Strict
from shared.models.time_range import EnteredTime


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
