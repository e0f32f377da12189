"""`/tip` through signed HTTP into the real Bolt app, answered via the response URL."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest

from tests.adapters.slack.conftest import TEAM, SlackHarness, harness, sign, slash_payload
from tests.dbs import dump_tables

pytestmark = pytest.mark.anyio


def weekly_tip_minor(ledger, tipper: str, tippee: str, team: str = TEAM) -> int | None:
    """The current weekly tip between two Slack users, read through the ledger API."""
    def read(book):
        space = book.space("slack", team)
        if space is None:
            return None
        a, b = book.find_member(space, tipper), book.find_member(space, tippee)
        if a is None or b is None:
            return None
        row = book.current_tip(a.id, b.id)
        return None if row is None else row.weekly_amount_minor

    return ledger.read(read)


async def test_tip_sets_weekly_tip_and_replies(slack: SlackHarness) -> None:
    reply = await slack.tip("<@U2|aclark4life> 1")

    assert weekly_tip_minor(slack.ledger, "U1", "U2") == 100
    assert reply["response_type"] == "ephemeral"
    assert "<@U2>" in reply["text"] and "$1.00 a week" in reply["text"]
    assert reply["blocks"][0]["type"] == "section"
    # the member named in the mention got the name from the mention
    name = slack.ledger.read(lambda b: b.find_member(b.space("slack", TEAM), "U2").display_name)
    assert name == "aclark4life"


async def test_mention_without_name_gets_name_from_users_info(slack: SlackHarness) -> None:
    slack.mock.users["U3"] = {"name": "Jane Roe"}
    await slack.tip("<@U3> 2")

    assert weekly_tip_minor(slack.ledger, "U1", "U3") == 200
    name = slack.ledger.read(lambda b: b.find_member(b.space("slack", TEAM), "U3").display_name)
    assert name == "Jane Roe"
    assert any(c.args["user"] == "U3" for c in slack.mock.of("users.info"))


async def test_forged_signature_is_401_and_changes_nothing(slack: SlackHarness) -> None:
    before = dump_tables(slack.ledger.engine)
    body = urlencode(slash_payload(slack.mock, "<@U2|bob> 1"))
    forged = sign(body, secret="not-the-signing-secret")
    response = await slack.http.post("/slack/events", content=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", **forged})

    assert response.status_code == 401
    assert dump_tables(slack.ledger.engine) == before
    assert slack.mock.of("response_url") == []


async def test_tampered_body_is_401(slack: SlackHarness) -> None:
    before = dump_tables(slack.ledger.engine)
    body = urlencode(slash_payload(slack.mock, "<@U2|bob> 1"))
    headers = sign(body)
    tampered = body.replace("bob%3E+1", "bob%3E+99")
    response = await slack.http.post("/slack/events", content=tampered, headers={
        "Content-Type": "application/x-www-form-urlencoded", **headers})

    assert response.status_code == 401
    assert dump_tables(slack.ledger.engine) == before


@pytest.mark.clock  # also run at fixed moments (.ci/run)
async def test_timestamp_older_than_five_minutes_is_401_and_changes_nothing(slack: SlackHarness) -> None:
    before = dump_tables(slack.ledger.engine)
    body = urlencode(slash_payload(slack.mock, "<@U2|bob> 1"))
    stale = sign(body, timestamp=int(time.time()) - 5 * 60 - 30)  # correctly signed, but replayable
    response = await slack.http.post("/slack/events", content=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", **stale})

    assert response.status_code == 401
    assert dump_tables(slack.ledger.engine) == before
    assert slack.mock.of("response_url") == []


async def test_same_trigger_id_is_applied_once(slack: SlackHarness) -> None:
    slack.mock.users["UADMIN"] = {"is_admin": True}
    await slack.tip("admin credit <@U1|alice> 10", user="UADMIN", user_name="treasurer")
    await slack.tip("receive on", user="U2", user_name="bob")

    first = await slack.tip("<@U2|bob> 3 once", trigger_id="42.1700000000.same")
    state = dump_tables(slack.ledger.engine)
    again = await slack.tip("<@U2|bob> 3 once", trigger_id="42.1700000000.same")

    assert "Already recorded" in again["text"]
    assert dump_tables(slack.ledger.engine) == state
    balances = slack.ledger.read(lambda b: {
        uid: b.balance(b.find_member(b.space("slack", TEAM), uid).id).amount_minor for uid in ("U1", "U2")})
    assert balances == {"U1": 700, "U2": 300}
    assert "$3.00" in first["text"]
    # the recipient's notice went out once, for the first request only
    dms = [c for c in slack.mock.of("chat.postMessage") if c.args["channel"] == "DU2"]
    assert len(dms) == 1 and "one-off tip of $3.00" in dms[0].args["text"]


async def test_admin_command_from_non_admin_is_refused(slack: SlackHarness) -> None:
    slack.mock.users["U1"] = {"is_admin": False, "is_owner": False}
    await slack.tip("<@U2|bob> 1")  # creates the space and members
    before = dump_tables(slack.ledger.engine)

    reply = await slack.tip("admin credit <@U2|bob> 50")

    assert reply["response_type"] == "ephemeral"
    assert "admin" in reply["text"].lower()
    assert dump_tables(slack.ledger.engine) == before
    assert any(c.args["user"] == "U1" for c in slack.mock.of("users.info"))


async def test_workspace_owner_is_admin(slack: SlackHarness) -> None:
    slack.mock.users["UOWN"] = {"is_owner": True}
    reply = await slack.tip("admin credit <@U2|bob> 50", user="UOWN")

    assert "$50.00" in reply["text"]
    balance = slack.ledger.read(lambda b: b.balance(b.find_member(b.space("slack", TEAM), "U2").id))
    assert balance.amount_minor == 5000


async def test_bare_at_name_gets_how_to_mention(slack: SlackHarness) -> None:
    before = dump_tables(slack.ledger.engine)
    reply = await slack.tip("@bob 1")

    assert "mention" in reply["text"].lower()
    assert dump_tables(slack.ledger.engine) == before


async def test_note_cannot_ping_the_channel(slack: SlackHarness) -> None:
    slack.mock.users["UADMIN"] = {"is_admin": True}
    await slack.tip("admin credit <@U1|alice> 10", user="UADMIN")
    await slack.tip("receive on", user="U2", user_name="bob")
    reply = await slack.tip("<@U2|bob> 1 once thanks <!channel>")

    rendered = reply["text"] + str(reply["blocks"])
    assert "<!channel>" not in rendered
    assert "&lt;!channel&gt;" in rendered


async def test_ack_comes_before_the_work(mock_slack, ledger) -> None:
    """Production mode (process_before_response off): Slack gets its 200 at once, the reply follows."""
    h = await harness(mock_slack, ledger, process_before_response=False)
    try:
        response = await h.slash("<@U2|bob> 1")
        assert response.status_code == 200
        assert response.text == ""  # the ack: empty, ephemeral reply follows on the response URL
        replies = await mock_slack.wait_for("response_url", 1)
        assert "$1.00 a week" in replies[0].args["text"]
        assert weekly_tip_minor(ledger, "U1", "U2") == 100
    finally:
        await h.close()


async def test_healthz(slack: SlackHarness) -> None:
    response = await slack.http.get("/healthz")
    assert response.status_code == 200 and response.json() == {"ok": True}


async def test_admin_lookup_is_cached_then_refreshed_after_its_ttl(slack: SlackHarness) -> None:
    users = slack.runtime.platforms["slack"].app(slack.runtime).users
    slack.mock.users["UA"] = {"is_admin": True}
    await slack.tip("admin credit <@U2|bob> 1", user="UA")
    await slack.tip("admin credit <@U2|bob> 1", user="UA")
    assert len([c for c in slack.mock.of("users.info") if c.args["user"] == "UA"]) == 1  # cached

    slack.mock.users["UA"] = {"is_admin": False}  # demoted in Slack
    users.ttl_seconds = 0  # as if the TTL had passed: every entry is stale
    before = dump_tables(slack.ledger.engine)
    refused = await slack.tip("admin credit <@U2|bob> 1", user="UA")

    assert "admin" in refused["text"].lower()
    assert dump_tables(slack.ledger.engine) == before


async def test_stopping_waits_for_replies_in_flight(mock_slack, ledger) -> None:
    """Production mode: the ack is sent at once; stopping the platform right after still lets
    the committed command's reply go out before the connection pool closes."""
    h = await harness(mock_slack, ledger, process_before_response=False)
    platform = h.runtime.platforms["slack"]
    try:
        response = await h.slash("<@U2|bob> 1")
        assert response.status_code == 200 and mock_slack.of("response_url") == []
        await platform.stop()
        (reply,) = mock_slack.of("response_url")
        assert "$1.00 a week" in reply.args["text"]
    finally:
        await h.http.aclose()


