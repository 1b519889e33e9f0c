"""S3 server access logs arrive as files of many records (moto's own records), not one object per request."""

import json

import pytest

from ccpa_audit.local import emulator_s3_access_logs
from tests.local.conftest import versioned_bucket


@pytest.fixture
def s3(emulated_s3):
    client = emulated_s3
    versioned_bucket(client, "log-files")
    client.put_bucket_policy(Bucket="log-files", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::log-files/*"}]}))
    client.create_bucket(Bucket="evidence")
    client.put_bucket_logging(Bucket="evidence", BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "log-files", "TargetPrefix": "evidence/"}})
    return client


def log_files(s3):
    versions = s3.list_object_versions(Bucket="log-files").get("Versions", [])
    return [s3.get_object(Bucket="log-files", Key=v["Key"], VersionId=v["VersionId"])["Body"].read().decode()
            for v in versions]


def test_records_are_gathered_into_one_file_per_batch(s3, monkeypatch):
    monkeypatch.setattr(emulator_s3_access_logs, "DELIVERY_SECONDS", 3600.0)
    per_file = emulator_s3_access_logs.RECORDS_PER_FILE
    for n in range(per_file - 1):
        s3.put_object(Bucket="evidence", Key=f"k{n}", Body=b"x")
    assert log_files(s3) == []  # nothing delivered yet: one record short of a file

    s3.get_object(Bucket="evidence", Key="k0")
    (delivered,) = log_files(s3)
    lines = delivered.splitlines()
    assert len(lines) == per_file
    assert sum("REST.PUT" in line for line in lines) == per_file - 1 and "REST.GET" in lines[-1]
    assert s3.list_objects_v2(Bucket="log-files")["Contents"][0]["Key"].startswith("evidence/")


def test_waiting_records_are_delivered_once_the_oldest_has_waited_long_enough(s3, monkeypatch):
    monkeypatch.setattr(emulator_s3_access_logs, "DELIVERY_SECONDS", 3600.0)
    s3.put_object(Bucket="evidence", Key="a", Body=b"x")
    s3.put_object(Bucket="evidence", Key="b", Body=b"x")
    assert log_files(s3) == []

    monkeypatch.setattr(emulator_s3_access_logs, "DELIVERY_SECONDS", 0.0)
    s3.head_object(Bucket="evidence", Key="a")

    (delivered,) = log_files(s3)
    assert len(delivered.splitlines()) == 3
    assert s3.get_object(Bucket="evidence", Key="b")["Body"].read() == b"x"  # the logged bucket is untouched
