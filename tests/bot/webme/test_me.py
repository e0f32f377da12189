"""/me for a signed-in member: every write is a bot command with a CSRF token and an
idempotency key; names and notes are escaped; nobody acts as another member."""

from __future__ import annotations

import csv
import io

import pytest

from tests.bot.webme.support import forms, say

pytestmark = pytest.mark.anyio

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


def weekly_tips(runtime, tipper: str) -> list[tuple[str, int]]:
    def op(book):
        space = book.space("slack", "T1")
        member = book.find_member(space, tipper)
        return [(line.other_name, line.weekly_amount_minor) for line in book.tips_given(member.id)]

    return runtime.ledger.read(op)


def pick(form, name: str) -> str:
    """The value of the member called `name` in the form's recipient list."""
    return next(value for value, label in form.selects["recipient"] if label == name)


async def signed_in_alice(web, *others: tuple[str, str]) -> None:
    say(web.runtime, "slack", "T1", "U1", "alice", "receive on")
    for user, name in others:
        say(web.runtime, "slack", "T1", user, name, "receive on")
    await web.me.signin("slack")


async def test_a_weekly_tip_set_from_me_is_the_same_as_from_chat(web):
    await signed_in_alice(web, ("U2", "bob"))
    form = await web.me.form("/me/tip")
    assert form.selects["recipient"] == [(form.selects["recipient"][0][0], "bob")]
    response = await web.me.post("/me/tip", {**form.fields, "recipient": form.selects["recipient"][0][0],
                                             "amount": "1.50", "note": "thanks"})
    assert response.status_code == 303
    page = await web.me.page(response.headers["location"])
    assert "You now tip bob $1.50 a week" in page
    assert weekly_tips(web.runtime, "U1") == [("bob", 150)]
    chat = say(web.runtime, "slack", "T1", "U1", "alice", "list")
    assert "bob: $1.50 a week" in chat.text


async def test_change_and_end_a_weekly_tip(web):
    await signed_in_alice(web, ("U2", "bob"))
    say(web.runtime, "slack", "T1", "U1", "alice", "<@U2> 1")
    change = await web.me.form("/me/tip")  # the first /me/tip form: bob's row
    assert change.fields["amount"] == "1.00"
    await web.me.post("/me/tip", {**change.fields, "amount": "2"})
    assert weekly_tips(web.runtime, "U1") == [("bob", 200)]
    end = (await web.me.form("/me/tip", which=1))
    assert end.fields["amount"] == "0"
    response = await web.me.post("/me/tip", end.fields)
    assert "You ended your weekly tip to bob" in await web.me.page(response.headers["location"])
    assert weekly_tips(web.runtime, "U1") == []


async def test_a_one_off_tip_from_me(web):
    await signed_in_alice(web, ("U2", "bob"))
    say(web.runtime, "slack", "T1", "UADMIN", "admin", "admin credit <@U1> 10", admin=True)
    form = await web.me.form("/me/tip", which=0)
    response = await web.me.post("/me/tip", {**form.fields, "recipient": pick(form, "bob"), "amount": "3",
                                             "once": "1"})
    page = await web.me.page(response.headers["location"])
    assert "You gave bob $3.00 as a one-off tip" in page and "$7.00" in page


async def test_a_form_sent_twice_applies_once(web):
    await signed_in_alice(web, ("U2", "bob"))
    say(web.runtime, "slack", "T1", "UADMIN", "admin", "admin credit <@U1> 10", admin=True)
    form = await web.me.form("/me/tip")
    fields = {**form.fields, "recipient": pick(form, "bob"), "amount": "2", "once": "1"}
    await web.me.post("/me/tip", fields)
    before = web.tables()
    again = await web.me.post("/me/tip", fields)  # the same form again: a double click, the back button
    assert "Already recorded" in await web.me.page(again.headers["location"])
    assert web.tables() == before
    assert "$8.00" in await web.me.page()


async def test_a_forged_post_without_or_with_a_wrong_csrf_token_changes_nothing(web):
    await signed_in_alice(web, ("U2", "bob"))
    form = await web.me.form("/me/tip")
    fields = {**form.fields, "recipient": form.selects["recipient"][0][0], "amount": "5"}
    before = web.tables()
    for forged in ({k: v for k, v in fields.items() if k != "csrf"}, {**fields, "csrf": "x" * 43}):
        response = await web.me.post("/me/tip", forged)
        assert response.status_code == 403 and "nothing changed" in response.text
        privacy = await web.me.post("/me/privacy", {**forged, "public": "1"})
        assert privacy.status_code == 403
    # another member's valid token is not alice's
    say(web.runtime, "slack", "T1", "U2", "bob", "list")
    bob = web.client()
    web.mock.slack_user = ("U2", "T1", "bob")
    await bob.signin("slack")
    bobs = await bob.form("/me/privacy")
    response = await web.me.post("/me/tip", {**fields, "csrf": bobs.fields["csrf"]})
    assert response.status_code == 403
    assert web.tables() == before


