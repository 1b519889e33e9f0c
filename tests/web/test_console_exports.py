"""Exports and metrics in Chromium: `Export` with progress, `Download bundle` verified offline by `ccpa-audit
verify`, the session's export list, and the metrics chart and `Download CSV`."""

import hashlib
import re
import subprocess
import urllib.request

from playwright.sync_api import expect

from tests.web.conftest import CLI
from tests.web.console_helpers import new_request, sign_in, unique_email


def download_and_verify(page, tmp_path):
    link = page.get_by_role("link", name="Download bundle")
    expect(link).to_be_visible(timeout=60_000)
    sha = page.locator(".sha code").inner_text().strip()
    bundle = tmp_path / "bundle.zip"
    with urllib.request.urlopen(link.get_attribute("href"), timeout=60) as response:  # noqa: S310  the local emulator
        bundle.write_bytes(response.read())
    assert hashlib.sha256(bundle.read_bytes()).hexdigest() == sha
    result = subprocess.run([str(CLI), "verify", str(bundle)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return sha


def test_export_on_a_request_page_gives_a_bundle_that_ccpa_audit_verify_accepts(open_page, api, tmp_path):
    created = new_request(api, "delete", days_ago=2)
    page = sign_in(open_page, "auditor", route=f"#/requests/{created['request_id']}")
    page.get_by_role("button", name="Export").click()
    sha = download_and_verify(page, tmp_path)
    assert re.fullmatch(r"[0-9a-f]{64}", sha)


def test_export_from_search_results_and_the_exports_page_are_listed_for_the_session(open_page, api, tmp_path):
    email = unique_email("export")
    new_request(api, "know", days_ago=3, email=email)
    page = sign_in(open_page, "analyst")
    page.get_by_label("Consumer email").fill(email)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name="Export").click()
    download_and_verify(page, tmp_path)
    page.get_by_role("link", name="Exports", exact=True).click()
    # The requests page has its own "Consumer email"; fill only once the exports form has replaced it.
    expect(page.get_by_role("form", name="Start an export")).to_be_visible()
    page.get_by_role("form", name="Start an export").get_by_label("Consumer email").fill(email)
    page.get_by_role("button", name="Export").click()
    download_and_verify(page, tmp_path)
    listed = page.get_by_role("region", name="Exports started in this session (table)")
    expect(listed.get_by_role("row")).to_have_count(3)  # the header and two exports, newest first
    expect(listed).to_contain_text(f"consumer {email}")
    expect(listed.get_by_role("row").nth(1)).to_contain_text("ready")


def test_an_export_with_no_scope_is_refused_at_the_form_without_calling_the_api(open_page):
    page = sign_in(open_page, "auditor", route="#/exports")
    page.get_by_role("button", name="Export").click()
    expect(page.get_by_role("alert")).to_contain_text("Give at least one of")


def test_metrics_show_the_year_with_a_named_chart_and_download_csv(open_page, api, tmp_path):
    new_request(api, "opt_out_sale_sharing", days_ago=1)
    page = sign_in(open_page, "auditor", route="#/metrics")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Metrics")
    chart = page.get_by_role("img", name=re.compile(r"Requests in \d{4} by type and outcome"))
    expect(chart).to_be_visible()
    assert chart.evaluate("node => node.tagName") == "svg"
    figures = page.get_by_role("region", name=re.compile(r"The 7102 figures for \d{4} \(table\)"))
    expect(figures).to_contain_text("Opt-out of sale or sharing")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert re.fullmatch(r"ccpa-metrics-\d{4}\.csv", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    lines = saved.read_text().splitlines()
    assert lines[0].startswith("year,request_type,received")
    assert any(",opt_out_sale_sharing," in line for line in lines)
    page.get_by_label("Year").select_option(str(int(lines[1][:4]) - 1))
    page.get_by_role("button", name="Show year").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(str(int(lines[1][:4]) - 1))


def test_a_large_export_shows_its_progress_until_the_bundle_is_ready(open_page, api):
    """A queued build (202) as the API answers it for large scopes; the answers are scripted so each step shows."""
    created = new_request(api, "delete")
    answers = iter([
        {"export_id": "exp-large", "status": "building", "progress": {"done": 1200, "total": 4000}},
        {"export_id": "exp-large", "status": "ready", "progress": {"done": 4000, "total": 4000}, "event_count": 4000,
         "url": "https://bundles.example/exp-large.zip", "sha256": "ab" * 32, "expires_at": "2026-12-01T18:00:00Z"},
    ])
    page = sign_in(open_page, "auditor", route=f"#/requests/{created['request_id']}")
    page.route("**/exports", lambda route: route.fulfill(status=202, json={
        "export_id": "exp-large", "status": "building", "progress": {"done": 0, "total": 4000}}))
    page.route("**/exports/exp-large", lambda route: route.fulfill(json=next(answers)))
    page.get_by_role("button", name="Export").click()
    expect(page.get_by_text("Building the bundle: 0 of 4000 events")).to_be_visible()
    expect(page.get_by_role("progressbar")).to_be_visible()
    expect(page.get_by_text("Building the bundle: 1200 of 4000 events")).to_be_visible()
    expect(page.get_by_role("link", name="Download bundle")).to_have_attribute("href", "https://bundles.example/exp-large.zip")
    expect(page.get_by_text("ab" * 32)).to_be_visible()
