"""template.yaml's web serving: a private site bucket behind CloudFront with origin access control, the API on the
same origin, the security headers `ccpa-audit local` sends, and Cognito for the console's sign-in."""

import json
import re
import subprocess

import pytest

from ccpa_audit.local import static_site
from ccpa_audit.local.resources import load_template

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
ROLES = {"agent", "analyst", "auditor", "service", "admin"}


@pytest.fixture(scope="module")
def resources():
    return load_template()["Resources"]


@pytest.fixture(scope="module")
def distribution(resources):
    return resources["SiteDistribution"]["Properties"]["DistributionConfig"]


def props(resources, logical_id):
    return resources[logical_id]["Properties"]


def test_site_bucket_is_private_encrypted_and_versioned(resources):
    bucket = props(resources, "SiteBucket")
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert rule["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert bucket["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced"
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"
    assert "WebsiteConfiguration" not in bucket  # never an S3 website endpoint (those are public)


def test_site_bucket_is_readable_only_by_this_distribution_and_only_over_tls(resources):
    statements = props(resources, "SiteBucketPolicy")["PolicyDocument"]["Statement"]
    deny = next(s for s in statements if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and deny["Action"] == "s3:*"
    [allow] = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    source = allow["Condition"]["StringEquals"]["AWS:SourceArn"]
    assert "${SiteDistribution}" in json.dumps(source)


def test_distribution_reads_the_bucket_through_origin_access_control(resources, distribution):
    origins = {origin["Id"]: origin for origin in distribution["Origins"]}
    site = origins["site"]
    assert site["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    assert site["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert site["DomainName"] == {"Fn::GetAtt": ["SiteBucket", "RegionalDomainName"]}
    control = props(resources, "SiteOriginAccessControl")["OriginAccessControlConfig"]
    assert (control["OriginAccessControlOriginType"], control["SigningBehavior"]) == ("s3", "always")
    api = origins["api"]
    assert "${HttpApi}.execute-api" in json.dumps(api["DomainName"])
    assert api["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"


def test_api_paths_go_to_the_http_api_uncached_with_the_viewer_headers(distribution):
    default = distribution["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == "api"
    assert {"POST", "PUT", "DELETE"} <= set(default["AllowedMethods"])
    assert default["CachePolicyId"] == CACHING_DISABLED
    # Authorization, Sec-GPC and Idempotency-Key must reach the API; Host must stay API Gateway's own.
    assert default["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST
    assert default["ViewerProtocolPolicy"] == "https-only"


def test_page_paths_go_to_the_bucket_with_the_path_function(distribution):
    behaviours = {b["PathPattern"]: b for b in distribution["CacheBehaviors"]}
    assert set(behaviours) == {f"/{site}*" for site in static_site.SITES}
    for behaviour in behaviours.values():
        assert behaviour["TargetOriginId"] == "site"
        assert behaviour["AllowedMethods"] == ["GET", "HEAD"]
        assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
        assert behaviour["CachePolicyId"] == CACHING_OPTIMIZED and behaviour["Compress"] is True
        [association] = behaviour["FunctionAssociations"]
        assert association["EventType"] == "viewer-request"
        assert association["FunctionARN"]["Fn::GetAtt"][0] == "SitePathFunction"


def test_every_response_gets_the_security_headers_policy(distribution):
    for behaviour in [distribution["DefaultCacheBehavior"], *distribution["CacheBehaviors"]]:
        assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "SiteSecurityHeadersPolicy"}


def test_cloudfront_sends_the_same_security_headers_as_the_local_site(resources):
    config = props(resources, "SiteSecurityHeadersPolicy")["ResponseHeadersPolicyConfig"]
    security = config["SecurityHeadersConfig"]
    policy = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    csp = re.sub(r"\s+", " ", policy["Fn::Sub"] if isinstance(policy, dict) else policy).strip()
    cognito = " https://${ConsoleUserPoolDomain}.auth.${AWS::Region}.amazoncognito.com"
    assert f"connect-src 'self'{cognito};" in csp  # the console's code exchange, and no other origin
    assert csp.replace(cognito, "") == static_site.CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    hsts = security["StrictTransportSecurity"]
    local = static_site.SECURITY_HEADERS
    assert local["strict-transport-security"] == f"max-age={hsts['AccessControlMaxAgeSec']}; includeSubDomains"
    assert hsts["IncludeSubdomains"] is True and hsts["AccessControlMaxAgeSec"] >= 31536000
    assert security["ContentTypeOptions"]["Override"] is True and local["x-content-type-options"] == "nosniff"
    assert security["FrameOptions"]["FrameOption"] == local["x-frame-options"] == "DENY"
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == local["referrer-policy"]
    custom = {item["Header"].lower(): item["Value"] for item in config["CustomHeadersConfig"]["Items"]}
    assert custom == {name: local[name] for name in ("permissions-policy", "cross-origin-opener-policy")}
    assert all(item["Override"] for item in config["CustomHeadersConfig"]["Items"])


def run_path_function(code, uri):
    script = code + f"\nconsole.log(JSON.stringify(handler({{request: {{uri: {json.dumps(uri)}}}}})));"
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30, check=True)  # noqa: S607
    return json.loads(result.stdout)


@pytest.mark.parametrize(("uri", "expected"), [
    ("/privacy/", {"uri": "/privacy/index.html"}),
    ("/console/", {"uri": "/console/index.html"}),
    ("/privacy/status.html", {"uri": "/privacy/status.html"}),
    ("/shared/api.js", {"uri": "/shared/api.js"}),
])
def test_path_function_serves_index_html_for_folders(resources, uri, expected):
    assert run_path_function(props(resources, "SitePathFunction")["FunctionCode"], uri) == expected


@pytest.mark.parametrize("uri", ["/privacy", "/console"])
def test_path_function_redirects_a_bare_site_name_to_its_folder(resources, uri):
    out = run_path_function(props(resources, "SitePathFunction")["FunctionCode"], uri)
    assert out["statusCode"] == 301 and out["headers"]["location"]["value"] == uri + "/"


def test_path_function_runs_on_the_cloudfront_js_2_runtime(resources):
    function = props(resources, "SitePathFunction")
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0" and function["AutoPublish"] is True


def test_staff_user_pool_is_invite_only_with_mfa_and_the_five_role_groups(resources):
    pool = props(resources, "ConsoleUserPool")
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["MfaConfiguration"] == "ON"
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    groups = {p["Properties"]["GroupName"] for p in resources.values() if p["Type"] == "AWS::Cognito::UserPoolGroup"}
    assert groups == ROLES
    for resource in resources.values():
        if resource["Type"] == "AWS::Cognito::UserPoolGroup":
            assert resource["Properties"]["UserPoolId"] == {"Ref": "ConsoleUserPool"}


def test_console_client_uses_the_code_flow_without_a_secret(resources):
    client = props(resources, "ConsoleUserPoolClient")
    assert client["GenerateSecret"] is False  # a browser app cannot keep one: PKCE protects the code instead
    assert client["AllowedOAuthFlows"] == ["code"] and client["AllowedOAuthFlowsUserPoolClient"] is True
    assert "openid" in client["AllowedOAuthScopes"]
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    assert client["PreventUserExistenceErrors"] == "ENABLED" and client["EnableTokenRevocation"] is True
    assert "/console/" in json.dumps(client["CallbackURLs"])
    domain = props(resources, "ConsoleUserPoolDomain")
    assert domain["UserPoolId"] == {"Ref": "ConsoleUserPool"}


def test_outputs_tell_publish_web_and_operators_where_the_site_is():
    outputs = load_template()["Outputs"]
    assert {"SiteUrl", "SiteBucketName", "SiteDistributionId", "UserPoolId", "UserPoolClientId",
            "AuthDomain"} <= set(outputs)


def test_public_status_route_has_no_authorizer(resources):
    events = props(resources, "IntakeFunction")["Events"]
    [status] = [e["Properties"] for e in events.values() if e["Properties"]["Path"] == "/status/{token}"]
    assert status["Method"] == "GET" and status["Auth"] == {"Authorizer": "NONE"}
