"""The privacy center in Chromium, through accessible names only (API.md, web pages v2)."""


def test_privacy_center_loads_without_serious_accessibility_violations_when_opened(open_page, axe, screenshot):
    page = open_page("/privacy/")
    assert page.get_by_role("heading", name="Privacy center").is_visible()
    axe(page)
    screenshot(page, "privacy-center")
    assert page.errors == []
