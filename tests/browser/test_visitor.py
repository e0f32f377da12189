"""A visitor reads a public community in a real browser, follows its links to a member and
a project, by mouse and by keyboard, every text on them readable (WCAG AA contrast); a
private community is 404."""

from __future__ import annotations

import re

from tests.browser.conftest import WebServer, screenshot
from tests.browser.contrast import low_contrast

COMMUNITY = """
treasurer: /tip admin credit @alice 100
bob: /tip receive on
bob: /tip profile public
alice: /tip @bob 2.50
bob: /tip project add pillow
bob: /tip project pillow packages pypi:pillow
alice: /tip pillow 3
"""


def test_a_visitor_reads_a_public_community_and_follows_its_links(web_server: WebServer, page, request) -> None:
    web_server.console.script(COMMUNITY + "treasurer: /tip admin web public\n")
    answer = page.goto(f"{web_server.url}/c/test")
    assert answer is not None and answer.status == 200
    tag = request.node.callspec.id
    screenshot(page, f"community-{tag}")
    assert low_contrast(page) == []
    for landmark in ("banner", "navigation", "main", "contentinfo"):
        assert page.get_by_role(landmark).count() >= 1, landmark
    assert page.get_by_role("heading", name="test", level=1).is_visible()
    assert page.get_by_text("$5.50", exact=True).is_visible()  # given each week
    chart = page.get_by_role("img", name=re.compile("Bar chart"))
    assert chart.evaluate("img => img.complete && img.naturalWidth > 0")

    # The keyboard: the first Tab reaches the skip link, and Tab alone reaches bob's link.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to the content"
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == "/c/test/@bob":
            break
    else:
        raise AssertionError("Tab never reached bob's link")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{web_server.url}/c/test/@bob")
    screenshot(page, f"member-{tag}")
    assert low_contrast(page) == []
    assert page.get_by_role("heading", name="bob", level=1).is_visible()
    assert page.get_by_text("$2.50 a week").is_visible()
    assert page.get_by_text("/tip @bob 1").is_visible()
    assert page.get_by_role("img", name="tips badge for bob").evaluate("img => img.naturalWidth > 0")

    page.get_by_role("link", name="pillow").click()
    page.wait_for_url(f"{web_server.url}/c/test/projects/pillow")
    screenshot(page, f"project-{tag}")
    assert low_contrast(page) == []
    assert page.get_by_role("heading", name="pillow", level=1).is_visible()
    assert page.get_by_text("pypi:pillow").is_visible()
    assert page.get_by_role("link", name="bob").is_visible()


def test_a_private_community_is_404_in_the_browser(web_server: WebServer, page, request) -> None:
    web_server.console.script(COMMUNITY)
    answer = page.goto(f"{web_server.url}/c/test")
    assert answer is not None and answer.status == 404
    screenshot(page, f"private-{request.node.callspec.id}")
    assert page.get_by_role("heading", name="Not found").is_visible()
    assert "bob" not in page.content()
    assert page.goto(f"{web_server.url}/c/test/@bob").status == 404
