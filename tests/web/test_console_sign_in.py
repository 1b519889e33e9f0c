"""Signing in on AWS: the Cognito hosted UI with the authorization code and PKCE. A stand-in for the hosted UI on
the page's own origin answers the authorize redirect and the token exchange, so the console's side is real."""

import base64
import hashlib
import json
from urllib.parse import parse_qs, urlencode, urlsplit

from playwright.sync_api import expect

FAKE = "/fake-cognito"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims: dict) -> str:
    return ".".join([b64url(b'{"alg":"none"}'), b64url(json.dumps(claims).encode()), "sig"])


def test_cognito_sign_in_uses_pkce_and_takes_the_role_from_the_groups_claim(open_page, stack):
    page = open_page(None)
    seen = {}
    config = {"auth": "cognito", "client_id": "console-client", "auth_domain": stack + FAKE,
              "redirect_uri": stack + "/console/", "logout_uri": stack + "/console/", "scopes": ["openid", "email"],
              "groups_claim": "cognito:groups"}
    page.route("**/console/config.json", lambda route: route.fulfill(json=config))

    def authorize(route):
        query = parse_qs(urlsplit(route.request.url).query)
        seen["authorize"] = query
        target = f"{stack}/console/?{urlencode({'code': 'the-code', 'state': query['state'][0]})}"
        route.fulfill(status=302, headers={"location": target})

    def token(route):
        seen["token"] = parse_qs(route.request.post_data)
        claims = {"cognito:groups": ["auditor"], "email": "dpo@example.com", "token_use": "access"}
        route.fulfill(json={"access_token": jwt(claims), "id_token": jwt(claims), "expires_in": 3600, "token_type": "Bearer"})

    page.route(f"**{FAKE}/oauth2/authorize*", authorize)
    page.route(f"**{FAKE}/oauth2/token", token)
    # The local API knows only local tokens: the test swaps the JWT for the same role's local token on the way out.
    page.route("**/requests*", lambda route: route.continue_(
        headers={**route.request.headers, "authorization": "Bearer local-auditor"}))
    page.goto("/console/")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Console")).to_be_visible()
    expect(page.get_by_text("dpo@example.com · auditor")).to_be_visible()
    sent = seen["authorize"]
    assert sent["response_type"] == ["code"] and sent["client_id"] == ["console-client"]
    assert sent["code_challenge_method"] == ["S256"] and sent["scope"] == ["openid email"]
    verifier = seen["token"]["code_verifier"][0]
    assert sent["code_challenge"] == [b64url(hashlib.sha256(verifier.encode()).digest())]
    assert seen["token"]["code"] == ["the-code"] and seen["token"]["grant_type"] == ["authorization_code"]
    assert "code=" not in page.url  # the code does not linger in the address bar
    assert page.evaluate("() => window.localStorage.length") == 0
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)


def test_a_returned_state_that_does_not_match_is_refused_in_plain_words(open_page, stack):
    page = open_page(None)
    config = {"auth": "cognito", "client_id": "console-client", "auth_domain": stack + FAKE}
    page.route("**/console/config.json", lambda route: route.fulfill(json=config))
    page.goto("/console/?code=stolen&state=forged")
    expect(page.get_by_text("That sign-in link is stale. Please sign in again.")).to_be_visible()
    expect(page.get_by_role("navigation", name="Console")).to_be_hidden()
