"""A cheap clock for moto 5.2.5's SQS.

moto reads the time as a datetime and subtracts the epoch (two datetime constructions and a timedelta) for every
message each time it counts a queue's visible, delayed or in-flight messages, checks retention, or receives; and
`SendMessage` builds every queue attribute, the three counts included, to read one setting. With a backlog of
instructions each send and receive walked it at that price. "Now" as a number is `time.time()`, which is what
moto's arithmetic computes (and what a frozen test clock patches alike); a given datetime is still converted by
moto's own code.
"""

import time
from collections.abc import Callable
from datetime import datetime


def _now_or(convert: Callable[[datetime], float], scale: float) -> Callable[[datetime | None], float]:
    def clock(dt: datetime | None = None) -> float:
        return time.time() * scale if dt is None else convert(dt)

    return clock


def apply() -> None:
    from moto.core.utils import unix_time, unix_time_millis
    from moto.sqs import models

    models.unix_time = _now_or(unix_time, 1.0)  # type: ignore[assignment]
    models.unix_time_millis = _now_or(unix_time_millis, 1000.0)  # type: ignore[assignment]