async def test_a_post_without_a_session_changes_nothing(web):
    await signed_in_alice(web, ("U2", "bob"))
    form = await web.me.form("/me/tip")
    before = web.tables()
    stranger = web.client()
    response = await stranger.post("/me/tip", {**form.fields, "recipient": form.selects["recipient"][0][0],
                                               "amount": "5"})
    assert response.status_code == 403
    assert web.tables() == before


async def test_nobody_acts_as_another_member(web):
    """The member comes from the session: a form naming someone else's id, or another
    community, never acts as them; a recipient outside my community is refused."""
    await signed_in_alice(web, ("U2", "bob"))
    say(web.runtime, "slack", "T9", "U9", "mallory", "receive on")  # another workspace, another community
    mallory_id = web.runtime.ledger.read(lambda b: b.find_member(b.space("slack", "T9"), "U9").id)
    form = await web.me.form("/me/tip")
    before = web.tables()
    response = await web.me.post("/me/tip", {**form.fields, "recipient": str(mallory_id), "amount": "1"})
    assert response.status_code == 400 and "Pick a member of your community" in response.text
    assert web.tables() == before
    # fields naming someone else (another community, a member id, a user id) are ignored:
    # the tip is alice's, in her community
    response = await web.me.post("/me/tip", {**form.fields, "recipient": pick(form, "bob"), "amount": "1",
                                             "community": str(mallory_id), "member": str(mallory_id),
                                             "user": "U9", "platform": "slack", "space": "T9"})
    assert "You now tip bob" in await web.me.page(response.headers["location"])
    assert weekly_tips(web.runtime, "U1") == [("bob", 100)]
    alice_id = web.runtime.ledger.read(lambda b: b.find_member(b.space("slack", "T1"), "U1").id)
    assert (await web.me.post("/me/tip", {**form.fields, "key": "k" * 20, "recipient": str(alice_id),
                                          "amount": "1"})).status_code == 400


async def test_a_refused_amount_changes_nothing_and_says_why(web):
    await signed_in_alice(web, ("U2", "bob"))
    form = await web.me.form("/me/tip")
    before = web.tables()
    response = await web.me.post("/me/tip", {**form.fields, "recipient": form.selects["recipient"][0][0],
                                             "amount": "1e3"})
    page = await web.me.page(response.headers["location"])
    assert 'class="flash refused"' in page
    assert web.tables() == before


async def test_a_large_weekly_tip_is_confirmed_on_a_page_of_its_own(web):
    await signed_in_alice(web, ("U2", "bob"))
    form = await web.me.form("/me/tip")
    bob = form.selects["recipient"][0][0]
    response = await web.me.post("/me/tip", {**form.fields, "recipient": bob, "amount": "40"})
    assert response.status_code == 200 and "Confirm your weekly tip" in response.text
    assert weekly_tips(web.runtime, "U1") == []
    confirm = [f for f in forms(response.text) if f.action == "/me/tip"][0]
    assert confirm.fields["confirmed"] == "1" and confirm.fields["key"] != form.fields["key"]
    await web.me.post("/me/tip", confirm.fields)
    assert weekly_tips(web.runtime, "U1") == [("bob", 4000)]


async def test_names_and_notes_are_escaped(web):
    say(web.runtime, "slack", "T1", "U1", "alice", "receive on")
    say(web.runtime, "slack", "T1", "U3", SCRIPT, "receive on")
    say(web.runtime, "slack", "T1", "U4", IMG, "receive on")
    say(web.runtime, "slack", "T1", "UADMIN", "admin", "admin credit <@U3> 10", admin=True)
    say(web.runtime, "slack", "T1", "U3", SCRIPT, f"<@U1> 1 once {IMG}")
    say(web.runtime, "slack", "T1", "U3", SCRIPT, "<@U1> 2")
    await web.me.signin("slack")
    form = await web.me.form("/me/tip")
    u4 = next(value for value, label in form.selects["recipient"] if label == IMG)
    response = await web.me.post("/me/tip", {**form.fields, "recipient": u4, "amount": "1", "note": SCRIPT})
    pages = [await web.me.page(response.headers["location"]), await web.me.page(), await web.me.page("/me/history")]
    for page in pages:
        assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[1]  # the tipper's name, received tips
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in pages[1]  # a name in the list and the table
    assert "&#34;&gt; &lt;img src=x onerror=alert(1)&gt;" in pages[2]  # the note of the one-off tip (as chat keeps it)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0]  # the note, echoed in the reply


async def test_the_privacy_switch_is_chats_profile_command(web):
    await signed_in_alice(web)
    assert "Your profile is <strong>private</strong>" in await web.me.page()
    form = await web.me.form("/me/privacy")
    assert form.fields["public"] == "1"
    response = await web.me.post("/me/privacy", form.fields)
    page = await web.me.page(response.headers["location"])
    assert "Your profile is public" in page and "Your profile is <strong>public</strong>" in page
    assert "Your profile is public" in say(web.runtime, "slack", "T1", "U1", "alice", "profile").text
    say(web.runtime, "slack", "T1", "U1", "alice", "profile private")
    assert (await web.me.form("/me/privacy")).fields["public"] == "1"


