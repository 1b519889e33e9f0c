"""S3 bodies kept as bytes read back exactly, versions and Object Lock included; large ones still spool."""

import os

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from ccpa_audit.local.emulator_s3_bodies import _Body


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="locked-bucket", ObjectLockEnabledForBucket=True)
        yield client


def stored_body(key):
    from moto.s3.models import s3_backends

    return s3_backends["123456789012"]["aws"].buckets["locked-bucket"].keys[key]._value_buffer


def test_a_small_body_is_bytes_and_reads_back_with_its_etag(s3):
    import hashlib

    body = bytes(range(256)) * 3
    put = s3.put_object(Bucket="locked-bucket", Key="k", Body=body)
    got = s3.get_object(Bucket="locked-bucket", Key="k")

    assert got["Body"].read() == body and got["ETag"] == put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert s3.get_object(Bucket="locked-bucket", Key="k", Range="bytes=10-19")["Body"].read() == body[10:20]
    assert isinstance(stored_body("k"), _Body)


def test_object_lock_still_refuses_to_delete_a_locked_version(s3):
    version = s3.put_object(Bucket="locked-bucket", Key="k", Body=b"evidence", ObjectLockMode="COMPLIANCE",
                            ObjectLockRetainUntilDate="2099-01-01T00:00:00Z")["VersionId"]
    s3.put_object(Bucket="locked-bucket", Key="k", Body=b"second")

    with pytest.raises(ClientError, match="AccessDenied"):
        s3.delete_object(Bucket="locked-bucket", Key="k", VersionId=version)
    assert s3.get_object(Bucket="locked-bucket", Key="k", VersionId=version)["Body"].read() == b"evidence"
    assert s3.get_object(Bucket="locked-bucket", Key="k")["Body"].read() == b"second"


def test_a_body_past_the_spool_limit_goes_to_a_spooled_file_and_a_closed_body_refuses_reads():
    body = _Body(max_size=10)
    body.write(b"0123456789abc")
    body.seek(0)
    assert body.read() == b"0123456789abc" and body._file is not None

    small = _Body(max_size=100)
    small.write(b"abc")
    small.seek(0)
    small.truncate()
    small.write(b"xy")
    small.seek(0)
    assert small.read(1) == b"x" and small.read() == b"y"
    small.close()
    with pytest.raises(ValueError):
        small.read()


def test_a_compressible_body_is_kept_compressed_and_every_read_and_rewrite_sees_the_bytes_written(s3):
    evidence = b'{"event": "intake", "consumer": "tag-0123", "systems": ["demo-email", "demo-ads"]}' * 8
    put = s3.put_object(Bucket="locked-bucket", Key="e", Body=evidence)
    stored = stored_body("e")
    assert stored._packed and len(stored._data) < len(evidence) // 2
    assert s3.get_object(Bucket="locked-bucket", Key="e")["Body"].read() == evidence
    assert s3.get_object(Bucket="locked-bucket", Key="e", Range="bytes=5-24")["Body"].read() == evidence[5:25]
    assert s3.head_object(Bucket="locked-bucket", Key="e")["ContentLength"] == len(evidence)
    assert s3.get_object(Bucket="locked-bucket", Key="e")["ETag"] == put["ETag"]

    body = _Body(max_size=10_000)
    body.write(evidence)
    assert body.seek(0, 2) == len(evidence) and body.tell() == len(evidence)
    body.seek(10)
    body.truncate()
    body.write(b"!")
    body.seek(0)
    assert body.read() == evidence[:10] + b"!"
    random_bytes = os.urandom(300)  # does not compress: kept as it is
    body.seek(0)
    body.truncate()
    body.write(random_bytes)
    assert not body._packed and body.seek(0) == 0 and body.read() == random_bytes
