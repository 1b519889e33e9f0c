"""RFC 3339 UTC timestamps with milliseconds and `Z`: the only time format the ledger and the API emit."""

from datetime import UTC, datetime
from functools import lru_cache


def utc_now() -> datetime:
    return datetime.now(UTC)


# Both directions are remembered for a few hundred instants: one request spells and reads back the same few (its
# receipt time, the day its lock ends) about twenty times over its events, index entries and response.
@lru_cache(maxsize=512)
def rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    utc = moment.astimezone(UTC)
    # isoformat(timespec="milliseconds") without "+00:00", spelled out: the same digits (milliseconds truncated),
    # in about half its time
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second,
                                                    utc.microsecond // 1000)


@lru_cache(maxsize=512)
def parse_rfc3339(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("timestamp needs a time zone")
    return moment.astimezone(UTC)
