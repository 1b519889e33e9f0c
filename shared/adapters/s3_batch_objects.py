"""S3BatchObjects: listing the access-event batch objects (and their compacted copies) of the evidence bucket with
their version ids.

Batch and compacted keys are create-only, so each has one version; ListObjectVersions gives key and version in
one call."""

from typing import Any

from shared.models.access_batch import PREFIX, is_batch_key
from shared.observability import tracer

PAGE = 1000


class S3BatchObjects:
    def __init__(self, bucket: str, client: Any) -> None:
        self._bucket = bucket
        self._s3 = client

    @tracer.capture_method(capture_response=False)
    def list_after(self, start_after: str, limit: int) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        params: dict[str, Any] = {"Bucket": self._bucket, "Prefix": PREFIX, "MaxKeys": min(PAGE, limit)}
        if start_after:
            params["KeyMarker"] = start_after
        while len(found) < limit:
            page = self._s3.list_object_versions(**params)
            # the marker's own key is never wanted, whichever way a server reads KeyMarker
            found += [(v["Key"], v["VersionId"]) for v in page.get("Versions", [])
                      if v["Key"] > start_after and is_batch_key(v["Key"])]
            if not page.get("IsTruncated"):
                break
            params.update(KeyMarker=page["NextKeyMarker"], VersionIdMarker=page["NextVersionIdMarker"])
        return found[:limit]

    @tracer.capture_method(capture_response=False)
    def under(self, prefix: str) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        params: dict[str, Any] = {"Bucket": self._bucket, "Prefix": prefix, "MaxKeys": PAGE}
        while True:
            page = self._s3.list_object_versions(**params)
            found += [(v["Key"], v["VersionId"]) for v in page.get("Versions", [])]
            if not page.get("IsTruncated"):
                return found
            params.update(KeyMarker=page["NextKeyMarker"], VersionIdMarker=page["NextVersionIdMarker"])

    @tracer.capture_method(capture_response=False)
    def first_after(self, prefix: str) -> str | None:
        contents = self._s3.list_objects_v2(Bucket=self._bucket, Prefix=prefix, MaxKeys=1).get("Contents", [])
        return contents[0]["Key"] if contents else None
