# Leaderboards: public profiles by name, everyone else folded into "others".

treasurer: /tip admin credit @alice 20
  ok: Their balance is now $
treasurer: /tip admin credit @dave 20
  ok: Their balance is now $
bob: /tip receive on
  ok: You now receive tips.
carol: /tip receive on
  ok: You now receive tips.
erin: /tip receive on
  ok: You now receive tips.
bob: /tip profile
  ok: Your profile is private
bob: /tip profile public
  ok: Your profile is public
alice: /tip profile public
  ok: Your profile is public
alice: /tip @bob 3 once
  ok: as a one-off tip.
alice: /tip @carol 2 once
  ok: as a one-off tip.
dave: /tip @bob 1 once
  ok: as a one-off tip.
dave: /tip @erin 4 once anonymous
  ok: as an anonymous one-off tip
bob: /tip top all
  ok: Top receivers since the start:
  ok:   1. bob: $4.00
  ok:   and 2 others with private profiles
bob: /tip top all given
  ok: Top givers since the start:
  ok:   1. alice: $5.00
  ok:   and 1 other with a private profile
carol: /tip top all received
  ok: (Your profile is private; `/tip profile public` to appear by name.)
carol: /tip admin top counts
  refused not_admin: Only an admin of this community can choose what leaderboards show
treasurer: /tip admin top counts
  ok: Leaderboards now show how many tips each member gave or received.
bob: /tip top given all
  ok:   1. alice: 2 tips
bob: /tip top sometimes
  refused invalid: Usage: `/tip top [week|month|year|all] [given|received]`.
treasurer: /tip admin top amounts
  ok: Leaderboards now show amounts.
