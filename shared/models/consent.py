"""Privacy notices and consent (API.md v2): HTTP models, and the index's records of notice versions and of a
consumer's consents (both folds over ledger events)."""

import hashlib
import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from shared.models.api import ConsumerIn
from shared.models.fields import Email, FieldRuleError, Lazy, ShortText, Strict
from shared.models.time_range import DateOrTime, EnteredTime

# Notice ids are sort-key prefixes in the index: no '#', no spaces.
NoticeId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
Version = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^\s\x00-\x1f\x7f](.*[^\s])?$")]
Url = Annotated[str, StringConstraints(max_length=2048, pattern=r"^https?://[^\s]+$")]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$", to_lower=True)]
Purpose = Literal["sale_sharing", "sensitive_pi", "financial_incentive"]
AgeBand = Literal["under_13", "13_to_15", "16_plus", "unknown"]
AGE_BANDS: dict[str, tuple[int, int]] = {"under_13": (0, 12), "13_to_15": (13, 15), "16_plus": (16, 200)}


def text_sha256(text: str) -> str:
    """The SHA-256 of the notice text's UTF-8 bytes, after NFC (the ledger stores text NFC-normalized)."""
    return hashlib.sha256(unicodedata.normalize("NFC", text).encode("utf-8")).hexdigest()


class NoticeBody(BaseModel):
    model_config = Strict

    notice_id: NoticeId
    version: Version
    title: ShortText
    url: Url
    text: Annotated[str, StringConstraints(min_length=1, max_length=200_000)] | None = None
    text_sha256: Sha256Hex | None = None
    effective_from: DateOrTime | None = None  # a date: the first instant of that business day

    @model_validator(mode="after")
    def _text_or_hash(self) -> "NoticeBody":
        if self.text is None and self.text_sha256 is None:
            raise FieldRuleError("text", "or text_sha256 is required")
        if self.text is not None and self.text_sha256 is not None and text_sha256(self.text) != self.text_sha256:
            raise FieldRuleError("text_sha256", "does not match the SHA-256 of text")
        return self

    @property
    def sha256(self) -> str:
        return text_sha256(self.text) if self.text is not None else str(self.text_sha256)


class NoticeAtQuery(BaseModel):
    model_config = Strict

    at: EnteredTime | None = None


class NoticeVersion(BaseModel):
    """A published version as the index's notice catalog holds it (the locked event is the record)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    notice_id: str
    version: str
    title: str
    url: str
    text_sha256: str
    effective_from: datetime
    event_id: str
    s3_key: str
    s3_version_id: str
    has_text: bool
    seq: int  # position among the notice's versions (1 = first): the catalog's optimistic lock


class NoticeOut(BaseModel):
    model_config = Lazy
    notice_id: str
    version: str
    title: str
    url: str
    text_sha256: str
    effective_from: str
    effective_to: str | None
    event_id: str


class NoticeTextOut(NoticeOut):
    text: str | None = None  # present when the version was published with its text (else only its hash)


class NoticeGroupOut(BaseModel):
    model_config = Lazy
    notice_id: str
    in_force: str | None  # the version in force now (None before the first takes effect)
    versions: list[NoticeOut]


class NoticeListOut(BaseModel):
    model_config = Lazy
    items: list[NoticeGroupOut]


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
