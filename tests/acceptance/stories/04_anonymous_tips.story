# Anonymous tips: the tippee is told "someone", never who; the tipper sees it is theirs.
# (tests/bot/test_anonymous.py also checks that no text bob can see contains "alice".)

treasurer: /tip admin credit @alice 10
  ok: Their balance is now $
bob: /tip receive on
  ok: You now receive tips.
alice: /tip @bob 1 anonymous
  ok: You now tip bob $1.00 a week, about $4.33 a month anonymously (they are not told who).
alice: /tip @bob 2 once anonymous thanks
  ok: as an anonymous one-off tip (they are not told who) ("thanks")
  dm bob: Someone gave you an anonymous one-off tip of $2.00 ("thanks").
bob: /tip
  ok: someone (anonymous): $1.00 a week
bob: /tip history
  ok: +$2.00  one-off tip from someone (anonymous) ("thanks")
alice: /tip history
  ok: -$2.00  one-off tip to bob (anonymous) ("thanks")
# Changing the amount keeps the tip anonymous; `named` reveals it.
alice: /tip @bob 1.5
  ok: Your weekly tip to bob is now $1.50 a week, about $6.50 a month anonymously (they are not told who) (it was $1.00).
alice: /tip
  ok: bob: $1.50 a week (anonymous)
alice: /tip @bob 1.5 named
  ok: Your weekly tip to bob stays $1.50 and is now named: they see it is you.
bob: /tip
  ok: alice: $1.50 a week
treasurer: /tip admin payday now
  ok: Payday
bob: /tip history
  ok: +$1.50  weekly tip from alice
alice: /tip @bob 1 anonymous named
  refused invalid: Say `anonymous` or `named`, not both.
