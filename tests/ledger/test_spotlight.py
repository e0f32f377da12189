"""The spotlight's pick on real SQL: rotating, nobody twice within 8 weeks, only projects someone
receives for and members who receive, recorded once per payday (UNIQUE), the same when asked again."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from ledger.api import Ledger
from ledger.spotlight import ROTATION_WEEKS, pick_spotlight, spotlights
from tests.ledger.payday_helpers import WEEK
from tests.ledger.test_payday_projects import StackTown


def _week(n: int) -> dt.date:
    return WEEK + dt.timedelta(weeks=n)


def test_the_spotlight_rotates_and_skips_whoever_was_featured_in_the_last_8_weeks(ledger: Ledger) -> None:
    town = StackTown(ledger)
    town.member("alice")
    town.member("bob")
    town.member("dave", receiving=False)  # not receiving: never featured
    town.project("pillow", "bob")
    town.project("plone", "dave")  # nobody receives for it: never featured
    names = {v: k for k, v in town.ids.items()}

    picked = []
    for n in range(ROTATION_WEEKS + 3):
        result = town.payday(_week(n))
        pick = ledger.run(lambda book: pick_spotlight(book, result.payday_id)).value
        picked.append(None if pick is None else (pick.kind, names[pick.featured_id]))

    assert picked == [
        ("project", "pillow"),  # the first spotlight is a project
        ("member", "alice"),  # then the kinds alternate, oldest first
        ("member", "bob"),  # pillow was featured within 8 weeks, so a member again
        None, None, None, None, None, None,  # everyone featured within the last 8 weeks
        ("project", "pillow"),  # 9 weeks after it was featured
        ("member", "alice"),
    ]


def test_a_payday_features_one_pick_however_often_it_is_asked(ledger: Ledger) -> None:
    town = StackTown(ledger)
    town.member("alice")
    town.member("bob")
    result = town.payday(_week(0))
    first = ledger.run(lambda book: pick_spotlight(book, result.payday_id)).value
    town.member("aaron")  # a new candidate meanwhile changes nothing for this payday
    again = ledger.run(lambda book: pick_spotlight(book, result.payday_id)).value
    assert again == first

    with pytest.raises(sa.exc.IntegrityError):  # the schema keeps it to one per payday
        with ledger.begin() as book:
            book.conn.execute(spotlights.insert().values(
                community_id=town.community_id, payday_id=result.payday_id, week_start=_week(0), kind="member",
                featured_id=town.ids["aaron"], created_at=dt.datetime(2026, 11, 23, tzinfo=dt.timezone.utc)))
    with ledger.begin(readonly=True) as book:
        assert book.conn.execute(sa.select(sa.func.count()).select_from(spotlights)).scalar_one() == 1
