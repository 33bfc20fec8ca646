"""The harness itself: JavaScript errors on a page make assert_healthy fail."""

import pytest

from tests.browser.harness import assert_healthy, open_app


def test_js_errors_are_collected_and_fail_the_health_check(page, app_url):
    open_app(page, app_url)
    assert_healthy(page)

    with page.expect_event("pageerror"):
        page.evaluate("setTimeout(() => { throw new Error('uncaught boom'); })")
    with page.expect_console_message(lambda message: message.type == "error"):
        page.evaluate("console.error('logged boom')")

    assert any("uncaught boom" in error for error in page.js_errors)
    assert any("logged boom" in error for error in page.js_errors)
    with pytest.raises(AssertionError, match="JavaScript errors"):
        assert_healthy(page)
