"""Shared steps of the notice and consent tests: publishing, recording, reading lock dates from HeadObject, and
watching every retention our code sends."""

from datetime import UTC, datetime, timedelta

import boto3

from shared import wiring

NOTICE = {"notice_id": "privacy-policy", "version": "2026.1", "title": "Privacy Policy",
          "url": "https://example.com/privacy", "text": "We sell personal information to advertisers."}
EMAIL = "cam@example.com"


def iso(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def publish(intake, **changes):
    return intake("POST", "/notices", {**NOTICE, **changes}, token="local-admin")


def consent(intake, token="local-agent", email=EMAIL, **changes):
    body = {"consumer": {"email": email}, "purpose": "sale_sharing", "decision": "opt_in",
            "initiated_by": "consumer", "age_band": "16_plus", "method": "web_form",
            "notice": {"notice_id": NOTICE["notice_id"], "version": NOTICE["version"]}, **changes}
    return intake("POST", "/consents", body, token=token)


def decision(intake, purpose="sale_sharing", email=EMAIL, token="local-service"):
    status, out, _ = intake("GET", f"/consents/decision?consumer_email={email}&purpose={purpose}", token=token)
    assert status == 200, out
    return out


def stored_event(event_id):
    event = wiring.ledger().index.find_event(event_id)
    assert event is not None, event_id
    return event


def retained_until(event_id):
    """The COMPLIANCE retain-until of the event's object version, from HeadObject (the only moto source)."""
    event = stored_event(event_id)
    head = boto3.client("s3", region_name="us-east-1").head_object(
        Bucket=wiring.ledger().settings.evidence_bucket, Key=event.s3_key, VersionId=event.s3_version_id)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    return head["ObjectLockRetainUntilDate"].astimezone(UTC)


def evidence_keys(stack):
    s3 = boto3.client("s3", region_name="us-east-1")
    versions = s3.list_object_versions(Bucket=stack.env["EVIDENCE_BUCKET"]).get("Versions", [])
    return sorted(v["Key"] for v in versions)


def events_of_type(ddb, stack, event_type):
    response = ddb.query(TableName=stack.env["INDEX_TABLE"], IndexName="ByKind",
                         KeyConditionExpression="kind_pk = :pk",
                         ExpressionAttributeValues={":pk": {"S": f"T#{event_type}"}})
    return response["Items"]


class RetentionWatch:
    """Sees every PutObjectRetention our code sends and checks it against the lock already on the object: moto
    would accept a shortened COMPLIANCE lock that real S3 refuses, so the test is the oracle."""

    def __init__(self):
        self.sent = []
        self.head = boto3.client("s3", region_name="us-east-1")
        wiring.aws_client("s3").meta.events.register("provide-client-params.s3.PutObjectRetention", self)

    def __call__(self, params, **kwargs):
        current = self.head.head_object(Bucket=params["Bucket"], Key=params["Key"],
                                        VersionId=params["VersionId"])["ObjectLockRetainUntilDate"]
        wanted = params["Retention"]["RetainUntilDate"]
        assert params["Retention"]["Mode"] == "COMPLIANCE"
        assert wanted > current, f"shortening or no-op retention sent for {params['Key']}"
        assert wanted >= datetime.now(UTC) + timedelta(days=729), "below the bucket policy's floor"
        self.sent.append((params["Key"], current, wanted))
