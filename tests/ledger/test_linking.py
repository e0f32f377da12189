"""ledger.linking on both databases: spaces joining a community, identities linking to a member."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import sqlalchemy as sa

from ledger import linking
from ledger.api import Ledger
from ledger.check import check_ledger
from ledger.errors import NotAdmin
from ledger.linking import CodeRefused
from ledger.money import Money
from tests.dbs import dump_tables

T0 = dt.datetime(2026, 11, 19, 12, 0, tzinfo=dt.timezone.utc)


def _setup(ledger: Ledger) -> dict:
    """A Slack workspace where alice has 5.00, and a fresh Discord server."""
    with ledger.begin() as book:
        slack = book.ensure_space("slack", "T1", name="Acme Slack")
        discord = book.ensure_space("discord", "G1", name="Acme Discord", currency="EUR")
        alice = book.ensure_member(slack, "U_ALICE", "alice")
        bob = book.ensure_member(slack, "U_BOB", "bob")
        book.set_receiving(bob.id, True)
        book.credit(alice.id, Money(500, "USD"), by_admin=True)
    return {"slack": slack, "discord": discord, "alice": alice, "bob": bob}


def _invite(ledger: Ledger, space, now=T0) -> str:
    return ledger.run(lambda b: linking.create_invite(b, space.id, by_admin=True, now=now).code).value


def _refused(ledger: Ledger, op, code: str) -> None:
    before = dump_tables(ledger.engine)
    with pytest.raises(CodeRefused) as raised:
        ledger.run(op)
    assert raised.value.code == code, raised.value.message
    assert dump_tables(ledger.engine) == before


def test_join_moves_the_space_and_its_members_into_the_inviting_community(ledger: Ledger) -> None:
    s = _setup(ledger)
    with ledger.begin() as book:  # a member who used the Discord server before the join, without activity
        carol = book.ensure_member(s["discord"], "D_CAROL", "carol")
    code = _invite(ledger, s["slack"])
    joined = ledger.run(lambda b: linking.join_community(b, s["discord"].id, code.lower().replace("-", " "),
                                                         by_admin=True, now=T0)).value
    assert joined.community.id == s["slack"].community_id and joined.members_moved == 1
    with ledger.begin() as book:
        assert book.space("discord", "G1").community_id == s["slack"].community_id
        assert [sp.external_id for sp in book.spaces_of(s["slack"].community_id)] == ["T1", "G1"]
        carol_now = book.find_member(book.space("discord", "G1"), "D_CAROL")
        assert carol_now.id == carol.id and carol_now.community_id == s["slack"].community_id
        assert book.balance(carol.id) == Money(0, "USD")  # takes the community's currency
        # the shared ledger: carol (Discord) and bob (Slack) can now tip each other
        book.set_tip(carol.id, s["bob"].id, Money(100, "USD"))
        book.tip_once(s["alice"].id, [(s["bob"].id, Money(200, "USD"))])
    # the code is spent
    _refused(ledger, lambda b: linking.join_community(b, s["discord"].id, code, by_admin=True, now=T0), "code_used")
    with ledger.engine.connect() as connection:
        assert check_ledger(connection) == []  # balances and zero sums hold after the move


def test_join_refusals_change_nothing(ledger: Ledger) -> None:
    s = _setup(ledger)
    code = _invite(ledger, s["slack"])
    join = lambda space_id, text, now=T0, admin=True: (  # noqa: E731
        lambda b: linking.join_community(b, space_id, text, by_admin=admin, now=now))
    _refused(ledger, join(s["discord"].id, "ZZZZ-ZZZZ"), "bad_code")
    _refused(ledger, join(s["discord"].id, "   "), "bad_code")
    _refused(ledger, join(s["discord"].id, code, now=T0 + linking.INVITE_TTL), "code_expired")
    _refused(ledger, join(s["slack"].id, code), "already_linked")  # the inviting space itself
    with pytest.raises(NotAdmin):
        ledger.run(join(s["discord"].id, code, admin=False))
    with pytest.raises(NotAdmin):
        ledger.run(lambda b: linking.create_invite(b, s["slack"].id, by_admin=False))
    # a member's link code is not an invite
    link_code = ledger.run(lambda b: linking.create_link_code(b, s["alice"].id, s["slack"].id, now=T0).code).value
    _refused(ledger, join(s["discord"].id, link_code), "bad_code")


def test_a_space_with_ledger_activity_cannot_join(ledger: Ledger) -> None:
    s = _setup(ledger)
    with ledger.begin() as book:
        dave = book.ensure_member(s["discord"], "D_DAVE", "dave")
        erin = book.ensure_member(s["discord"], "D_ERIN", "erin")
        book.set_tip(dave.id, erin.id, Money(100, "EUR"))  # a pledge is activity too
    code = _invite(ledger, s["slack"])
    _refused(ledger, lambda b: linking.join_community(b, s["discord"].id, code, by_admin=True, now=T0),
             "has_activity")


def test_a_space_already_sharing_its_community_cannot_move_again(ledger: Ledger) -> None:
    s = _setup(ledger)
    with ledger.begin() as book:
        other = book.ensure_space("discord", "G2", name="Other")
    first = _invite(ledger, s["slack"])
    ledger.run(lambda b: linking.join_community(b, s["discord"].id, first, by_admin=True, now=T0))
    # G2 invites the Slack workspace, which already shares its community with G1
    code = _invite(ledger, other)
    _refused(ledger, lambda b: linking.join_community(b, s["slack"].id, code, by_admin=True, now=T0),
             "already_linked")
    # and a space cannot join the community it is already in
    code = _invite(ledger, s["slack"])
    _refused(ledger, lambda b: linking.join_community(b, s["discord"].id, code, by_admin=True, now=T0),
             "already_linked")


def _joined(ledger: Ledger) -> dict:
    s = _setup(ledger)
    code = _invite(ledger, s["slack"])
    ledger.run(lambda b: linking.join_community(b, s["discord"].id, code, by_admin=True, now=T0))
    with ledger.begin() as book:
        s["discord"] = book.space_by_id(s["discord"].id)
    return s


def test_linking_an_identity_gives_one_balance_and_one_set_of_tips(ledger: Ledger) -> None:
    s = _joined(ledger)
    with ledger.begin() as book:
        book.set_tip(s["alice"].id, s["bob"].id, Money(150, "USD"))
        newcomer = book.ensure_member(s["discord"], "D_ALICE", "alice#0001")  # first use on Discord
    code = ledger.run(lambda b: linking.create_link_code(b, s["alice"].id, s["slack"].id, now=T0).code).value
    member = ledger.run(lambda b: linking.link_identity(b, s["discord"].id, "D_ALICE", code,
                                                        now=T0 + dt.timedelta(minutes=29))).value
    assert member.id == s["alice"].id
    with ledger.begin() as book:
        on_discord = book.find_member(s["discord"], "D_ALICE")
        assert on_discord.id == s["alice"].id
        assert book.balance(on_discord.id) == Money(500, "USD")
        assert [t.other_name for t in book.tips_given(on_discord.id)] == ["bob"]
        assert [sp.platform for sp, _ in book.identities_of(s["alice"].id)] == ["slack", "discord"]
        # the empty member the Discord identity had is gone
        assert book.conn.execute(sa.text("SELECT count(*) FROM members WHERE id = :i"),
                                 {"i": newcomer.id}).scalar() == 0
    with ledger.engine.connect() as connection:
        assert check_ledger(connection) == []
    # spent, and the identity is now linked
    _refused(ledger, lambda b: linking.link_identity(b, s["discord"].id, "D_ALICE", code, now=T0), "code_used")
    code2 = ledger.run(lambda b: linking.create_link_code(b, s["alice"].id, s["slack"].id, now=T0).code).value
    _refused(ledger, lambda b: linking.link_identity(b, s["discord"].id, "D_ALICE", code2, now=T0),
             "already_linked")
    # a second Discord account can't attach to a member who already has one here
    with ledger.begin() as book:
        book.ensure_member(s["discord"], "D_ALICE_ALT", "alt")
    _refused(ledger, lambda b: linking.link_identity(b, s["discord"].id, "D_ALICE_ALT", code2, now=T0),
             "already_linked")


def test_link_refusals_change_nothing(ledger: Ledger) -> None:
    s = _joined(ledger)
    with ledger.begin() as book:
        book.ensure_member(s["discord"], "D_ALICE", "alice")
        busy = book.ensure_member(s["discord"], "D_BUSY", "busy")
        book.set_tip(busy.id, s["bob"].id, Money(100, "USD"))
        lonely = book.ensure_space("discord", "G9", name="Elsewhere")
        book.ensure_member(lonely, "D_ALICE", "alice")
    code = ledger.run(lambda b: linking.create_link_code(b, s["alice"].id, s["slack"].id, now=T0).code).value
    link = lambda space_id, user, text, now=T0: (  # noqa: E731
        lambda b: linking.link_identity(b, space_id, user, text, now=now))
    _refused(ledger, link(s["discord"].id, "D_ALICE", "NOPE-NOPE"), "bad_code")
    _refused(ledger, link(s["discord"].id, "D_ALICE", code, now=T0 + linking.LINK_TTL), "code_expired")
    _refused(ledger, link(s["discord"].id, "D_BUSY", code), "has_activity")
    _refused(ledger, link(lonely.id, "D_ALICE", code), "other_community")
    _refused(ledger, link(s["slack"].id, "U_ALICE", code), "already_linked")  # itself
    invite = _invite(ledger, s["slack"])
    _refused(ledger, link(s["discord"].id, "D_ALICE", invite), "bad_code")  # an invite is not a link code
    # still good after all that
    ledger.run(link(s["discord"].id, "D_ALICE", code))


def test_codes_are_stored_hashed_and_schema_refuses_nonsense(ledger: Ledger) -> None:
    s = _setup(ledger)
    code = _invite(ledger, s["slack"])
    with ledger.engine.connect() as connection:
        stored = connection.execute(sa.select(linking.link_codes.c.code_hash)).scalar_one()
    assert linking.normalize(code) not in stored and len(stored) == 64
    with pytest.raises(sa.exc.IntegrityError):  # an identity code must name its member
        with ledger.engine.begin() as connection:
            connection.execute(linking.link_codes.insert().values(
                code_hash="x" * 64, kind="identity", community_id=s["slack"].community_id, space_id=s["slack"].id,
                created_at=T0, expires_at=T0 + dt.timedelta(minutes=1)))


@pytest.mark.postgres_only
def test_a_code_is_redeemed_once_under_concurrency(pg_url: str) -> None:
    ledger = Ledger.connect(pg_url, upgrade=False)
    try:
        with ledger.begin() as book:
            home = book.ensure_space("slack", "T1")
            others = [book.ensure_space("discord", f"G{i}") for i in range(4)]
        code = _invite(ledger, home)
        barrier = threading.Barrier(len(others))
        results: list[str] = []

        def join(space) -> None:
            barrier.wait()
            try:
                ledger.run(lambda b: linking.join_community(b, space.id, code, by_admin=True, now=T0))
                results.append("joined")
            except CodeRefused as refused:
                results.append(refused.code)

        threads = [threading.Thread(target=join, args=(space,)) for space in others]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == ["code_used"] * 3 + ["joined"]
        with ledger.begin() as book:
            assert len(book.spaces_of(home.community_id)) == 2
    finally:
        ledger.dispose()
