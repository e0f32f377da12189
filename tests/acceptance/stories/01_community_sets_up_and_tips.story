# A community sets up on the console, funds its members, and they tip weekly and once.
# Each message line is followed by what must come back (ok / refused CODE / dm NAME), as fragments.

treasurer: /tip admin limits
  ok: Limits: a weekly tip is at most $100.00 to one member, and a one-off tip at most $100.00
treasurer: /tip admin limits max-weekly 50 max-once 20
  ok: Limits are now: a weekly tip is at most $50.00 to one member, and a one-off tip at most $20.00
treasurer: /tip admin channel #payday
  ok: Payday summaries for this space now go to #payday.
treasurer: /tip admin credit @alice 30 allowance for November
  ok: Recorded $30.00 paid in by alice ("allowance for November"). Their balance is now $30.00.
  dm alice: An admin recorded $30.00 paid in to your Tipbot balance
treasurer: /tip admin credit @carol 12.50 USD
  ok: Their balance is now $12.50.

# alice tips bob before bob ever used Tipbot: a pledge, and bob is told once
alice: /tip @bob 1 for the CI fixes
  ok: You now tip bob $1.00 a week, about $4.33 a month.
  ok: so this is a pledge
  ok: Your weekly tips now total $1.00 a week, about $4.33 a month ($1.00 of it pledged).
  dm bob: alice pledged $1.00 a week to you on Tipbot.
alice: /tip @bob 2 once
  refused not_receiving: bob has not opted in to receive tips yet, so a one-off tip can't reach them.
bob: /tip
  ok: Pledged to you (paid once you say `/tip receive on`):
  ok: alice: $1.00 a week (pledge)
bob: /tip receive on
  ok: You now receive tips. Weekly tips to you, $1.00 a week (about $4.33 a month), are paid from the next payday: alice ($1.00).

# now one-off tips reach bob
alice: /tip @bob 2 once thanks for the release
  ok: You gave bob $2.00 as a one-off tip ("thanks for the release"). Your balance is now $28.00.
  dm bob: alice gave you a one-off tip of $2.00
bob: /tip balance
  ok: Your balance is $2.00.

# carol tips several members at once, weekly and once
dave: /tip receive on
  ok: You now receive tips.
carol: /tip @bob @dave 1.50
  ok: You now tip bob $1.50 a week, about $6.50 a month.
  ok: You now tip dave $1.50 a week, about $6.50 a month.
  ok: Your weekly tips now total $3.00 a week, about $13.00 a month.
carol: /tip @bob @dave 5 once
  ok: You gave bob, dave $5.00 each ($10.00 in all) as a one-off tip. Your balance is now $2.50.
  dm bob: carol gave you a one-off tip of $5.00
  dm dave: carol gave you a one-off tip of $5.00

# alice changes her tip, confirms a large one, then ends one
alice: /tip @bob 3
  ok: Your weekly tip to bob is now $3.00 a week, about $13.00 a month (it was $1.00).
alice: /tip @dave 30
  ok: $30.00 a week to dave is about $130.00 a month. Set it?
  ok: `/tip @dave 30 confirm`
alice: /tip @dave 30 confirm
  ok: You now tip dave $30.00 a week, about $130.00 a month.
  ok: Your weekly tips now total $33.00 a week, about $143.00 a month.
alice: /tip @dave 0
  ok: You ended your weekly tip to dave (it was $30.00 a week).
alice: /tip list
  ok: You tip every week:
  ok: bob: $3.00 a week
alice: /tip history 3
  ok: Your last 2 transfers, newest first:
  ok: -$2.00  one-off tip to bob ("thanks for the release")
  ok: +$30.00  paid in (recorded by an admin) ("allowance for November")

# bob is paid out by the treasurer and stops receiving
treasurer: /tip admin debit @bob 7 paid by bank transfer
  ok: Recorded $7.00 paid out to bob ("paid by bank transfer"). Their balance is now $0.00.
bob: /tip receive off
  ok: You no longer receive tips. Weekly tips to you ($4.50 a week) are pledges again
bob: help receiving
  ok: /tip receive on