async def test_history_pages_and_the_csv_is_chats(web):
    await signed_in_alice(web, ("U2", "bob"))
    say(web.runtime, "slack", "T1", "UADMIN", "admin", "admin credit <@U1> 100", admin=True)
    for cents in range(1, 26):
        say(web.runtime, "slack", "T1", "U1", "alice", f"<@U2> 0.{cents:02d} once n{cents}")
    first = await web.me.page("/me/history")
    assert "n25" in first and "n6" in first and "n5" not in first.replace("n25", "")
    older = [line for line in first.split('"') if line.startswith("/me/history?") and "before=" in line]
    second = await web.me.page(older[0].replace("&amp;", "&"))
    assert "n5" in second and "paid in" in second and "n25" not in second and "Older" not in second
    response = await web.me.http.get("/me/history.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="tipbot-history-')
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 26 and rows[-1]["note"] == "n25"


async def test_signing_out_needs_the_token_and_ends_the_session(web):
    await signed_in_alice(web)
    form = await web.me.form("/me/signout")
    assert (await web.me.post("/me/signout", {})).status_code == 403
    assert (await web.me.http.get("/me/")).status_code == 200
    response = await web.me.post("/me/signout", form.fields)
    assert response.headers["location"] == "/me/signin"
    assert (await web.me.http.get("/me/")).headers["location"] == "/me/signin"


def test_a_long_reply_shown_once_keeps_the_session_cookie_under_4_kb():
    from base64 import b64encode
    import json

    from bot.webme.session import flash

    session = {"platform": "slack", "user": "U1", "space": "T1", "name": "ü" * 200, "csrf": "c" * 43}
    flash(session, "€ and <b> " * 2000, ok=True)
    assert session["flash"]["text"].startswith("€ and <b> ") and session["flash"]["text"].endswith(" …")
    assert len(b64encode(json.dumps(session).encode())) + 60 < 4096  # plus the signature and timestamp


async def test_junk_tokens_and_ids_are_refused_without_a_traceback(web):
    await signed_in_alice(web, ("U2", "bob"))
    form = await web.me.form("/me/tip")
    before = web.tables()
    for junk in ({**form.fields, "csrf": "é" * 43}, {**form.fields, "recipient": "9" * 40, "amount": "1"},
                 {**form.fields, "recipient": "１２", "amount": "1"}, {**form.fields, "key": "é" * 20}):
        response = await web.me.post("/me/tip", junk)
        assert response.status_code in (400, 403), response.text
    assert (await web.me.http.get("/me/signin/slack/callback?code=x&state=%C3%A9")).status_code == 400
    assert (await web.me.http.get("/me/history?before=99999999999999999999999")).status_code == 200
    assert web.tables() == before


async def test_an_anonymous_tippers_name_is_not_on_the_receivers_me_nor_in_their_csv(web):
    """The receiver's /me names the tippers who tip by name, never one who tips anonymously:
    not in what they receive, not in the history, not in the CSV."""
    say(web.runtime, "slack", "T1", "U1", "alice", "receive on")
    say(web.runtime, "slack", "T1", "U2", "bob", "receive on")
    say(web.runtime, "slack", "T1", "U3", "carol", "receive on")
    for tipper in ("U1", "U3"):
        say(web.runtime, "slack", "T1", "UADMIN", "admin", f"admin credit <@{tipper}> 20", admin=True)
    say(web.runtime, "slack", "T1", "U1", "alice", "<@U2> 3 anonymous")
    say(web.runtime, "slack", "T1", "U1", "alice", "<@U2> 1 once anonymous")
    say(web.runtime, "slack", "T1", "U3", "carol", "<@U2> 2")
    say(web.runtime, "slack", "T1", "U3", "carol", "<@U2> 0.50 once")
    say(web.runtime, "slack", "T1", "UADMIN", "admin", "admin payday now", admin=True)  # the weekly tips paid
    web.mock.slack_user = ("U2", "T1", "bob")
    await web.me.signin("slack")
    page = await web.me.page()
    received = page[page.index('id="received"'):page.index('id="privacy"')]
    assert "carol: $2.00 a week" in received and "someone (anonymous): $3.00 a week" in received
    history = await web.me.page("/me/history")
    table = history[history.index("<table>"):history.index("</table>")]
    assert "from carol" in table and "from someone (anonymous)" in table
    rows = list(csv.DictReader(io.StringIO((await web.me.http.get("/me/history.csv")).text)))
    for kind in ("once", "tip"):
        assert {row["other"] for row in rows if row["kind"] == kind} == {"carol", "someone (anonymous)"}, kind
    for shown in (received, table, *(str(row) for row in rows)):
        assert "alice" not in shown
