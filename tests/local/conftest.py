"""Shared set-up of the emulator tests: moto in-process with the local stack's corrections applied."""

import boto3
import pytest
from moto import mock_aws

from ccpa_audit.local import emulator_fixes


@pytest.fixture
def emulated_s3():
    emulator_fixes.apply()
    with mock_aws():
        yield boto3.client("s3", region_name="us-east-1")


def versioned_bucket(client, name: str) -> None:
    client.create_bucket(Bucket=name)
    client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
