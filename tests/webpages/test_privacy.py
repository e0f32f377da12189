"""Privacy on the public pages and badges, one test per field that could leak a member with
a private profile: their row on the community page, what they receive, from how many
patrons, what they give, the projects they maintain, their take, their badge (read each
time and kept), and what shows once they switch to private. On both databases."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from bot.web import build_app
from tests.adapters.console.support import Console, make_runtime
from tests.webpages.conftest import Site

# carol (private) receives 7.25 + 3.10 = 10.35 from 2 patrons, gives bob 1.65, maintains
# pillow with a take of 0.85; bob (public) receives 1.65 + 2.20 = 3.85.
SCENE = """
treasurer: /tip admin credit @alice 100
treasurer: /tip admin credit @carol 100
carol: /tip receive on
bob: /tip receive on
bob: /tip profile public
alice: /tip @carol 7.25
dave: /tip @carol 3.10
carol: /tip @bob 1.65
alice: /tip @bob 2.20
carol: /tip project add pillow
carol: /tip take pillow 0.85
alice: /tip pillow 5
treasurer: /tip admin web public
"""
CAROLS_FIGURES = ("10.35", "7.25", "3.10", "1.65", "0.85")


@pytest.fixture
def scene(site: Site) -> Site:
    site.script(SCENE)
    return site


def _leaks(text: str, *figures: str) -> list[str]:
    return [figure for figure in figures if figure in text]


def test_a_private_member_has_no_row_on_the_community_page(scene: Site) -> None:
    page = scene.get("/c/test").text
    assert 'href="/c/test/@bob"' in page  # the public member is listed
    assert "carol" not in page
    members = page[page.index('id="members"'):]
    assert _leaks(members, "10.35", "1.65") == []  # neither what she receives nor what she gives


def test_what_a_private_member_receives_and_from_how_many_is_not_on_their_page(scene: Site) -> None:
    page = scene.get("/c/test/@carol")
    assert page.status_code == 200 and "<h1>carol</h1>" in page.text
    assert _leaks(page.text, *CAROLS_FIGURES) == []
    assert "patron" not in page.text and "profile is private" in page.text


def test_the_projects_a_private_member_maintains_are_not_on_their_page(scene: Site) -> None:
    assert "pillow" not in scene.get("/c/test/@carol").text
    scene.console.ok("carol: /tip profile public")
    assert 'href="/c/test/projects/pillow"' in scene.get("/c/test/@carol").text  # the same page, public


def test_a_private_maintainers_name_and_take_are_not_on_the_project_page(scene: Site) -> None:
    page = scene.get("/c/test/projects/pillow").text
    assert "carol" not in page and "0.85" not in page
    assert "a maintainer with a private profile" in page
    scene.console.ok("carol: /tip profile public")
    page = scene.get("/c/test/projects/pillow").text
    assert 'href="/c/test/@carol"' in page and "$0.85" in page


@pytest.mark.parametrize("kind", ["svg", "json"])
def test_a_private_members_badge_says_private_and_no_amount(scene: Site, kind: str) -> None:
    badge = scene.get(f"/c/test/@carol/receiving.{kind}")
    assert badge.status_code == 200
    assert "private" in badge.text and "$" not in badge.text and _leaks(badge.text, *CAROLS_FIGURES) == []
    if kind == "json":
        assert json.loads(badge.content)["message"] == "private"


@pytest.mark.parametrize("kind", ["svg", "json"])
def test_a_private_members_kept_badge_says_private_and_no_amount(db_url: str, clock, kind: str) -> None:
    """Badges kept per community (web_page_cache_seconds > 0) are read from another query."""
    runtime = make_runtime(db_url, clock, web_page_cache_seconds=60)
    with TestClient(build_app(runtime), base_url="http://127.0.0.1") as client:
        site = Site(Console(runtime), client)
        site.script(SCENE)
        carol, bob = site.get(f"/c/test/@carol/receiving.{kind}"), site.get(f"/c/test/@bob/receiving.{kind}")
        assert carol.status_code == 200 and "private" in carol.text and "$" not in carol.text
        assert _leaks(carol.text, *CAROLS_FIGURES) == []
        assert "$3.85/week" in bob.text  # the same kept aggregate shows a public member's amount
    runtime.ledger.dispose()


def test_switching_to_private_hides_the_row_the_amounts_and_the_badge(scene: Site) -> None:
    bob = "/c/test/@bob"
    assert "$3.85" in scene.get(bob).text and "$3.85/week" in scene.get(f"{bob}/receiving.svg").text
    scene.console.ok("bob: /tip profile private")
    assert 'href="/c/test/@bob"' not in scene.get("/c/test").text
    assert "3.85" not in scene.get(bob).text
    for kind in ("svg", "json"):
        badge = scene.get(f"{bob}/receiving.{kind}").text
        assert "private" in badge and "3.85" not in badge
