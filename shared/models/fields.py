"""Field types and rules shared by the HTTP models of every area (shared/models/api.py, export_api.py, consent.py,
...): kept apart from the request models so that a function loads only its own area's model classes."""

import re
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, StringConstraints

from shared.models.domain import Channel
from shared.models.labels import CHANNEL_SYNONYMS, canonical_label
from shared.models.time_range import out_of_order
from shared.text_rules import email_issue, line_issue

_EMAIL = re.compile(r"^[^@\s\"(),:;<>\[\\\]]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$")


def _check_email(value: str) -> str:
    issue = email_issue(value)
    if issue:
        raise ValueError(f"is not a valid email address: it {issue}")
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("is not a valid email address")
    return value


def _single_line(value: str) -> str:
    issue = line_issue(value)
    if issue:
        raise ValueError(issue)
    return value


Email = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_check_email)]
# Names, ids, methods, system names: one line of visible text (shared/text_rules.py).
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
                      AfterValidator(_single_line)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
# Input models are built at their first validation (defer_build): a function loads every route's models, but a
# cold start serves one route and should build only what that route reads.
Strict = ConfigDict(extra="forbid", frozen=True, defer_build=True)
Lazy = ConfigDict(defer_build=True)  # response models likewise


class FieldRuleError(ValueError):
    """A cross-field rule broken by one named field; the HTTP layer reports `field` as the location."""

    def __init__(self, field: str, issue: str) -> None:
        super().__init__(f"{field} {issue}")
        self.field = field
        self.issue = issue


def check_range(start: Any, end: Any) -> None:
    """A search or export whose `to` comes before its `from` can only be a mistake: 422 naming `to`."""
    if out_of_order(start, end):
        raise FieldRuleError("to", "must not be before from")


STAFF_CHANNELS = tuple(c for c in Channel if c not in (Channel.WEB_FORM, Channel.GPC))
_CHANNEL_LABEL = canonical_label(CHANNEL_SYNONYMS)


def names_staff_channel(sent: Any) -> bool:
    """Whether a channel as the client spelled it is stored as a staff channel: "Phone" needs an agent's token
    exactly as "toll_free" does."""
    return _CHANNEL_LABEL(sent) in STAFF_CHANNELS