async def test_history_csv_is_uploaded_to_the_members_direct_messages(slack: SlackHarness) -> None:
    """`/tip history csv`: the file goes through Slack's upload steps into a DM, the reply says so."""
    import csv
    import io

    await slack.tip("<@U2|bob> 1")
    with slack.ledger.begin() as book:  # some money moved: a credit by hand (manual mode)
        space = book.space("slack", TEAM)
        alice = book.find_member(space, "U1")
        from ledger.money import Money
        book.credit(alice.id, Money(500, "USD"), note="dues", by_admin=True)

    reply = await slack.tip("history csv")

    assert reply["response_type"] == "ephemeral" and "direct messages" in reply["text"]
    assert [c.args["users"] for c in slack.mock.of("conversations.open")][-1] == "U1"
    [asked] = slack.mock.of("files.getUploadURLExternal")
    assert asked.args["filename"].endswith(".csv")
    [upload] = slack.mock.of("upload")
    rows = list(csv.DictReader(io.StringIO(upload.args["bytes"].decode("utf-8"), newline="")))
    assert [(r["kind"], r["amount"], r["note"]) for r in rows] == [("credit", "5.00", "dues")]
    [completed] = slack.mock.of("files.completeUploadExternal")
    assert completed.args["channel_id"] == "DU1"  # the DM the mock opened for U1
