"""Many workspaces: the OAuth install stores each workspace's bot token in Tipbot's
database (slack_sdk's SQLAlchemy stores), and each workspace is a space of its own
community, served with its own token."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from adapters.slack.app import SCOPES
from tests.adapters.slack.conftest import SlackHarness, harness
from tests.adapters.slack.test_slash_command import weekly_tip_minor
from tests.dbs import dump_tables

pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore:BasicAuth is deprecated")]

CLIENT_ID = "1111.2222"


@pytest.fixture
async def multi(mock_slack, ledger):
    h = await harness(mock_slack, ledger, slack_bot_token=None, slack_client_id=CLIENT_ID,
                      slack_client_secret="client-secret")
    yield h
    await h.close()


async def install(h: SlackHarness, team_id: str, team_name: str) -> None:
    """Click "Add to Slack", approve, come back to the redirect URL: what an admin does."""
    h.mock.oauth_team = (team_id, team_name)
    page = await h.http.get("/slack/install")
    assert page.status_code == 200
    link = re.search(r'href="(https://slack.com/oauth/v2/authorize\?[^"]+)"', page.text)
    assert link, page.text
    query = parse_qs(urlparse(link.group(1).replace("&amp;", "&")).query)
    assert query["client_id"] == [CLIENT_ID] and set(query["scope"][0].split(",")) == set(SCOPES)
    state = query["state"][0]
    cookie = page.headers["set-cookie"].split(";")[0]  # Secure cookie: httpx won't resend it over http

    done = await h.http.get("/slack/oauth_redirect", params={"code": f"code-{team_id}", "state": state},
                            headers={"Cookie": cookie})
    assert done.status_code == 200, done.text


async def test_oauth_install_stores_the_workspace(multi: SlackHarness) -> None:
    await install(multi, "T2", "Second Workspace")

    (access,) = multi.mock.of("oauth.v2.access")
    assert access.args["code"] == "code-T2"
    store = multi.runtime.platforms["slack"].app(multi.runtime).installation_store
    bot = await store.async_find_bot(enterprise_id=None, team_id="T2")
    assert bot is not None and bot.bot_token == "xoxb-T2" and bot.team_name == "Second Workspace"


async def test_redirect_with_a_forged_state_installs_nothing(multi: SlackHarness) -> None:
    before = dump_tables(multi.ledger.engine)
    done = await multi.http.get("/slack/oauth_redirect", params={"code": "code-T2", "state": "forged"},
                                headers={"Cookie": "slack-app-oauth-state=forged"})
    assert done.status_code in (400, 401)
    assert multi.mock.of("oauth.v2.access") == []
    assert dump_tables(multi.ledger.engine) == before


async def test_state_is_used_once(multi: SlackHarness) -> None:
    page = await multi.http.get("/slack/install")
    state = re.search(r"state=([\w-]+)", page.text).group(1)
    cookie = page.headers["set-cookie"].split(";")[0]
    first = await multi.http.get("/slack/oauth_redirect", params={"code": "c1", "state": state},
                                 headers={"Cookie": cookie})
    replay = await multi.http.get("/slack/oauth_redirect", params={"code": "c2", "state": state},
                                  headers={"Cookie": cookie})
    assert first.status_code == 200 and replay.status_code in (400, 401)
    assert len(multi.mock.of("oauth.v2.access")) == 1


async def test_two_workspaces_work_independently(multi: SlackHarness) -> None:
    await install(multi, "T1", "First")
    await install(multi, "T2", "Second")
    multi.mock.users["UA"] = {"is_admin": True}

    await multi.tip("admin credit <@U1|alice> 10", user="UA", team="T1")
    one = await multi.tip("<@U2|bob> 1", team="T1")
    two = await multi.tip("<@U2|bob> 4", team="T2")  # the same user ids, another workspace

    assert "$1.00 a week" in one["text"] and "$4.00 a week" in two["text"]
    assert weekly_tip_minor(multi.ledger, "U1", "U2", team="T1") == 100
    assert weekly_tip_minor(multi.ledger, "U1", "U2", team="T2") == 400

    def communities(book):
        s1, s2 = book.space("slack", "T1"), book.space("slack", "T2")
        b1 = book.balance(book.find_member(s1, "U1").id).amount_minor
        b2 = book.balance(book.find_member(s2, "U1").id).amount_minor
        return s1.community_id, s2.community_id, b1, b2

    c1, c2, balance1, balance2 = multi.ledger.read(communities)
    assert c1 != c2 and (balance1, balance2) == (1000, 0)
    # each workspace's calls carried its own bot token
    assert {c.token for c in multi.mock.of("users.info")} == {"xoxb-T1", "xoxb-T2"}


async def test_workspace_that_never_installed_is_not_served(multi: SlackHarness) -> None:
    before = dump_tables(multi.ledger.engine)
    response = await multi.slash("<@U2|bob> 1", team="T9")

    assert response.status_code == 200  # Bolt acks, and no listener runs without an installation
    assert multi.mock.of("users.info") == []
    (told,) = multi.mock.of("response_url")
    assert "not installed" in told.args["text"] and "http://testserver/slack/install" in told.args["text"]
    assert dump_tables(multi.ledger.engine) == before


async def test_uninstall_forgets_the_workspace_token(multi: SlackHarness) -> None:
    import json

    from tests.adapters.slack.conftest import event_payload

    await install(multi, "T2", "Second")
    store = multi.runtime.platforms["slack"].app(multi.runtime).installation_store
    assert await store.async_find_bot(enterprise_id=None, team_id="T2") is not None

    body = json.dumps(event_payload({"type": "app_uninstalled", "event_ts": "1700000000.3"}, team="T2",
                                    event_id="EvUninstall"))
    response = await multi.post_signed(body, content_type="application/json")

    assert response.status_code == 200
    assert await store.async_find_bot(enterprise_id=None, team_id="T2") is None
