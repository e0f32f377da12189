"""Help texts: they teach by example. `/tip help` shows the overview, `/tip help TOPIC` a topic."""

from __future__ import annotations

OVERVIEW = """\
Tipbot: tip the people who help you, every week or once.

  /tip @bob 1                 tip bob $1.00 every week (paid at payday)
  /tip @bob 5 once thanks!    give bob $5.00 now, from your balance
  /tip @bob @carol 2          the same weekly tip to several members
  /tip @bob 0                 end your weekly tip to bob
  /tip                        your tips given and received, balance, next payday
  /tip balance                your balance
  /tip history 20             your last 20 transfers
  /tip history csv            all of them, as a CSV file only you get
  /tip statement 2026         tips you gave and received in 2026, by month
  /tip receive on             opt in to receive tips (until then tips to you are pledges)
  /tip receipts on            a receipt by direct message after each payday (off: stop them)
  /tip projects               the community's projects; back one with `/tip pillow 1`
  /tip @bob 1 anonymous       a weekly tip bob is never told is yours
  /tip top                    this week's top receivers (`/tip top month given`, ...)
  /tip profile public         appear by name on leaderboards (private by default)

More: /tip help TOPIC, where TOPIC is one of: tips, amounts, receiving, funding, link, projects, chat, admin."""

TOPICS: dict[str, str] = {
    "tips": """\
Weekly tips are paid every payday, whole or not at all, while your balance covers them.

  /tip @bob 1                 set your weekly tip to bob to $1.00 (about $4.33 a month)
  /tip @bob 2 for the docs    change it to $2.00, with a note
  /tip @bob 0                 end it
  /tip @bob @carol 1          $1.00 a week to each of them

One-off tips are paid right now from your balance, all or nothing:

  /tip @bob 5 once            give bob $5.00 now
  /tip @bob @carol 3 once     $3.00 each, now (refused whole if one of them can't receive)

A weekly tip to someone who has not opted in is a pledge: recorded and shown, paid once
they say `/tip receive on`. A one-off tip to them is refused, since it couldn't reach them.
Large weekly tips ask you to confirm first (on the console: type the same command with
`confirm` after the amount, e.g. `/tip @bob 40 confirm`).

Anonymous tips: bob's messages, lists, history, receipts and leaderboards say "someone":

  /tip @bob 1 anonymous       weekly, anonymous; changing the amount later keeps it anonymous
  /tip @bob 5 once anonymous  once, anonymous
  /tip @bob 1 named           the same tip, no longer anonymous""",
    "chat": """\
Leaderboards name members with a public profile; everyone else is counted as "others".

  /tip top                    this week's top receivers
  /tip top month given        this month's top givers (anonymous tips never count for their giver)
  /tip top year | all         this year, or since the start (weeks start Monday 00:00 UTC)
  /tip profile public         appear by name on leaderboards
  /tip profile private        don't (the default)
  /tip admin reactions        the emojis that tip when you react with them to a member's message

Reacting with a mapped emoji (say :taco:) to someone's message tips its author that amount once,
from your balance: once per message and emoji, never yourself or a bot, within a daily cap
(5.00 unless an admin changes it). Removing the reaction does not refund. Refusals reach
you privately; the author gets one message summing up their reaction tips every few minutes.

"Tip the author": on a member's message, open its menu (Slack: More actions; Discord: Apps)
and pick Tip the author. A form asks the amount, once or weekly, and a note, and does exactly
what `/tip @author AMOUNT [once] note` does; only you see the answer.

The weekly payday summary names the week's top 3 receivers who have a public profile.""",
    "amounts": """\
Amounts are in the community's currency, with at most its decimals:

  1   1.5   1.50   $1.50   1.50 USD

Refused, with nothing changed: negative amounts, `1e3`, `NaN`, `1,50`, more decimals than
the currency has, another currency, and anything over the community's limits
(see `/tip admin limits`). `0` ends a weekly tip.""",
    "receiving": """\
  /tip receive on             receive tips; pledges waiting for you start paying at the next payday
  /tip receive off            stop receiving; weekly tips to you become pledges again
  /tip receipts on            after each payday that moves your money, a receipt by direct message:
                              what you gave, what you received, and your balance
  /tip receipts off           no more receipts

You can be tipped before you ever used Tipbot. The first pledge to you sends you a note, once.""",
    "funding": """\
Manual funding (the default): an admin records money you paid in or were paid out.

  /tip admin credit @bob 20 dues for May
  /tip admin debit @bob 15 paid out by bank transfer

Stripe funding (an admin turns it on with `/tip admin funding stripe`):

  /tip fund                   get a link to save a card; your weekly tips are charged from it
  /tip fund 20                the same, saying how much you plan to give
  /tip payout                 get a link to connect a Stripe account to receive tips""",
    "link": """\
One person, one balance, on every space of a community (its Slack and its Discord):

  /tip link                   on the space you use already: get a code
  /tip link 4F7QX2            on the other space: enter the code to link the two""",
    "admin": """\
Admin commands (Slack workspace admins, Discord members with Manage Server, and configured admins):

  /tip admin credit @bob 20 [note]    manual mode: record money bob paid in
  /tip admin debit @bob 20 [note]     manual mode: record money paid out to bob
  /tip admin channel #general         post payday summaries to #general
  /tip admin payday                   when the next payday runs, and how the last one went
  /tip admin payday dry-run           what the next payday would pay, without paying
  /tip admin payday now               run this week's payday now (once per week)
  /tip admin limits                   show the limits
  /tip admin limits max-weekly 100 max-once 50
  /tip admin funding manual|stripe    how money comes in and goes out
  /tip admin funding minimum [20]     show (or set) the least a card is charged at once (default 10.00)
  /tip admin invite                   get a code to join another space to this community
  /tip admin join CODE                on the other space: join it with the code
  /tip admin spotlight on|off         a weekly "Back the Stack" post after the payday summary
  /tip admin top amounts|counts       what leaderboards show (amounts by default)
  /tip admin web public|private       serve this community's web pages and badges (private by default)
  /tip admin reactions :taco: 0.50    reacting with :taco: tips the message's author 0.50, once
  /tip admin reactions remove :taco:  it no longer does
  /tip admin reactions cap 5          what one member's reactions may tip per day (UTC)""",
    "projects": """\
Back the Stack: tip the projects you depend on; their maintainers share what they receive.

  /tip projects                       every project, with what it receives
  /tip project pillow                 maintainers, takes, income, leftover carried, packages
  /tip pillow 1                       tip project pillow $1.00 a week (a bare name, no @)
  /tip pillow 5 once                  give pillow $5.00 now, shared at the next payday
  /tip stack 10 pillow pypi:requests  $10.00 a week split across projects (or the packages
                                      they publish); what doesn't split evenly goes to the first
  /tip project add pillow @bob        create pillow (you maintain it) or add maintainers
  /tip project remove pillow @bob     a maintainer leaves (name yourself) or is removed
  /tip project pillow packages pypi:pillow npm:pillow   what it publishes
  /tip take pillow 10                 your weekly take from pillow (0: none)

At payday a project's income plus its leftover pays each maintainer their take, and the rest
is carried to next week. When it falls short, it is shared in proportion to the takes (all
takes 0: equally). A take rises at most to twice what you got last payday, or $1.00, per
week. A project none of whose maintainers receives gets pledges only. With the spotlight on
(`/tip admin spotlight on`), a weekly "Back the Stack" post after the summary features one
project or member, with a button (Slack, Discord) that asks you to confirm $1.00 a week.
On Discord: /project, /projects, /take and /stack.""",
}

