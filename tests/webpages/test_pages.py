"""The public pages and badges over HTTP, on both databases: private communities are 404,
privacy per field that could leak, escaping of hostile names and notes, ETag and 304."""

from __future__ import annotations

import json
import time
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from bot.web import build_app
from bot.webpages import badges
from tests.adapters.console.support import Console, make_runtime

from ledger.money import Money, parse_money
from tests.webpages.conftest import Site

PAGES = ("/c/test", "/c/test/chart.png", "/c/test/@bob", "/c/test/@bob/receiving.svg",
         "/c/test/@bob/receiving.json", "/c/test/projects/pillow", "/c/test/projects/pillow/receiving.svg",
         "/c/test/projects/pillow/receiving.json")
HOSTILE = ('<script>alert(1)</script>', '"><img src=x onerror=alert(2)>')


def _community(site: Site) -> None:
    site.script("""
treasurer: /tip admin credit @alice 100
bob: /tip receive on
bob: /tip profile public
alice: /tip @bob 2.50
dave: /tip @bob 10
bob: /tip project add pillow
alice: /tip pillow 3
""")


def test_a_private_community_answers_404_exactly_like_one_that_does_not_exist(site: Site) -> None:
    _community(site)
    missing = site.get("/c/nowhere")
    assert missing.status_code == 404
    for path in PAGES:  # private by default
        answer = site.get(path)
        assert (answer.status_code, answer.content) == (404, missing.content), path
        assert "bob" not in answer.text and "$" not in answer.text
    site.console.refused("alice: /tip admin web public", "not_admin", "Only an admin")
    reply = site.console.ok("treasurer: /tip admin web public")
    assert "https://tips.example.org/c/test" in reply.text
    assert [site.get(path).status_code for path in PAGES] == [200] * len(PAGES)
    site.console.ok("treasurer: /tip admin web private")
    assert [site.get(path).status_code for path in PAGES] == [404] * len(PAGES)
    assert site.get("/c/test/@nobody").status_code == 404


def test_admin_web_says_what_it_is_and_refuses_other_words(site: Site) -> None:
    assert "private" in site.console.ok("treasurer: /tip admin web").text
    site.console.refused("treasurer: /tip admin web maybe", None, "/tip admin web public")


def test_the_community_page_shows_weekly_totals_projects_and_public_profiles(site: Site) -> None:
    _community(site)
    site.console.ok("treasurer: /tip admin web public")
    page = site.get("/c/test")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "$15.50</strong> given and received" in text  # 2.50 + 10 to bob, 3 to pillow
    assert "<strong>2</strong> tippers" in text and "<strong>2</strong> receivers" in text
    assert 'href="/c/test/@bob"' in text and 'href="/c/test/projects/pillow"' in text
    assert 'src="/c/test/chart.png"' in text
    assert site.get("/c/test/chart.png").content.startswith(b"\x89PNG")
    for landmark in ("<header>", "<nav", "<main", "<footer>", 'href="#content"'):
        assert landmark in text


