"""S3EvidenceStore: create-only, COMPLIANCE-locked, SSE-KMS, checksummed event objects in the evidence bucket."""

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.errors import EvidenceExistsError, EvidenceMissingError, RetentionTooShortError, StorageUnavailableError
from shared.observability import tracer

# A pinned version that is gone: deleted (NoSuchVersion), a delete marker in its place (MethodNotAllowed), or the
# whole key gone.
MISSING = ("NoSuchVersion", "NoSuchKey", "404", "MethodNotAllowed", "405")


class S3EvidenceStore:
    # Nothing here deletes. A COMPLIANCE lock is set at write time and can only be extended afterwards
    # (extend_retention reads the current date first and never sends an earlier one: moto accepts a shortened
    # COMPLIANCE retention that real S3 refuses, so the rule lives here).

    def __init__(self, bucket: str, kms_key_id: str, client: Any) -> None:
        self._bucket = bucket
        self._kms_key_id = kms_key_id
        self._s3 = client

    @tracer.capture_method(capture_response=False)
    def put_new(self, key: str, body: bytes, *, retain_until: datetime, minimum_retain_until: datetime,
                content_type: str = "application/json") -> str:
        """Refuses a retain-until below the record type's floor before anything is sent."""
        if retain_until < minimum_retain_until:
            raise RetentionTooShortError(f"retain-until {retain_until.isoformat()} is below the floor for {key}")
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        try:
            response = self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=body,
                ContentType=content_type,
                IfNoneMatch="*",  # create-only: a second writer at this key gets 412, never a new version
                ObjectLockMode="COMPLIANCE",
                ObjectLockRetainUntilDate=retain_until,
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=self._kms_key_id,
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=digest,
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                raise EvidenceExistsError(f"evidence object already exists at {key}") from error
            raise StorageUnavailableError("the evidence store refused the write") from error
        return str(response["VersionId"])

    @tracer.capture_method(capture_response=False)
    def get_version(self, key: str, version_id: str) -> bytes:
        """Reads pin the version the index recorded, so a later object at the same key cannot be substituted."""
        return self._pinned(key, version_id)

    @tracer.capture_method(capture_response=False)
    def get_range(self, key: str, version_id: str, start: int, length: int) -> bytes:
        return self._pinned(key, version_id, Range=f"bytes={start}-{start + length - 1}")

    def _pinned(self, key: str, version_id: str, **extra: str) -> bytes:
        try:
            response = self._s3.get_object(Bucket=self._bucket, Key=key, VersionId=version_id, **extra)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in MISSING:
                raise EvidenceMissingError(f"no object {key} at version {version_id} ({code})") from error
            raise StorageUnavailableError("the evidence store refused the read") from error
        return bytes(response["Body"].read())

    @tracer.capture_method(capture_response=False)
    def get_current(self, key: str) -> tuple[bytes, str]:
        response = self._s3.get_object(Bucket=self._bucket, Key=key)
        return bytes(response["Body"].read()), str(response["VersionId"])

    @tracer.capture_method(capture_response=False)
    def find_current(self, key: str) -> bytes | None:
        try:
            return self.get_current(key)[0]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code", "") in MISSING:
                return None
            raise StorageUnavailableError("the evidence store refused the read") from error

    @tracer.capture_method(capture_response=False)
    def retained_until(self, key: str, version_id: str) -> datetime | None:
        """The version's COMPLIANCE retain-until, from HeadObject (moto does not implement GetObjectRetention)."""
        head = self._s3.head_object(Bucket=self._bucket, Key=key, VersionId=version_id)
        until = head.get("ObjectLockRetainUntilDate")
        return until.astimezone(UTC) if until else None

    @tracer.capture_method(capture_response=False)
    def extend_retention(self, key: str, version_id: str, retain_until: datetime) -> tuple[datetime | None, datetime]:
        """Extend the version's lock to `retain_until` unless it already reaches that far; never shortens.
        Returns (retain-until before, retain-until after)."""
        current = self.retained_until(key, version_id)
        if current is not None and current >= retain_until:
            return current, current
        try:
            self._s3.put_object_retention(
                Bucket=self._bucket, Key=key, VersionId=version_id,
                Retention={"Mode": "COMPLIANCE", "RetainUntilDate": retain_until},
            )
        except ClientError as error:
            raise StorageUnavailableError("the evidence store refused the retention extension") from error
        return current, retain_until