ALIASES = {"tip": "tips", "weekly": "tips", "once": "tips", "amount": "amounts", "money": "amounts",
           "receive": "receiving", "pledge": "receiving", "pledges": "receiving", "fund": "funding",
           "receipts": "receiving", "receipt": "receiving",
           "payout": "funding", "stripe": "funding", "credit": "funding", "debit": "funding",
           "linking": "link", "project": "projects", "stack": "projects", "take": "projects",
           "takes": "projects", "spotlight": "admin", "top": "chat", "leaderboard": "chat", "profile": "chat",
           "reactions": "chat", "reaction": "chat", "author": "chat",
           "anonymous": "tips", "admins": "admin", "payday": "admin",
           "limits": "admin", "channel": "admin"}


def web_lines(community_page: str | None, me_page: str | None) -> str:
    """The overview's lines about the web: the community's page while it is public, /me while
    sign-in is configured; nothing when neither is."""
    lines = []
    if community_page:
        lines.append(f"On the web: this community's page, {community_page} (members with a public profile).")
    if me_page:
        lines.append(f"Sign in at {me_page} with your chat account to see and change your tips there.")
    return "\n".join(lines)


def help_text(topic: str | None, web: str = "") -> tuple[str, bool]:
    """The help for `topic` (None: the overview, with `web`, from `web_lines`, after it); the
    flag says whether the topic was known."""
    if not topic:
        return f"{OVERVIEW}\n\n{web}" if web else OVERVIEW, True
    for word in (topic, topic.split()[0]):  # `help admin payday` -> admin
        key = ALIASES.get(word, word)
        if key in TOPICS:
            return TOPICS[key], True
    return f"I have no help about `{topic}`.\n\n{OVERVIEW}", False
