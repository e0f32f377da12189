"""Signing in to /me: Slack OpenID Connect and Discord OAuth2 against mock providers on
127.0.0.1, through the real app; state and nonce checked; unknown identities get nothing."""

from __future__ import annotations

import pytest

from bot.compose import build_runtime
from bot.web import build_app
from bot.webme.session import SessionNotConfigured
from tests.bot.webme.support import say, signin_settings

pytestmark = pytest.mark.anyio


async def test_slack_signin_maps_the_openid_identity_to_the_member(web):
    say(web.runtime, "slack", "T1", "U1", "alice", "receive on")
    response = await web.me.signin("slack")
    assert response.status_code == 303 and response.headers["location"] == "/me/"
    page = await web.me.page()
    assert "Your tips, alice" in page
    authorize = web.mock.of("slack.authorize")[0]
    assert authorize["scope"] == "openid profile" and authorize["nonce"] and authorize["state"]
    assert authorize["redirect_uri"] == "http://testserver/me/signin/slack/callback"


async def test_the_session_cookie_is_signed_httponly_lax_and_scoped_to_me(web):
    say(web.runtime, "slack", "T1", "U1", "alice", "receive on")
    response = await web.me.signin("slack")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/me" in cookie
    assert "secure" not in cookie  # the public URL is http here
    name, value = response.headers["set-cookie"].split(";")[0].split("=", 1)
    web.me.http.cookies.set(name, value[:-4] + "AAAA")  # tampered: the signature no longer matches
    assert (await web.me.http.get("/me/")).headers["location"] == "/me/signin"


async def test_cookies_are_secure_behind_https(mock_oauth, ledger, db_url):
    import httpx

    runtime = build_runtime(signin_settings(db_url, mock_oauth, public_url="https://tips.example"),
                            ledger=ledger, platforms={}, funding={})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_app(runtime)),
                                 base_url="https://tips.example") as http:
        start = await http.get("/me/signin/slack")
    assert "secure" in start.headers["set-cookie"].lower()
    assert "redirect_uri=https%3A%2F%2Ftips.example%2Fme%2Fsignin%2Fslack%2Fcallback" in start.headers["location"]


async def test_a_callback_with_a_state_this_browser_did_not_start_is_refused(web):
    say(web.runtime, "slack", "T1", "U1", "alice", "receive on")
    response = await web.me.signin("slack", state="forged-state")
    assert response.status_code == 400 and "state" in response.text
    assert not web.mock.of("slack.token")  # the code was never even exchanged
    assert (await web.me.http.get("/me/")).headers["location"] == "/me/signin"


async def test_a_callback_without_a_started_signin_is_refused(web):
    response = await web.me.http.get("/me/signin/discord/callback?code=abc&state=abc")
    assert response.status_code == 400 and "not started from this browser" in response.text


async def test_an_id_token_with_another_nonce_is_refused(web, monkeypatch):
    say(web.runtime, "slack", "T1", "U1", "alice", "receive on")
    import tests.bot.webme.mock_oauth as mock_module

    real = mock_module.unsigned_jwt
    monkeypatch.setattr(mock_module, "unsigned_jwt", lambda claims: real({**claims, "nonce": "replayed"}))
    response = await web.me.signin("slack")
    assert response.status_code == 400 and "nonce" in response.text
    assert (await web.me.http.get("/me/")).headers["location"] == "/me/signin"


async def test_an_unknown_identity_gets_a_clear_page_and_nothing_is_created(web):
    say(web.runtime, "slack", "T1", "U1", "alice", "receive on")
    web.mock.slack_user = ("U404", "T1", "stranger")
    before = web.tables()
    response = await web.me.signin("slack")
    assert response.status_code == 403
    assert "has not used Tipbot" in response.text and "Nothing was created" in response.text
    assert web.tables() == before
    assert (await web.me.http.get("/me/")).headers["location"] == "/me/signin"


async def test_a_slack_user_of_another_workspace_is_not_a_member_here(web):
    say(web.runtime, "slack", "T1", "U1", "alice", "receive on")
    web.mock.slack_user = ("U1", "T2", "alice elsewhere")  # the same user id, another workspace
    response = await web.me.signin("slack")
    assert response.status_code == 403


async def test_the_same_person_signs_in_with_discord_and_is_the_same_member(web):
    rt = web.runtime
    say(rt, "slack", "T1", "UADMIN", "admin", "receive on", admin=True)
    invite = say(rt, "slack", "T1", "UADMIN", "admin", "admin invite", admin=True).text.split("`")[1]
    say(rt, "discord", "G1", "2002", "modmin", f"admin join {invite}", admin=True)
    say(rt, "slack", "T1", "U1", "alice", "receive on")
    say(rt, "slack", "T1", "UADMIN", "admin", "admin credit <@U1> 20", admin=True)
    code = say(rt, "slack", "T1", "U1", "alice", "link").text.split("`")[1]
    say(rt, "discord", "G1", "1001", "alice-d", f"link {code}")

    await web.me.signin("slack")
    slack_page = await web.me.page()
    other = web.client()
    await other.signin("discord")
    discord_page = await other.page()
    for page in (slack_page, discord_page):
        assert "Your tips, alice" in page and "$20.00" in page
    assert web.mock.of("discord.authorize")[0]["scope"] == "identify"


async def test_signin_needs_a_session_secret(mock_oauth, ledger, db_url):
    runtime = build_runtime(signin_settings(db_url, mock_oauth, session_secret=None), ledger=ledger,
                            platforms={}, funding={})
    with pytest.raises(SessionNotConfigured, match="TIPBOT_SESSION_SECRET"):
        build_app(runtime)


async def test_without_signin_settings_there_is_no_me(mock_oauth, ledger, db_url):
    import httpx

    runtime = build_runtime(signin_settings(db_url, mock_oauth, slack_signin_client_id=None,
                                            discord_signin_client_id=None, session_secret=None),
                            ledger=ledger, platforms={}, funding={})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_app(runtime)),
                                 base_url="http://testserver") as http:
        assert (await http.get("/me/")).status_code == 404


async def test_tipbot_run_refuses_to_start_signin_without_a_session_secret(mock_oauth, ledger, db_url, caplog):
    from bot.cli_run import serve

    runtime = build_runtime(signin_settings(db_url, mock_oauth, session_secret="too-short", port=0), ledger=ledger,
                            platforms={}, funding={})
    assert await serve(runtime) == 1
    assert "TIPBOT_SESSION_SECRET" in caplog.text and "too-short" not in caplog.text


async def test_a_discord_user_in_two_communities_picks_one_and_acts_only_there(web):
    say(web.runtime, "discord", "G1", "1001", "alice", "receive on")
    say(web.runtime, "discord", "G2", "1001", "alice", "receive on")
    say(web.runtime, "discord", "G2", "3003", "carol", "receive on")
    await web.me.signin("discord")
    first = await web.me.page()
    assert "Your communities" in first and "discord:G1" in first and "discord:G2" in first
    ids = web.runtime.ledger.read(lambda b: [b.space("discord", g).community_id for g in ("G1", "G2")])
    assert "Nobody else in your community" in first  # G1 has nobody else
    second = await web.me.page(f"/me/?community={ids[1]}")
    assert ">carol</option>" in second
