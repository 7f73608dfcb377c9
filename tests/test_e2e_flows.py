"""What only a real browser shows (Debian's headless Chromium, see tests/test_e2e_browser.py
for the set-up and its pitfalls): Streamlit's toolbar. Users of the app are viewers: no
"Deploy" button and no developer options in the menu (``client.toolbarMode = "viewer"`` in
.streamlit/config.toml, read by ``streamlit run`` from the project folder)."""

from __future__ import annotations

import pytest

from tests.helpers.streamlit_browser import StreamlitPage

pytestmark = pytest.mark.slow

DEVELOPER_ITEMS = ("Deploy", "Clear cache", "Developer options")


def test_the_toolbar_offers_no_deploy_button_and_no_developer_options(open_browser, app_server, tmp_path):
    from playwright.sync_api import expect

    context, blocked = open_browser()
    page = StreamlitPage(context.new_page(), app_server.url).open()
    toolbar = page.page.get_by_test_id("stToolbar")
    toolbar.wait_for(state="attached", timeout=page.timeout_ms)
    expect(page.page.get_by_test_id("stAppDeployButton")).to_have_count(0)
    expect(page.page.get_by_role("button", name="Deploy")).to_have_count(0)

    menu = page.page.get_by_test_id("stMainMenu")
    if menu.count():  # the viewer's menu (rerun, settings, print) may stay
        menu.get_by_role("button").first.click()
        items = page.page.get_by_test_id("stMainMenuList")
        items.wait_for(timeout=page.timeout_ms)
        shown = items.inner_text()
        page.screenshot(tmp_path / "menu.png")
        assert not [item for item in DEVELOPER_ITEMS if item in shown], shown
    assert not page.exceptions()
    assert not blocked, blocked
