"""S3 server access logs delivered in files of many records for moto 5.2.5, as S3 delivers them.

moto writes one log object (a new version in the versioned log bucket) for every request to a bucket that has
logging on, inside the request itself: each evidence write or read of the stack cost a second object write and an
object record kept for the life of the server (about 2.5 per intake request). S3 gathers records and delivers
them as log files of many records, on a best-effort basis and some time later. Here moto still builds each record
(its own format and key names), and the records for one target are delivered as one object, named as moto names
the first of them, once `RECORDS_PER_FILE` are waiting or the oldest has waited `DELIVERY_SECONDS` (checked when
a logged request arrives).
"""

import threading
import time
from dataclasses import dataclass, field
from typing import Any

RECORDS_PER_FILE = 200
DELIVERY_SECONDS = 30.0


@dataclass
class _Pending:
    key: str  # moto's name for the first record: the file's name
    since: float
    lines: list[str] = field(default_factory=list)


class _RecordCollector:
    """Stands in for the backend while moto builds one record: reads pass through, the record's write is kept."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self.records: list[tuple[str, str, str]] = []

    def get_bucket(self, name: str) -> Any:
        return self._backend.get_bucket(name)

    def put_object(self, bucket_name: str, key_name: str, value: str, **_: Any) -> None:
        self.records.append((bucket_name, key_name, value))


def apply() -> None:
    from moto.s3.models import S3Backend

    build_record = S3Backend.log_incoming_request
    pending: dict[tuple[int, str], _Pending] = {}  # (backend, target bucket) -> the file being gathered
    lock = threading.Lock()

    def log_incoming_request(self: Any, request: Any, bucket_name: str) -> None:
        collector = _RecordCollector(self)
        build_record(collector, request, bucket_name)
        now = time.monotonic()
        ready = []
        with lock:
            for target, key, line in collector.records:
                gathering = pending.setdefault((id(self), target), _Pending(key, now))
                gathering.lines.append(line)
            for (backend_id, target), gathering in list(pending.items()):
                if backend_id == id(self) and (len(gathering.lines) >= RECORDS_PER_FILE
                                               or now - gathering.since >= DELIVERY_SECONDS):
                    ready.append((target, pending.pop((backend_id, target))))
        for target, gathering in ready:
            try:
                self.put_object(target, gathering.key, value="".join(f"{line}\n" for line in gathering.lines))
            except Exception:  # noqa: BLE001, S110  delivery is best effort, as moto's own (and S3's) is
                pass

    S3Backend.log_incoming_request = log_incoming_request  # type: ignore[method-assign]