def test_a_private_profile_shows_no_amount_on_any_page_or_badge(site: Site) -> None:
    site.script("""
treasurer: /tip admin credit @alice 100
carol: /tip receive on
alice: /tip @carol 7.25
alice: /tip profile public
treasurer: /tip admin web public
""")
    community = site.get("/c/test").text
    assert "carol" not in community  # not listed
    member = site.get("/c/test/@carol")
    assert member.status_code == 200 and "carol" in member.text
    assert "7.25" not in member.text and "patron" not in member.text and "profile is private" in member.text
    svg = site.get("/c/test/@carol/receiving.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "private" in svg.text and "7.25" not in svg.text and "$" not in svg.text
    assert json.loads(site.get("/c/test/@carol/receiving.json").content) == {
        "schemaVersion": 1, "label": "tips", "message": "private", "color": "555"}
    site.console.ok("carol: /tip profile public")
    assert "$7.25/week" in site.get("/c/test/@carol/receiving.svg").text
    assert json.loads(site.get("/c/test/@carol/receiving.json").content)["message"] == "$7.25/week"
    assert "$7.25 a week</strong> from 1 patron" in site.get("/c/test/@carol").text
    assert 'href="/c/test/@carol"' in site.get("/c/test").text


def test_anonymous_tippers_are_never_named_nor_counted_as_giving(site: Site) -> None:
    site.script("""
treasurer: /tip admin credit @alice 100
bob: /tip receive on
bob: /tip profile public
carol: /tip receive on
alice: /tip profile public
alice: /tip @bob 4.25 anonymous
alice: /tip @carol 1
treasurer: /tip admin web public
""")
    bob = site.get("/c/test/@bob").text
    assert "$4.25 a week</strong> from 1 patron" in bob and "alice" not in bob
    community = site.get("/c/test").text
    row = community[community.index('href="/c/test/@alice"'):].split("</tr>")[0]
    assert "$1.00" in row and "4.25" not in row and "5.25" not in row  # alice gives 1.00 named


def test_a_private_maintainer_is_counted_on_the_project_page_but_not_named(site: Site) -> None:
    site.script("""
bob: /tip receive on
bob: /tip project add pillow @erin
erin: /tip take pillow 1
bob: /tip profile public
bob: /tip project pillow packages pypi:pillow
treasurer: /tip admin web public
""")
    page = site.get("/c/test/projects/pillow").text
    assert 'href="/c/test/@bob"' in page and "erin" not in page
    assert "a maintainer with a private profile" in page and "pypi:pillow" in page
    assert "/tip pillow 1" in page


def test_the_member_and_project_pages_say_how_to_tip_on_each_space(site: Site) -> None:
    site.member("U0BOB", "bob", platform="slack", space="T0ACME", space_name="Acme")
    site.member("2002", "bob-d", platform="discord", space="9001", space_name="Acme Discord")
    site.script("bob: /tip project add pillow\ntreasurer: /tip admin web public")
    page = site.get("/c/test/@bob").text
    assert "<code>/tip @bob 1</code>" in page
    assert 'href="https://app.slack.com/client/T0ACME">Acme</a>' in page
    assert "<code>/tip user:@bob amount:1</code>" in page
    assert 'href="https://discord.com/channels/9001">Acme Discord</a>' in page
    assert "https://tips.example.org/c/test/@bob/receiving.svg" in page  # the README snippet
    project = site.get("/c/test/projects/pillow").text
    assert "<code>/tip pillow 1</code>" in project and "<code>/project tip name:pillow amount:1</code>" in project
    assert "no command for this" not in project


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_names_and_notes_are_escaped_everywhere(site: Site, hostile: str) -> None:
    site.member("U0EVIL", hostile)
    site.script("""
treasurer: /tip admin credit @alice 100
alice: /tip receive on
alice: /tip profile public
""")
    evil = site.runtime.ledger.read(lambda book: book.find_member_by_name(1, hostile))
    alice = site.runtime.ledger.read(lambda book: book.find_member_by_name(1, "alice"))
    site.runtime.ledger.run(lambda book: book.set_profile(evil.id, True))
    site.runtime.ledger.run(lambda book: book.set_receiving(evil.id, True))
    site.runtime.ledger.set_tip(alice.id, evil.id, _usd(site, "2"), key=None, note=hostile)
    site.runtime.ledger.set_tip(evil.id, alice.id, _usd(site, "1"), key=None, note=hostile)
    site.console.ok("treasurer: /tip admin web public")
    path = f"/c/test/@{quote(hostile, safe='')}"
    pages = [site.get("/c/test"), site.get(path), site.get(f"{path}/receiving.svg"),
             site.get(f"{path}/receiving.json"), site.get(f"/c/test/projects/{quote(hostile, safe='')}")]
    assert [p.status_code for p in pages] == [200, 200, 200, 200, 404]
    for answer in pages:
        assert hostile not in answer.text and "<script" not in answer.text and "<img src=x" not in answer.text
    escaped = hostile.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")
    assert escaped in pages[0].text and escaped in pages[1].text
    assert f'href="{path}"' in pages[0].text  # the link is the escaped, URL-quoted name
    assert json.loads(pages[3].content)["message"] == "$2.00/week"


def _usd(site: Site, text: str) -> Money:
    return parse_money(text, "USD")


@pytest.mark.parametrize("path", ["/c/test", "/c/test/@bob", "/c/test/projects/pillow",
                                  "/c/test/@bob/receiving.svg", "/c/test/projects/pillow/receiving.json"])
def test_pages_and_badges_carry_an_etag_and_answer_304_when_it_matches(site: Site, path: str) -> None:
    _community(site)
    site.console.ok("treasurer: /tip admin web public")
    first = site.get(path)
    etag = first.headers["etag"]
    assert first.status_code == 200 and etag.startswith('"') and first.headers["cache-control"].startswith("public")
    again = site.get(path, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    site.script("alice: /tip @bob 3\nalice: /tip pillow 4")  # the figures change: a new ETag, the body again
    changed = site.get(path, **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag and changed.content


def _eventually(check, seconds: float = 10.0) -> None:
    """Poll `check` (monotonic time) until it is true: kept pages and badges are rebuilt in the background."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.05)


def test_kept_pages_and_badges_catch_up_and_a_private_switch_hides_pages_at_once(db_url: str, clock) -> None:
    runtime = make_runtime(db_url, clock, web_page_cache_seconds=0.3)
    with TestClient(build_app(runtime), base_url="http://127.0.0.1") as client:
        site = Site(Console(runtime), client)
        _community(site)
        site.console.ok("treasurer: /tip admin web public")
        badge = "/c/test/@bob/receiving.json"
        assert json.loads(site.get(badge).content)["message"] == "$12.50/week"
        assert "$15.50</strong>" in site.get("/c/test").text
        site.console.ok("alice: /tip @bob 5")
        _eventually(lambda: json.loads(site.get(badge).content)["message"] == "$15.00/week")
        _eventually(lambda: "$18.00</strong>" in site.get("/c/test").text)
        site.console.ok("treasurer: /tip admin web private")
        assert site.get("/c/test").status_code == 404 and site.get("/c/test/@bob").status_code == 404
        _eventually(lambda: site.get(badge).status_code == 404)
    runtime.ledger.dispose()


@pytest.mark.parametrize("keep_seconds", [0, 60])
def test_a_badge_of_a_shared_name_is_the_older_members_and_a_slash_in_a_name_works(
        db_url: str, clock, keep_seconds: float) -> None:
    runtime = make_runtime(db_url, clock, web_page_cache_seconds=keep_seconds)
    with TestClient(build_app(runtime), base_url="http://127.0.0.1") as client:
        site = Site(Console(runtime), client)
        site.console.ok("treasurer: /tip admin credit @alice 100")
        older = site.member("U0ANN", "ann/lee", platform="slack", space="T0ACME")
        site.member("U0ANN2", "ann/lee", platform="slack", space="T0OTHER")  # another space, the same name
        site.runtime.ledger.run(lambda book: book.set_profile(older, True))
        site.runtime.ledger.run(lambda book: book.set_receiving(older, True))
        alice = site.runtime.ledger.read(lambda book: book.find_member_by_name(1, "alice"))
        site.runtime.ledger.set_tip(alice.id, older, _usd(site, "3"), key=None)
        site.console.ok("treasurer: /tip admin web public")
        path = f"/c/test/@{quote('ann/lee', safe='')}"
        assert json.loads(site.get(f"{path}/receiving.json").content)["message"] == "$3.00/week"
        assert "$3.00 a week</strong>" in site.get(path).text
        assert f'href="{path}"' in site.get("/c/test").text
    runtime.ledger.dispose()


def test_with_sign_in_configured_public_pages_link_to_me_and_the_member_page_says_tip_from_me(
        db_url: str, clock, site: Site) -> None:
    from tests.bot.webme.support import SESSION_SECRET

    _community(site)
    site.console.ok("treasurer: /tip admin web public")
    for path in ("/c/test", "/c/test/@bob", "/c/test/projects/pillow", "/c/nowhere"):
        assert "/me/" not in site.get(path).text, path  # sign-in is not configured: no link to it

    runtime = make_runtime(db_url, clock, web_page_cache_seconds=0, session_secret=SESSION_SECRET,
                           discord_signin_client_id="42", discord_signin_client_secret="discord-secret")
    with TestClient(build_app(runtime), base_url="http://127.0.0.1") as client:
        for path in ("/c/test", "/c/test/@bob", "/c/test/projects/pillow", "/c/nowhere"):
            html = client.get(path).text
            assert '<a href="/me/">Your tips (/me)</a>' in html, path
            assert '<a href="/me/signin">Sign in</a>' in html, path
        member = client.get("/c/test/@bob").text
        assert "Signed-in members of test can also tip bob from" in member
        assert "can also tip" not in client.get("/c/test/projects/pillow").text  # /me tips members, not projects
        signin = client.get("/me/signin")
        assert signin.status_code == 200 and "Sign in with Discord" in signin.text
    runtime.ledger.dispose()


def _luminance(colour: str) -> float:
    def channel(hex2: str) -> float:
        v = int(hex2, 16) / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    digits = colour.lstrip("#")
    digits = "".join(d * 2 for d in digits) if len(digits) == 3 else digits  # "#555" is "#555555"
    r, g, b = (channel(digits[i:i + 2]) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("background", [badges.GREEN, badges.GREY])
def test_a_badges_white_text_has_wcag_aa_contrast_on_both_colours(background: str) -> None:
    light, dark = _luminance("#ffffff"), _luminance(background)
    assert (light + 0.05) / (dark + 0.05) >= 4.5


def test_after_a_payday_the_community_page_lists_it_and_the_project_page_shows_its_split(site: Site) -> None:
    _community(site)
    site.console.ok("treasurer: /tip admin web public")
    empty_chart = site.get("/c/test/chart.png").content
    assert "No payday yet." in site.get("/c/test").text
    site.console.ok("treasurer: /tip admin payday now")  # alice pays bob 2.50 and pillow 3 (dave has no money)
    page = site.get("/c/test").text
    paydays = page[page.index('id="paydays"'):page.index('id="projects"')]
    week = site.runtime.ledger.read(lambda book: book.recent_paydays(book.community_by_name("test").id, 1))[0][0]
    assert (f'<tr><td>{week.isoformat()}</td><td class="amount">$5.50</td>\n'
            f'          <td class="amount">1</td><td class="amount">2</td></tr>') in paydays
    assert site.get("/c/test/chart.png").content != empty_chart  # the week's bar
    project = site.get("/c/test/projects/pillow").text
    assert f"At the payday of the week of {week.isoformat()} it received $3.00, paid out" in project
