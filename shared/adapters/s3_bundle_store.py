"""S3BundleStore: evidence bundles in the export bucket, create-only and COMPLIANCE-locked, handed out by
presigned GET URLs pinned to the stored version."""

import base64
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.errors import EvidenceExistsError, StorageUnavailableError
from shared.observability import tracer


class S3BundleStore:
    def __init__(self, bucket: str, kms_key_id: str, client: Any) -> None:
        self._bucket = bucket
        self._kms_key_id = kms_key_id
        self._s3 = client

    @tracer.capture_method(capture_response=False)
    def put_new(self, key: str, body: bytes, sha256_hex: str, retain_until: datetime) -> str:
        try:
            response = self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=body,
                ContentType="application/zip",
                ContentDisposition=f'attachment; filename="{key.rsplit("/", 1)[-1]}"',
                IfNoneMatch="*",
                ObjectLockMode="COMPLIANCE",
                ObjectLockRetainUntilDate=retain_until,
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=self._kms_key_id,
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=base64.b64encode(bytes.fromhex(sha256_hex)).decode(),
                Metadata={"sha256": sha256_hex},
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                raise EvidenceExistsError(f"a bundle already exists at {key}") from error
            raise StorageUnavailableError("the export bucket refused the write") from error
        return str(response["VersionId"])

    @tracer.capture_method(capture_response=False)
    def find(self, key: str) -> tuple[str, str, int] | None:
        try:
            head = self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return str(head["VersionId"]), head.get("Metadata", {}).get("sha256", ""), int(head["ContentLength"])

    def presign(self, key: str, version_id: str, expires_in: int) -> str:
        return str(self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": key, "VersionId": version_id}, ExpiresIn=expires_in))
