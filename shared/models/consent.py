"""Consent (API.md v2): HTTP models, and the index's record of a consumer's consents (a fold over ledger events).
Privacy notices have theirs in shared/models/notices.py (a request's intake reads notices, never consents)."""

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.models.api import ConsumerIn
from shared.models.fields import Email, FieldRuleError, Lazy, ShortText, Strict
from shared.models.moved import forwarding
from shared.models.notices import NoticeId, Version
from shared.models.time_range import EnteredTime

# The notice models under their old names here.
__getattr__ = forwarding(__name__, {"shared.models.notices": (
    "NoticeAtQuery", "NoticeBody", "NoticeGroupOut", "NoticeListOut", "NoticeOut", "NoticeTextOut", "NoticeVersion",
    "text_sha256")})
Purpose = Literal["sale_sharing", "sensitive_pi", "financial_incentive"]
AgeBand = Literal["under_13", "13_to_15", "16_plus", "unknown"]
AGE_BANDS: dict[str, tuple[int, int]] = {"under_13": (0, 12), "13_to_15": (13, 15), "16_plus": (16, 200)}


class NoticeRefIn(BaseModel):
    model_config = Strict

    notice_id: NoticeId
    version: Version


class GuardianIn(BaseModel):
    model_config = Strict

    name: ShortText
    verification_method: ShortText


class ConsentBody(BaseModel):
    model_config = Strict

    consumer: ConsumerIn
    purpose: Purpose
    decision: Literal["opt_in", "withdraw"]
    initiated_by: Literal["consumer", "business"]
    age_band: AgeBand = "unknown"
    birth_year: int | None = Field(default=None, ge=1900, le=2200)
    guardian: GuardianIn | None = None
    method: Literal["web_form", "email", "toll_free", "mail", "in_person"]
    notice: NoticeRefIn
    occurred_at: EnteredTime | None = None

    @model_validator(mode="after")
    def _birth_year_fits_band(self) -> "ConsentBody":
        if self.birth_year is None:
            return self
        year = (self.occurred_at or datetime.now(UTC)).year
        if self.birth_year > year:
            raise FieldRuleError("birth_year", "is in the future")
        if self.age_band in AGE_BANDS:
            low, high = AGE_BANDS[self.age_band]
            # Without the birthday, the age is year - birth_year or one less.
            if year - self.birth_year < low or year - self.birth_year - 1 > high:
                raise FieldRuleError("birth_year", f"does not fit age_band {self.age_band}")
        return self


class ConsentOut(BaseModel):
    model_config = Lazy
    consent_id: str
    event_id: str
    receipt: dict[str, Any]
    withdraws: list[str] | None = None
    retain_until: str


class ConsentQuery(BaseModel):
    model_config = Strict

    consumer_email: Email


class DecisionQuery(BaseModel):
    model_config = Strict

    consumer_email: Email
    purpose: Purpose


class EvidenceOut(BaseModel):
    model_config = Lazy
    event_id: str
    type: str
    occurred_at: str


class DecisionOut(BaseModel):
    model_config = Lazy
    purpose: str
    allowed: bool
    reason: str
    evidence: list[EvidenceOut]
    decided_at: str
    age_band: str


class ConsentRecordOut(BaseModel):
    model_config = Lazy
    consent_id: str
    event_id: str
    type: str
    purpose: str
    decision: str
    initiated_by: str
    method: str
    occurred_at: str
    recorded_at: str
    notice: dict[str, Any]
    receipt: dict[str, Any]
    withdraws: list[str] | None = None
    withdrawn_by: str | None = None
    event_hash: str


class ConsentListOut(BaseModel):
    model_config = Lazy
    items: list[ConsentRecordOut]


class ConsentEntry(BaseModel):
    """One consent record as the consumer's consent state remembers it (enough to decide and to extend locks)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    consent_id: str
    event_id: str
    type: str
    purpose: str
    decision: str
    initiated_by: str
    occurred_at: datetime
    guardian: bool = False
    s3_key: str
    s3_version_id: str


class AgeFact(BaseModel):
    """The latest age band a record gave (never the birth year: the index holds no more about a person than it
    needs; a birth year stays in the locked record, where it sets the record's retention)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    band: str
    event_id: str
    type: str
    occurred_at: datetime


class ConsentState(BaseModel):
    """A consumer's consents, folded from their consent events (services/consent_state.py): the opt-ins still in
    force, the last withdrawal per purpose and the latest age band. `seq` counts the events and is the optimistic
    lock of the consumer's consent log."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    consumer_tag: str
    seq: int = 0
    in_force: list[ConsentEntry] = []
    withdrawals: dict[str, ConsentEntry] = {}
    age: AgeFact | None = None
