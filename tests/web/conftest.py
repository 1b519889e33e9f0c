"""Browser tests: `ccpa-audit local` started as a user starts it, Debian's Chromium driven by Playwright, pages
found by their accessible names, axe-core injected from the npm lockfile, screenshots kept for a person to look at.

Fixtures: `stack` (base URL, one per session), `api` (JSON over HTTP against it), `browser`, `open_page` (a fresh
context per page, optional width, headers and init script), `page` (1280 px), `axe` (serious and critical
violations of a page) and `screenshot` (PNG under tests/web/screenshots/)."""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ccpa_audit.local.runtime import free_port

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).parent / "screenshots"
CLI = Path(sys.executable).parent / "ccpa-audit"
WIDE, NARROW = 1280, 390
BLOCKING_IMPACTS = ("serious", "critical")


@pytest.fixture(scope="session")
def stack():
    """One local stack for every browser test; its console output goes to a file so it can never block."""
    port = free_port()
    env = {**os.environ, "PORT": str(port)}
    for key in [key for key in env if key.startswith(("AWS_", "POWERTOOLS_"))]:
        env.pop(key)
    log = tempfile.NamedTemporaryFile(prefix="ccpa-audit-web-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen([str(CLI), "local"], env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    output = ""
    while time.monotonic() < deadline:
        output = Path(log.name).read_text(errors="replace")
        if "ready" in output:
            break
        if process.poll() is not None:
            pytest.fail("ccpa-audit local exited early:\n" + output)
        time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("ccpa-audit local never printed ready:\n" + output)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()
    Path(log.name).unlink(missing_ok=True)


@pytest.fixture(scope="session")
def api(stack):
    """`api(method, path, body=None, token=None, headers=None) -> (status, parsed JSON body or None)`."""

    def call(method, path, body=None, token=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(stack + path, method=method, data=data)  # noqa: S310  the local stack
        request.add_header("content-type", "application/json")
        if token:
            request.add_header("authorization", f"Bearer {token}")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            raw, status = error.read(), error.code
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    return call


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect

    # A request that lands on a cold function container takes seconds on a busy machine, as on Lambda.
    expect.set_options(timeout=20_000)
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does this on CI)")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make install` (npm ci from tests/web/package-lock.json)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # launch() gives every run a fresh temporary profile (user-data dir), removed on close.
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser, stack):
    """A page in a fresh context: `open_page(path=None, width=1280, headers=None, init_script=None)`."""
    contexts = []

    def make(path=None, width=WIDE, headers=None, init_script=None, **context_options):
        context = browser.new_context(base_url=stack, viewport={"width": width, "height": 900},
                                      extra_http_headers=headers or {}, **context_options)
        context.set_default_timeout(20_000)
        if init_script:
            context.add_init_script(init_script)
        contexts.append(context)
        page = context.new_page()
        # Uncaught exceptions and CSP refusals (logged to the console) for tests to assert on: `page.errors`.
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.on("console", lambda message: page.errors.append(message.text)
                if "Content Security Policy" in message.text else None)
        if path is not None:
            page.goto(path)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page):
    return open_page()


def inject_axe(page):
    """add_script_tag inlines the file, which the pages' CSP (no inline scripts) refuses; then the same source is
    evaluated through the DevTools protocol, which CSP does not govern. The pages' own CSP stays on."""
    from playwright.sync_api import Error

    seen = len(getattr(page, "errors", []))
    try:
        page.add_script_tag(path=str(AXE))
    except Error as error:
        if "Content Security Policy" not in str(error):
            raise
        page.evaluate(AXE.read_text() + "\n;undefined")
        page.wait_for_timeout(50)  # the refusal's console message arrives asynchronously
        if hasattr(page, "errors"):
            del page.errors[seen:]  # the test's own refused tag is not the page's fault


def axe_violations(page, impacts=BLOCKING_IMPACTS):
    """axe-core's WCAG 2.1 A/AA rules on the page as it is now; the violations at the given impacts."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        inject_axe(page)
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', "
        "'best-practice']}, resultTypes: ['violations']})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "targets": [node["target"] for node in v["nodes"]][:5]}
        for v in result["violations"] if v["impact"] in impacts
    ]


@pytest.fixture
def axe():
    """`axe(page)` fails the test with the serious or critical violations it finds, listed."""

    def check(page):
        found = axe_violations(page)
        assert found == [], json.dumps(found, indent=2)

    return check


@pytest.fixture
def screenshot():
    """`screenshot(page, name)` writes tests/web/screenshots/<name>.png (the whole page) and returns the path."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(page, name):
        path = SCREENSHOTS / (re.sub(r"[^a-z0-9_-]+", "-", name.lower()) + ".png")
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture(scope="session")
def honor(api):
    """`honor(request_id)`: an opt-out (or limit) reaches honored through the local demo systems: demo-email and
    demo-ads confirm on their own, demo-vendor is manual and is confirmed here through the API."""

    def record(request_id):
        return api("GET", f"/requests/{request_id}", token="local-analyst")[1]

    def wait_for(request_id, done, what):
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            current = record(request_id)
            if done(current):
                return current
            time.sleep(0.5)
        pytest.fail(f"{what} never happened: {current}")

    def run(request_id):
        wait_for(request_id, lambda r: {d["system_id"]: d["status"] for d in r["downstream"]}.get("demo-vendor")
                 == "instructed", "the manual system's instruction")
        status, body = api("POST", f"/requests/{request_id}/actions", {
            "action": "confirm_system", "system_id": "demo-vendor", "evidence": "Vendor ticket 4411: suppressed"},
            token="local-analyst")
        assert status == 200, body
        return wait_for(request_id, lambda r: r["status"] == "honored", "honored")

    return run
