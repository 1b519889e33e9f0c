"""The access log's batch objects in the evidence bucket, as local Parquet files for the embedded engine.

DuckDB's S3 support (httpfs) is an extension downloaded at run time, which a sealed network cannot do, so the
objects are read with boto3 instead. Batch objects are locked and never rewritten, so a downloaded copy stays
valid: files are cached by key and ETag (the content's identity; the listing gives it without a versions listing)
in a `date=` layout the engine reads as the partition column.
"""

import hashlib
import os
from datetime import date
from pathlib import Path
from typing import Any

from shared.models.access_search import BATCH_PREFIX, partition_prefix
from shared.observability import tracer


class S3AccessBatches:
    """The objects under `prefix`: the batch objects, or (access/compacted/) their compacted copies."""

    def __init__(self, bucket: str, client: Any, cache_dir: str, prefix: str = BATCH_PREFIX) -> None:
        self._bucket = bucket
        self._s3 = client
        self._cache = Path(cache_dir)
        self._prefix = prefix

    @tracer.capture_method(capture_response=False)
    def files(self, first_day: date, last_day: date) -> list[str]:
        """Local paths of every batch object received from first_day to last_day."""
        return [self._local(key, version) for key, version in self._listed(first_day, last_day)]

    def _listed(self, first_day: date, last_day: date) -> list[tuple[str, str]]:
        # Keys sort by day, so one listing from the first day's prefix covers the range in order.
        stop = partition_prefix(last_day, self._prefix)
        params: dict[str, Any] = {"Bucket": self._bucket, "Prefix": self._prefix,
                                  "StartAfter": partition_prefix(first_day, self._prefix)[:-1]}
        found = []
        while True:
            page = self._s3.list_objects_v2(**params)
            for entry in page.get("Contents", []):
                key = entry["Key"]
                if key[:len(stop)] > stop:
                    return found
                if key.endswith(".parquet"):
                    found.append((key, entry["ETag"]))
            if not page.get("IsTruncated"):
                return found
            params["ContinuationToken"] = page["NextContinuationToken"]

    def _local(self, key: str, etag: str) -> str:
        partition = key.removeprefix(self._prefix).split("/", 1)[0]
        digest = hashlib.sha256(f"{key}\n{etag}".encode()).hexdigest()[:32]
        path = self._cache / partition / f"{digest}.parquet"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            body = self._s3.get_object(Bucket=self._bucket, Key=key, IfMatch=etag)["Body"].read()
            partial = path.with_suffix(f".{os.getpid()}.part")
            partial.write_bytes(body)
            partial.replace(path)  # atomic: a concurrent reader sees the whole file or none
        return str(path)
