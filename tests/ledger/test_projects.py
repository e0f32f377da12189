"""Projects in the ledger API, on real SQL: maintainers, packages, takes and the cap,
tips to projects (weekly, once, pledges) and stacks. Every refusal changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from ledger.api import Ledger
from ledger.check import check_ledger
from ledger.errors import InvalidRequest, NotAdmin, NotReceiving, OverLimit
from ledger.models import accounts, tips
from ledger.projects import NotMaintainer, UnknownProject
from tests.ledger.test_api import World, assert_books_balance, assert_refused, usd, world  # noqa: F401

T0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.timezone.utc)


def add(world: World, actor, name: str, *others, now: dt.datetime = T0) -> dict:
    return world.run(lambda b: b.add_project(world.community, actor, name, [m.id for m in others], now=now)).value


def project(world: World, name: str):
    return world.ledger.read(lambda b: b.project(world.community.id, name))


def maintainers(world: World, name: str) -> list[tuple[str, int]]:
    p = project(world, name)
    return [(m.display_name, m.take_minor) for m in world.ledger.read(lambda b: b.maintainers(p.id))]


def test_creating_a_project_makes_its_creator_the_oldest_maintainer_and_gives_it_an_account(world: World) -> None:
    result = add(world, world.bob, "Pillow", world.carol)
    assert result == {"project": "pillow", "created": True, "added": ["bob", "carol"], "already": []}
    p = project(world, "pillow")
    assert maintainers(world, "pillow") == [("bob", 0), ("carol", 0)]
    with world.ledger.engine.connect() as conn:
        kind, balance = conn.execute(sa.select(accounts.c.kind, accounts.c.balance_minor)
                                     .where(accounts.c.id == p.id)).one()
    assert (kind, balance) == ("project", 0)
    # maintainers add others; the same name is another project in another community
    assert add(world, world.carol, "pillow", world.dave)["added"] == ["dave"]
    assert add(world, world.carol, "pillow", world.dave)["already"] == ["dave"]
    other = world.ledger.read(lambda b: b.community(world.erin.community_id))
    world.run(lambda b: b.add_project(other, world.erin, "pillow"))
    assert_books_balance(world.ledger)


@pytest.mark.parametrize("name, says", [
    ("", "can't be a project name"), ("a" * 41, "can't be a project name"), ("plone!", "can't be a project name"),
    ("two words", "can't be a project name"), ("stack", "command word"), ("balance", "command word"),
])
def test_project_names_follow_the_rules(world: World, name: str, says: str) -> None:
    assert_refused(world.ledger, InvalidRequest, lambda b: b.add_project(world.community, world.bob, name),
                   says=says)


def test_only_maintainers_add_maintainers(world: World) -> None:
    add(world, world.bob, "plone")
    assert_refused(world.ledger, NotMaintainer,
                   lambda b: b.add_project(world.community, world.alice, "plone", [world.alice.id]),
                   says="Only maintainers of plone")
    assert_refused(world.ledger, InvalidRequest, lambda b: b.add_project(world.community, world.bob, "plone"),
                   says="already exists")


def test_a_maintainer_leaves_or_is_removed_by_a_maintainer_or_an_admin(world: World) -> None:
    add(world, world.bob, "buildout", world.carol, world.dave)
    assert_refused(world.ledger, NotAdmin, lambda b: b.remove_maintainer(
        world.community, world.alice, "buildout", world.bob.id, by_admin=False), says="Only maintainers")
    world.run(lambda b: b.set_take(world.community, world.carol, "buildout", usd("1")))
    left = world.run(lambda b: b.remove_maintainer(world.community, world.carol, "buildout", world.carol.id,
                                                   by_admin=False)).value
    assert left == {"project": "buildout", "member": "carol", "left": True, "maintainers_left": 2}
    world.run(lambda b: b.remove_maintainer(world.community, world.bob, "buildout", world.dave.id, by_admin=False))
    world.run(lambda b: b.remove_maintainer(world.community, world.alice, "buildout", world.bob.id, by_admin=True))
    assert maintainers(world, "buildout") == []
    assert_refused(world.ledger, InvalidRequest, lambda b: b.remove_maintainer(
        world.community, world.bob, "buildout", world.bob.id, by_admin=False), says="not a maintainer")
    # carol's take ended when she left: re-added, she starts from nothing
    add(world, world.alice, "buildout2")
    world.run(lambda b: b.add_project(world.community, world.alice, "buildout2", [world.carol.id]))
    assert maintainers(world, "buildout2") == [("alice", 0), ("carol", 0)]


def test_packages_are_normalised_replaced_and_unique_in_a_community(world: World) -> None:
    add(world, world.bob, "pillow")
    add(world, world.carol, "left-pad")
    set_ = world.run(lambda b: b.set_packages(world.community, world.bob, "pillow", ["pypi:Pillow", "npm:pillow"]))
    assert set_.value == {"project": "pillow", "packages": ["pypi:pillow", "npm:pillow"]}
    world.run(lambda b: b.set_packages(world.community, world.bob, "pillow", ["pypi:Pillow", "pypi:pil_lite"]))
    assert world.ledger.read(lambda b: b.packages(project(world, "pillow").id)) == ["pypi:pil-lite", "pypi:pillow"]
    assert_refused(world.ledger, InvalidRequest, lambda b: b.set_packages(
        world.community, world.carol, "left-pad", ["npm:left-pad", "pypi:PIL.lite"]), says=r"pypi:pil-lite \(pillow\)")
    assert_refused(world.ledger, NotMaintainer, lambda b: b.set_packages(
        world.community, world.carol, "pillow", []), says="Only maintainers")
    assert_refused(world.ledger, InvalidRequest, lambda b: b.set_packages(
        world.community, world.carol, "left-pad", ["left-pad"]), says="ecosystem:name")


def test_a_new_take_is_capped_at_the_allowance_and_lowering_never_is(world: World) -> None:
    add(world, world.bob, "pillow")
    change = world.run(lambda b: b.set_take(world.community, world.bob, "pillow", usd("5"))).value
    assert (change.old_minor, change.new_minor, change.asked_minor, change.cap_minor, change.capped) == (
        0, 100, 500, 100, True)
    lower = world.run(lambda b: b.set_take(world.community, world.bob, "pillow", usd("0.50"))).value
    assert (lower.new_minor, lower.capped) == (50, False)
    world.run(lambda b: b.set_new_take_allowance(world.community, usd("3"), by_admin=True))
    again = world.run(lambda b: b.set_take(world.community, world.bob, "pillow", usd("2"))).value
    assert (again.new_minor, again.capped) == (200, False)
    assert maintainers(world, "pillow") == [("bob", 200)]
    assert_refused(world.ledger, NotMaintainer, lambda b: b.set_take(world.community, world.carol, "pillow",
                                                                     usd("1")), says="Only maintainers")
    assert_refused(world.ledger, OverLimit, lambda b: b.set_take(world.community, world.bob, "pillow",
                                                                 usd("1000001")), says="at most")
    assert_refused(world.ledger, UnknownProject, lambda b: b.set_take(world.community, world.bob, "nope", usd("1")),
                   says="No project named nope")


def test_tips_to_a_project_without_receiving_maintainers_are_pledges(world: World) -> None:
    add(world, world.dave, "plone")  # dave does not receive
    p = project(world, "plone")
    change = world.run(lambda b: b.set_project_tip(world.alice, p, world.community, usd("2"))).value
    assert (change.tippee_id, change.new_weekly_minor, change.pledge) == (p.id, 200, True)
    with world.ledger.engine.connect() as conn:
        assert conn.execute(sa.select(tips.c.tippee_id).where(tips.c.tipper_id == world.alice.id)).scalars().all() \
            == [p.id]
    assert world.ledger.read(lambda b: b.given_totals(world.alice.id))[:2] == (200, 200)
    assert_refused(world.ledger, NotReceiving, lambda b: b.tip_project_once(world.alice, p, world.community,
                                                                           usd("1")), says="no maintainer")
    world.run(lambda b: b.add_project(world.community, world.dave, "plone", [world.bob.id]))  # bob receives
    assert world.ledger.read(lambda b: b.given_totals(world.alice.id))[:2] == (200, 0)
    once = world.run(lambda b: b.tip_project_once(world.alice, p, world.community, usd("3"))).value
    assert once["recipients"] == ["plone"]
    assert project(world, "plone").balance_minor == 300
    assert world.balance(world.alice) == 4700
    summary = world.ledger.read(lambda b: b.projects_of(world.community.id))
    assert [(s.project.name, s.maintainers, s.weekly_minor, s.pledged_minor, s.tippers) for s in summary] == [
        ("plone", 2, 200, 0, 1)]
    assert_books_balance(world.ledger)


def test_a_stack_splits_an_amount_with_the_remainder_to_the_first_named(world: World) -> None:
    for name in ("plone", "pillow", "buildout"):
        add(world, world.bob, name)
    world.run(lambda b: b.set_packages(world.community, world.bob, "pillow", ["pypi:pillow"]))
    result = world.run(lambda b: b.tip_stack(world.alice, world.community, usd("10"),
                                             ["plone", "pypi:Pillow", "buildout"])).value
    assert (result["each_minor"], result["remainder_minor"]) == (333, 1)
    assert [(t["tippee_name"], t["new_weekly_minor"]) for t in result["tips"]] == [
        ("plone", 334), ("pillow", 333), ("buildout", 333)]
    assert world.ledger.read(lambda b: b.project_tips_given(world.alice.id)) == [
        ("plone", 334, False), ("pillow", 333, False), ("buildout", 333, False)]
    assert_refused(world.ledger, UnknownProject, lambda b: b.tip_stack(
        world.alice, world.community, usd("6"), ["plone", "zope", "npm:left-pad"]), says="`zope`, `npm:left-pad`")
    assert_refused(world.ledger, InvalidRequest, lambda b: b.tip_stack(
        world.alice, world.community, usd("6"), ["pillow", "pypi:pillow"]), says="name each project once")
    assert_refused(world.ledger, InvalidRequest, lambda b: b.tip_stack(
        world.alice, world.community, usd("0.02"), ["plone", "pillow", "buildout"]), says="can't be split")


def test_ledger_check_covers_project_accounts(world: World) -> None:
    add(world, world.bob, "pillow")
    p = project(world, "pillow")
    world.run(lambda b: b.tip_project_once(world.alice, p, world.community, usd("1")))
    assert_books_balance(world.ledger)
    with world.ledger.engine.begin() as conn:  # behind the ledger's back
        conn.execute(accounts.update().where(accounts.c.id == p.id).values(balance_minor=150))
    with world.ledger.engine.connect() as conn:
        problems = [str(p) for p in check_ledger(conn)]
    assert any("(project pillow): balance differs: cached balance 1.50, from its transfers 1.00" in p
               for p in problems), problems
    with pytest.raises(sa.exc.IntegrityError, match="project_balance_nonnegative"):
        with world.ledger.engine.begin() as conn:
            conn.execute(accounts.update().where(accounts.c.id == p.id).values(balance_minor=-1))
