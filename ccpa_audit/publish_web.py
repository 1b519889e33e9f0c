"""`ccpa-audit publish-web --stack NAME`: after `sam deploy`, upload web/ to the stack's private site bucket, write
/console/config.json with the stack's Cognito settings, register the site's URL with the console's app client
(when the stack has no custom domain), and invalidate CloudFront so the new pages are served at once."""

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ccpa_audit.local.static_site import SITES, WEB_ROOT, content_type

CONFIG_KEY = "console/config.json"
OAUTH_SCOPES = ["openid", "email", "profile"]


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return {item["OutputKey"]: item["OutputValue"] for item in described.get("Outputs", [])}


def console_config(outputs: dict[str, str], region: str) -> dict[str, Any]:
    """What the console needs to sign in through the hosted UI (authorization code with PKCE, no secret)."""
    site = outputs["SiteUrl"].rstrip("/")
    return {
        "auth": "cognito",
        "region": region,
        "user_pool_id": outputs["UserPoolId"],
        "client_id": outputs["UserPoolClientId"],
        "auth_domain": outputs["AuthDomain"].rstrip("/"),
        "redirect_uri": f"{site}/console/",
        "logout_uri": f"{site}/console/",
        "scopes": OAUTH_SCOPES,
        "groups_claim": "cognito:groups",
    }


def site_files(root: Path = WEB_ROOT) -> Iterator[tuple[Path, str]]:
    """Every servable file under the site folders, with its bucket key (no dotfiles, nothing outside)."""
    for site in SITES:
        folder = root / site
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            key = path.relative_to(root).as_posix()
            if path.is_file() and not any(part.startswith(".") for part in key.split("/")):
                yield path, key


def upload(s3: Any, bucket: str, outputs: dict[str, str], region: str, root: Path = WEB_ROOT) -> list[str]:
    keys = []
    for path, key in site_files(root):
        if key == CONFIG_KEY:
            continue  # generated below from the stack's own settings
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=content_type(path),
                      CacheControl="no-cache")
        keys.append(key)
    config = json.dumps(console_config(outputs, region), indent=2).encode()
    s3.put_object(Bucket=bucket, Key=CONFIG_KEY, Body=config, ContentType="application/json",
                  CacheControl="no-store")
    return [*keys, CONFIG_KEY]


def register_site_url(cognito: Any, outputs: dict[str, str]) -> bool:
    """Adds the site's /console/ to the app client's callback and sign-out URLs, keeping the client's other
    settings (UpdateUserPoolClient resets whatever it is not given). False when already registered."""
    url = outputs["SiteUrl"].rstrip("/") + "/console/"
    client = cognito.describe_user_pool_client(UserPoolId=outputs["UserPoolId"],
                                               ClientId=outputs["UserPoolClientId"])["UserPoolClient"]
    if url in client.get("CallbackURLs", []) and url in client.get("LogoutURLs", []):
        return False
    kept = ("ClientName", "RefreshTokenValidity", "AccessTokenValidity", "IdTokenValidity", "TokenValidityUnits",
            "ReadAttributes", "WriteAttributes", "ExplicitAuthFlows", "SupportedIdentityProviders",
            "AllowedOAuthFlows", "AllowedOAuthScopes", "AllowedOAuthFlowsUserPoolClient",
            "PreventUserExistenceErrors", "EnableTokenRevocation", "AuthSessionValidity")
    settings = {name: client[name] for name in kept if name in client}
    cognito.update_user_pool_client(
        UserPoolId=outputs["UserPoolId"], ClientId=outputs["UserPoolClientId"], **settings,
        CallbackURLs=[u for u in client.get("CallbackURLs", []) if "localhost" not in u] + [url],
        LogoutURLs=[u for u in client.get("LogoutURLs", []) if "localhost" not in u] + [url],
    )
    return True


def invalidate(cloudfront: Any, distribution_id: str) -> str:
    batch = {"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": f"publish-web-{time.time_ns()}"}
    return str(cloudfront.create_invalidation(DistributionId=distribution_id, InvalidationBatch=batch)
               ["Invalidation"]["Id"])


def publish(stack: str, client: Any) -> int:
    """`client(service)` builds a boto3 client in the stack's region."""
    cloudformation = client("cloudformation")
    outputs = stack_outputs(cloudformation, stack)
    region = cloudformation.meta.region_name
    keys = upload(client("s3"), outputs["SiteBucketName"], outputs, region)
    print(f"uploaded {len(keys)} files to s3://{outputs['SiteBucketName']}/")
    if register_site_url(client("cognito-idp"), outputs):
        print(f"registered {outputs['SiteUrl']}/console/ as the console's sign-in callback")
    print(f"invalidation {invalidate(client('cloudfront'), outputs['SiteDistributionId'])} started")
    print(f"privacy center: {outputs['SiteUrl']}/privacy/  console: {outputs['SiteUrl']}/console/")
    return 0
