"""Browser stories for the signed-in web: a member signs in with Slack, sets a weekly tip
on /me, sees it in chat and in the CSV; the same person signs in with Discord and is the
same member; a forged form without the CSRF token changes nothing. Chromium, for real."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot.invocation import Invocation, UserRef
from tests.browser.conftest import SigninSite, screenshot
from tests.browser.contrast import low_contrast

pytestmark = pytest.mark.slow


def discord_says(site, user: str, name: str, text: str, *, admin: bool = False) -> str:
    """A command from the community's Discord server (the Discord adapter's own tests cover its wire)."""
    reply = site.runtime.bot.handle(Invocation(platform="discord", space_id="G1", user=UserRef(user, name),
                                               text=text, is_admin=admin))
    assert reply.ok, reply.text
    return reply.text


def test_a_member_signs_in_with_slack_sets_a_weekly_tip_and_sees_it_in_chat_and_the_csv(
        signin_site: SigninSite, page, request) -> None:
    site = signin_site
    site.slash("receive on", user="U1", user_name="alice")
    site.slash("receive on", user="U2", user_name="bob")
    site.slash("admin credit <@U1> 10", user="UADMIN", user_name="admin")

    page.goto(f"{site.url}/me/")
    assert page.url.endswith("/me/signin")
    screenshot(page, f"me-signin-{request.node.callspec.id}")
    page.get_by_role("link", name="Sign in with Slack").click()
    page.wait_for_url(f"{site.url}/me/")
    assert page.get_by_role("heading", level=1).inner_text() == "Your tips, alice"
    screenshot(page, f"me-dashboard-{request.node.callspec.id}")

    page.get_by_label("Member").select_option(label="bob")
    page.get_by_label("Amount (USD)").fill("1.50")
    page.get_by_label("Note (optional)").fill("for the docs")
    page.get_by_role("button", name="Tip", exact=True).click()
    page.wait_for_url(f"{site.url}/me/?community=*")
    assert "You now tip bob $1.50 a week" in page.get_by_role("status").inner_text()
    screenshot(page, f"me-weekly-tip-set-{request.node.callspec.id}")
    assert low_contrast(page) == []  # the dashboard, with its flash

    assert "bob: $1.50 a week" in site.slash("list", user="U1", user_name="alice")  # chat lists it
    site.slash("admin payday now", user="UADMIN", user_name="admin")  # the tip is paid: a transfer in the CSV
    page.reload()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download your history as CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert [(row["kind"], row["amount"], row["other"]) for row in rows if row["kind"] == "tip"] == [
        ("tip", "-1.50", "bob")]
    page.goto(f"{site.url}/me/history")
    screenshot(page, f"me-history-{request.node.callspec.id}")


def test_the_same_person_signs_in_with_discord_and_is_the_same_member(signin_site: SigninSite, page, request) -> None:
    site = signin_site
    site.slash("receive on", user="U1", user_name="alice")
    site.slash("receive on", user="U2", user_name="bob")
    site.slash("<@U2> 2", user="U1", user_name="alice")
    invite = site.slash("admin invite", user="UADMIN", user_name="admin").split("`")[1]
    discord_says(site, "2002", "modmin", f"admin join {invite}", admin=True)
    code = site.slash("link", user="U1", user_name="alice").split("`")[1]
    discord_says(site, "1001", "alice-on-discord", f"link {code}")

    page.goto(f"{site.url}/me/signin")
    page.get_by_role("link", name="Sign in with Discord").click()
    page.wait_for_url(f"{site.url}/me/")
    assert page.get_by_role("heading", level=1).inner_text() == "Your tips, alice"
    assert "$2.00" in page.get_by_role("region", name="You tip every week").inner_text()
    screenshot(page, f"me-discord-same-member-{request.node.callspec.id}")
    assert [call["scope"] for call in site.oauth.of("discord.authorize")] == ["identify"]


def test_a_forged_form_without_the_csrf_token_changes_nothing(signin_site: SigninSite, page, request) -> None:
    site = signin_site
    site.slash("receive on", user="U1", user_name="alice")
    site.slash("receive on", user="U2", user_name="bob")
    page.goto(f"{site.url}/me/signin")
    page.get_by_role("link", name="Sign in with Slack").click()
    page.wait_for_url(f"{site.url}/me/")
    bob = page.get_by_label("Member").locator("option", has_text="bob").get_attribute("value")
    before = site.tables()
    # A page elsewhere builds a form that posts to /me/tip: the browser sends alice's cookie,
    # but the form can't know her CSRF token.
    # wait for the navigation the submit starts: wait_for_load_state() alone may return at once,
    # while the signed-in page is still the one loaded.
    with page.expect_navigation(url=f"{site.url}/me/tip"):
        page.evaluate("""bob => {
            const form = document.createElement('form');
            form.method = 'post'; form.action = '/me/tip';
            for (const [name, value] of [['recipient', bob], ['amount', '50'], ['key', 'forged-form-key-123456']]) {
                const input = document.createElement('input');
                input.type = 'hidden'; input.name = name; input.value = value; form.appendChild(input);
            }
            document.body.appendChild(form); form.submit();
        }""", bob)
    assert page.get_by_role("heading", level=1).inner_text() == "Forbidden"
    screenshot(page, f"me-forged-post-refused-{request.node.callspec.id}")
    assert site.tables() == before
