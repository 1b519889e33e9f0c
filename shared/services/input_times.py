"""Times people enter (receipts, notices, responses): how far ahead of our clock they may be, and how they compare.

An entered time is compared at the precision it was given. Staff copy times from mail clients that show whole
seconds or minutes, while our own receipts carry milliseconds: `00:02:13Z` names the whole second 00:02:13 and
is not "before" a receipt at 00:02:13.456Z; `00:02Z` names the whole minute.
"""

from datetime import datetime, timedelta

from shared.errors import ValidationError

# A staff device's clock may run slightly ahead of ours; beyond this a time is refused as in the future.
CLOCK_SKEW = timedelta(minutes=2)


def refuse_future(moment: datetime, now: datetime, field: str) -> datetime:
    if moment > now + CLOCK_SKEW:
        raise ValidationError(f"{field} is in the future.", [{"field": field, "issue": "is in the future"}])
    return moment


def precision(moment: datetime) -> timedelta:
    """The span an entered time names: a minute, a second, or (with any fraction) a millisecond."""
    if moment.microsecond:
        return timedelta(milliseconds=1)
    return timedelta(seconds=1) if moment.second else timedelta(minutes=1)


def wholly_before(moment: datetime, reference: datetime) -> bool:
    """Whether all of the span `moment` names lies before `reference`."""
    return moment + precision(moment) <= reference
