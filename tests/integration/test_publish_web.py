"""`ccpa-audit publish-web` against moto: files with their content types, the console's Cognito settings, the
site's URL registered with the app client without losing its other settings, and a CloudFront invalidation."""

import json

import boto3
import pytest
from moto import mock_aws

from ccpa_audit import publish_web

REGION = "us-east-1"


@pytest.fixture
def aws():
    with mock_aws():
        yield lambda service: boto3.client(service, region_name=REGION)


@pytest.fixture
def outputs(aws):
    s3 = aws("s3")
    s3.create_bucket(Bucket="site-bucket")
    cognito = aws("cognito-idp")
    pool = cognito.create_user_pool(PoolName="staff")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="console", GenerateSecret=False, AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email", "profile"], AllowedOAuthFlowsUserPoolClient=True,
        SupportedIdentityProviders=["COGNITO"], CallbackURLs=["https://localhost/console/"],
        LogoutURLs=["https://localhost/console/"])["UserPoolClient"]["ClientId"]
    return {"SiteUrl": "https://d111.cloudfront.net", "SiteBucketName": "site-bucket", "SiteDistributionId": "E1",
            "UserPoolId": pool, "UserPoolClientId": client,
            "AuthDomain": "https://ccpa-audit-dev-123.auth.us-east-1.amazoncognito.com"}


def test_upload_puts_every_page_with_its_content_type_and_generates_the_console_config(aws, outputs, tmp_path):
    (tmp_path / "privacy").mkdir()
    (tmp_path / "privacy" / "index.html").write_text("<h1>hi</h1>")
    (tmp_path / "privacy" / ".draft").write_text("no")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "api.js").write_text("export {};")
    (tmp_path / "console").mkdir()
    (tmp_path / "console" / "config.json").write_text('{"auth": "local"}')
    (tmp_path / "notes.txt").write_text("outside every site folder")
    keys = publish_web.upload(aws("s3"), "site-bucket", outputs, REGION, root=tmp_path)
    assert sorted(keys) == ["console/config.json", "privacy/index.html", "shared/api.js"]
    s3 = aws("s3")
    page = s3.get_object(Bucket="site-bucket", Key="privacy/index.html")
    assert page["ContentType"] == "text/html; charset=utf-8" and page["CacheControl"] == "no-cache"
    assert s3.head_object(Bucket="site-bucket", Key="shared/api.js")["ContentType"].startswith("text/javascript")
    config = json.loads(s3.get_object(Bucket="site-bucket", Key="console/config.json")["Body"].read())
    assert config == {
        "auth": "cognito", "region": REGION, "user_pool_id": outputs["UserPoolId"],
        "client_id": outputs["UserPoolClientId"], "auth_domain": outputs["AuthDomain"],
        "redirect_uri": "https://d111.cloudfront.net/console/", "logout_uri": "https://d111.cloudfront.net/console/",
        "scopes": ["openid", "email", "profile"], "groups_claim": "cognito:groups"}


def test_the_repository_web_folder_is_what_gets_uploaded():
    keys = {key for _, key in publish_web.site_files()}
    assert {"privacy/index.html", "privacy/status.html", "shared/api.js", "shared/base.css"} <= keys
    assert all(key.split("/")[0] in ("privacy", "console", "shared") for key in keys)


def test_site_url_is_registered_once_and_the_client_keeps_its_oauth_settings(aws, outputs):
    cognito = aws("cognito-idp")
    assert publish_web.register_site_url(cognito, outputs) is True
    client = cognito.describe_user_pool_client(UserPoolId=outputs["UserPoolId"],
                                               ClientId=outputs["UserPoolClientId"])["UserPoolClient"]
    assert client["CallbackURLs"] == ["https://d111.cloudfront.net/console/"]
    assert client["LogoutURLs"] == ["https://d111.cloudfront.net/console/"]
    assert client["AllowedOAuthFlows"] == ["code"] and client["AllowedOAuthFlowsUserPoolClient"] is True
    assert set(client["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    assert publish_web.register_site_url(cognito, outputs) is False


def test_publish_reads_the_stack_outputs_uploads_and_invalidates(outputs, capsys):
    class Calls:
        def __init__(self, real):
            self.real = real
            self.invalidations = []

        def __call__(self, service):
            if service == "cloudformation":
                return FakeCloudFormation(outputs)
            if service == "cloudfront":
                return FakeCloudFront(self.invalidations)
            return self.real(service)

    calls = Calls(lambda service: boto3.client(service, region_name=REGION))
    assert publish_web.publish("ccpa-audit", calls) == 0
    assert calls.invalidations == [("E1", ["/*"])]
    printed = capsys.readouterr().out
    assert "https://d111.cloudfront.net/privacy/" in printed and "registered" in printed
    s3 = boto3.client("s3", region_name=REGION)
    assert s3.head_object(Bucket="site-bucket", Key="privacy/index.html")["ContentLength"] > 0


class FakeCloudFormation:
    def __init__(self, outputs):
        self.outputs = outputs
        self.meta = type("Meta", (), {"region_name": REGION})()

    def describe_stacks(self, StackName):  # noqa: N803  (boto3's keyword)
        items = [{"OutputKey": key, "OutputValue": value} for key, value in self.outputs.items()]
        return {"Stacks": [{"StackName": StackName, "Outputs": items}]}


class FakeCloudFront:
    def __init__(self, record):
        self.record = record

    def create_invalidation(self, DistributionId, InvalidationBatch):  # noqa: N803
        self.record.append((DistributionId, InvalidationBatch["Paths"]["Items"]))
        return {"Invalidation": {"Id": "I1"}}
