import base64
import json

import pytest

from ccpa_audit.local import static_site


def event(path, method="GET"):
    return {"rawPath": path, "requestContext": {"http": {"method": method, "path": path}}}


@pytest.fixture
def site(tmp_path):
    (tmp_path / "privacy" / "status").mkdir(parents=True)
    (tmp_path / "privacy" / "index.html").write_text("<h1>privacy</h1>")
    (tmp_path / "privacy" / "app.js").write_text("export {};")
    (tmp_path / "privacy" / "status" / "index.html").write_text("<h1>status</h1>")
    (tmp_path / "privacy" / ".hidden").write_text("secret")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "base.css").write_text("body{}")
    (tmp_path / "shared" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00")
    (tmp_path / "outside.txt").write_text("not served")
    (tmp_path / "privacy" / "link.txt").symlink_to(tmp_path / "outside.txt")
    return tmp_path


def serve(site, path, method="GET"):
    return static_site.handler(event(path, method), None, root=site)


def test_directory_path_serves_its_index_html_with_security_headers(site):
    response = serve(site, "/privacy/")
    assert response["statusCode"] == 200
    assert response["body"] == "<h1>privacy</h1>"
    headers = response["headers"]
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["strict-transport-security"].startswith("max-age=")
    assert headers["referrer-policy"] == "no-referrer"


def test_site_root_without_slash_redirects_to_the_folder(site):
    response = serve(site, "/privacy")
    assert response["statusCode"] == 301
    assert response["headers"]["location"] == "/privacy/"


def test_files_get_their_content_types_and_binary_files_are_base64(site):
    script = serve(site, "/privacy/app.js")
    assert script["headers"]["content-type"] == "text/javascript; charset=utf-8"
    assert serve(site, "/shared/base.css")["headers"]["content-type"] == "text/css; charset=utf-8"
    image = serve(site, "/shared/logo.png")
    assert image["isBase64Encoded"] is True
    assert base64.b64decode(image["body"]).startswith(b"\x89PNG")
    assert serve(site, "/privacy/status")["body"] == "<h1>status</h1>"


@pytest.mark.parametrize("path", [
    "/privacy/../outside.txt", "/privacy/%2e%2e/outside.txt", "/privacy/..%2Foutside.txt", "/privacy/.hidden",
    "/privacy/link.txt", "/privacy/missing.js", "/other/index.html", "/privacy/%00.html", "/privacy/..\\outside.txt",
])
def test_nothing_outside_a_site_folder_is_served_when_the_path_tries_to_escape(site, path):
    response = serve(site, path)
    assert response["statusCode"] == 404
    assert json.loads(response["body"])["error"] == "not_found"
    assert "not served" not in response["body"]


def test_a_browser_gets_a_not_found_page_instead_of_json(site):
    request = {**event("/privacy/missing.html"), "headers": {"Accept": "text/html,application/xhtml+xml"}}
    response = static_site.handler(request, None, root=site)
    assert response["statusCode"] == 404
    assert response["headers"]["content-type"].startswith("text/html")
    assert "Page not found" in response["body"] and "missing.html" not in response["body"]


def test_writes_are_refused_when_a_page_path_is_posted_to(site):
    response = serve(site, "/privacy/", method="POST")
    assert response["statusCode"] == 405
    assert response["headers"]["allow"] == "GET, HEAD"


def test_console_config_says_local_auth_when_served_locally(site):
    response = serve(site, "/console/config.json")
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"auth": "local"}


def test_the_repository_pages_are_served_from_web():
    response = static_site.handler(event("/privacy/"), None)
    assert response["statusCode"] == 200
    assert "Privacy" in response["body"]
    assert static_site.handler(event("/shared/api.js"), None)["statusCode"] == 200
