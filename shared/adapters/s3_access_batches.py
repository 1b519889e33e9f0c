"""The access log's batch objects in the evidence bucket, as local Parquet files for the embedded engine.

DuckDB's S3 support (httpfs) is an extension downloaded at run time, which a sealed network cannot do, so the
objects are read with boto3 instead. Batch objects are locked and never rewritten, so a downloaded version stays
valid: files are cached by key and version in a `date=` layout the engine reads as the partition column.
"""

import hashlib
import os
from datetime import date
from pathlib import Path
from typing import Any

from shared.models.access_batches import BATCH_PREFIX, partition_prefix
from shared.observability import tracer


class S3AccessBatches:
    def __init__(self, bucket: str, client: Any, cache_dir: str) -> None:
        self._bucket = bucket
        self._s3 = client
        self._cache = Path(cache_dir)

    @tracer.capture_method(capture_response=False)
    def files(self, first_day: date, last_day: date) -> list[str]:
        """Local paths of the current version of every batch object received from first_day to last_day."""
        return [self._local(key, version) for key, version in self._listed(first_day, last_day)]

    def _listed(self, first_day: date, last_day: date) -> list[tuple[str, str]]:
        # Keys sort by day, so one listing from the first day's prefix covers the range in order.
        stop = partition_prefix(last_day)
        params: dict[str, Any] = {"Bucket": self._bucket, "Prefix": BATCH_PREFIX,
                                  "KeyMarker": partition_prefix(first_day)[:-1]}
        found = []
        while True:
            page = self._s3.list_object_versions(**params)
            for version in page.get("Versions", []):
                key = version["Key"]
                if key[:len(stop)] > stop:
                    return found
                if version.get("IsLatest") and key.endswith(".parquet"):
                    found.append((key, version["VersionId"]))
            if not page.get("IsTruncated"):
                return found
            params.update(KeyMarker=page["NextKeyMarker"], VersionIdMarker=page["NextVersionIdMarker"])

    def _local(self, key: str, version: str) -> str:
        partition, name = key.removeprefix(BATCH_PREFIX).split("/", 1)
        digest = hashlib.sha256(f"{key}\n{version}".encode()).hexdigest()[:32]
        path = self._cache / partition / f"{digest}.parquet"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            body = self._s3.get_object(Bucket=self._bucket, Key=key, VersionId=version)["Body"].read()
            partial = path.with_suffix(f".{os.getpid()}.part")
            partial.write_bytes(body)
            partial.replace(path)  # atomic: a concurrent reader sees the whole file or none
        return str(path)
