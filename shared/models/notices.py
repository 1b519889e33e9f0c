"""Privacy notices (API.md v2): HTTP models, and the index's record of a notice version (the catalog's fold over
`notice_published` events). Consents have theirs in shared/models/consent.py."""

import hashlib
import unicodedata
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, model_validator

from shared.models.fields import FieldRuleError, Lazy, ShortText, Strict
from shared.models.time_range import DateOrTime, EnteredTime

# Notice ids are sort-key prefixes in the index: no '#', no spaces.
NoticeId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
Version = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^\s\x00-\x1f\x7f](.*[^\s])?$")]
Url = Annotated[str, StringConstraints(max_length=2048, pattern=r"^https?://[^\s]+$")]
Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$", to_lower=True)]


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
