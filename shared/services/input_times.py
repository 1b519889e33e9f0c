"""Times people enter (receipts, notices, responses): one rule for how far ahead of our clock they may be."""

from datetime import datetime, timedelta

from shared.errors import ValidationError

# A staff device's clock may run slightly ahead of ours; beyond this a time is refused as in the future.
CLOCK_SKEW = timedelta(minutes=2)


def refuse_future(moment: datetime, now: datetime, field: str) -> datetime:
    if moment > now + CLOCK_SKEW:
        raise ValidationError(f"{field} is in the future.", [{"field": field, "issue": "is in the future"}])
    return moment
