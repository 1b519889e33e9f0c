"""Object records share the default private ACL, and an object's own ACL still replaces it for that object only."""

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="bucket")
        yield client


def record(key):
    from moto.s3.models import s3_backends

    return s3_backends["123456789012"]["aws"].buckets["bucket"].keys[key]


def test_objects_with_the_default_acl_share_one_record_of_it(s3):
    s3.put_object(Bucket="bucket", Key="a", Body=b"1")
    s3.put_object(Bucket="bucket", Key="b", Body=b"2")

    assert record("a").acl is record("b").acl
    assert record("a")._transitions is record("b")._transitions
    grants = s3.get_object_acl(Bucket="bucket", Key="a")["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]


def uris(key, s3):
    return sorted(g["Grantee"].get("URI", "owner") for g in s3.get_object_acl(Bucket="bucket", Key=key)["Grants"])


def test_a_changed_acl_applies_to_its_object_only(s3):
    s3.put_object(Bucket="bucket", Key="a", Body=b"1")
    s3.put_object(Bucket="bucket", Key="b", Body=b"2", ACL="public-read")
    s3.put_object_acl(Bucket="bucket", Key="a", ACL="authenticated-read")
    s3.put_object(Bucket="bucket", Key="c", Body=b"3")

    assert uris("a", s3) == ["http://acs.amazonaws.com/groups/global/AuthenticatedUsers", "owner"]
    assert uris("b", s3) == ["http://acs.amazonaws.com/groups/global/AllUsers", "owner"]
    assert uris("c", s3) == ["owner"]
    assert record("a").acl is not record("c").acl


def test_a_copied_object_and_versions_read_back(s3):
    s3.put_bucket_versioning(Bucket="bucket", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="bucket", Key="a", Body=b"one")
    s3.put_object(Bucket="bucket", Key="a", Body=b"two")
    s3.copy_object(Bucket="bucket", Key="c", CopySource={"Bucket": "bucket", "Key": "a"})

    assert s3.get_object(Bucket="bucket", Key="c")["Body"].read() == b"two"
    assert len(s3.list_object_versions(Bucket="bucket", Prefix="a")["Versions"]) == 2


def test_fields_left_at_their_defaults_read_as_before_and_set_later_stay_with_their_object():
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="locked", ObjectLockEnabledForBucket=True)
        first = s3.put_object(Bucket="locked", Key="a", Body=b"1")["VersionId"]
        s3.put_object(Bucket="locked", Key="b", Body=b"2")
        s3.put_object_retention(Bucket="locked", Key="a", VersionId=first, Retention={
            "Mode": "COMPLIANCE", "RetainUntilDate": "2099-01-01T00:00:00Z"})

        assert s3.head_object(Bucket="locked", Key="a")["ObjectLockMode"] == "COMPLIANCE"
        assert "ObjectLockMode" not in s3.head_object(Bucket="locked", Key="b")
        with pytest.raises(ClientError, match="AccessDenied"):
            s3.delete_object(Bucket="locked", Key="a", VersionId=first)
        from moto.s3.models import s3_backends

        record = s3_backends["123456789012"]["aws"].buckets["locked"].keys["b"]
        assert "lock_mode" not in record.__dict__ and record.lock_mode is None and record.checksum_type is None
