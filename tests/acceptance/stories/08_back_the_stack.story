# Back the Stack: projects, maintainers, takes (and their cap), tips and stacks, pledges to a
# project nobody receives for, a maintainer leaving; the payday splits a project's income,
# carries what is left over and pays it out the next week. The test checks the ledger
# (`tipbot ledger check`) after every line.

treasurer: /tip admin credit @alice 100
  ok: Their balance is now $100.00.
bob: /tip receive on
  ok: You now receive tips.
carol: /tip receive on
  ok: You now receive tips.

# a project is created; its creator is its first maintainer; maintainers add others
bob: /tip project add Pillow @carol
  ok: Created project pillow, maintained by bob, carol.
alice: /tip project add pillow @alice
  refused not_maintainer: Only maintainers of pillow
bob: /tip project add stack
  refused invalid: `stack` is a command word
bob: /tip project pillow packages pypi:Pillow npm:pillow
  ok: pillow publishes pypi:pillow, npm:pillow.

# the take cap: a new take rises at most to the allowance, $1.00
bob: /tip take pillow 3
  ok: Your weekly take from pillow is now $1.00, not the $3.00 you asked
carol: /tip take pillow 0.50
  ok: Your weekly take from pillow is now $0.50 (it was $0.00).
alice: /tip take pillow 1
  refused not_maintainer: Only maintainers of pillow have a take

# tipping a project by its bare name; a word naming no project
alice: /tip pillow 1.01 for the 10.0 release
  ok: You now tip pillow $1.01 a week, about $4.38 a month.
alice: /tip bob 1
  refused unknown_project: no project named bob; to tip a member, mention them: @bob
# the limits of tips to members hold for projects too
alice: /tip pillow 100.01
  refused over_limit: A weekly tip is at most $100.00 here.
alice: /tip pillow 100.01 once
  refused over_limit: A one-off tip is at most $100.00 here.

# a project without a receiving maintainer gets pledges only
dave: /tip project add buildout
  ok: Created project buildout, maintained by dave.
alice: /tip buildout 2
  ok: buildout has no maintainer who receives tips yet, so this is a pledge
alice: /tip buildout 2 once
  refused not_receiving: buildout has no maintainer who receives tips yet

# a stack: $10.00 over three names, one a package; the remainder goes to the first named
carol: /tip project add plone
  ok: Created project plone
alice: /tip stack 10 plone pypi:pillow buildout
  ok: You back 3 projects with $10.00 a week: $3.33 each, and the $0.01 that doesn't split evenly goes to plone, named first.
  ok: Your weekly tip to pillow is now $3.33 a week
alice: /tip stack 10 plone zope npm:left-pad
  refused unknown_project: Nothing here matches `zope`, `npm:left-pad`. No tip was set.
alice: /tip projects
  ok: pillow: receives $3.33 a week from 1 tipper, 2 maintainers; publishes npm:pillow, pypi:pillow
  ok: buildout: receives $0.00 a week ($3.33 pledged, waiting for a maintainer who receives)

# payday: pillow's $3.33 covers bob's $1.00 and carol's $0.50; $1.83 is carried
treasurer: /tip admin payday now
  ok: Payday
bob: /tip project pillow
  ok: bob: $1.00 (asked $3.00; capped this week), got $1.00 last payday
  ok: carol: $0.50, got $0.50 last payday
  ok: received $3.33, paid $1.50 to maintainers, carried $1.83.
  ok: Leftover carried now: $1.83.
bob: /tip balance
  ok: Your balance is $1.00.

# last payday bob got $1.00, so his take may rise to $2.00 this week
bob: /tip take pillow 3
  ok: Your weekly take from pillow is now $2.00, not the $3.00 you asked

# a week later alice gives pillow $1.00: with the $1.83 carried it covers bob's $2.00 and
# carol's $0.50, so the leftover is paid out and $0.33 is carried on
alice: /tip pillow 1
  ok: Your weekly tip to pillow is now $1.00 a week
later 7 days
  ok: It is now
treasurer: /tip admin payday now
  ok: Payday
bob: /tip project pillow
  ok: bob: $2.00
  ok: carol: $0.50
  ok: received $1.00, paid $2.50 to maintainers, carried $0.33.
bob: /tip balance
  ok: Your balance is $3.00.

# a maintainer leaves; the last one leaving leaves pledges behind
carol: /tip project remove pillow @carol
  ok: You left pillow.
alice: /tip project remove plone @carol
  refused not_admin: Only maintainers of plone or an admin
carol: /tip project remove plone @carol
  ok: plone has no maintainers now: tips to it wait as pledges.
alice: /tip project plone
  ok: No maintainers: tips to it are pledges
alice: /tip balance
  ok: Your balance is $88.99.

# the next payday: plone, maintained by nobody, gets alice's $3.34 as a pledge, not paid; pillow's
# $1.00 and its $0.33 carried go to bob alone, short of his $2.00 take
later 7 days
  ok: It is now
treasurer: /tip admin payday now
  ok: Payday
alice: /tip balance
  ok: Your balance is $87.99.
alice: /tip project plone
  ok: received $0.00, paid $0.00 to maintainers, carried $0.00.
alice: /tip projects
  ok: plone: receives $0.00 a week ($3.34 pledged, waiting for a maintainer who receives)
bob: /tip project pillow
  ok: received $1.00, paid $1.33 to maintainers, carried $0.00.
bob: /tip balance
  ok: Your balance is $4.33.
treasurer: /tip project add plone @carol
  ok: carol now maintains plone.
