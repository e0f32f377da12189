# Weekly tips are paid at payday; pledges wait until their tippee opts in.
# (The payday itself is issue 4's; this story checks what members see around it.)

treasurer: /tip admin credit @alice 10
  ok: Their balance is now $10.00.
bob: /tip receive on
  ok: You now receive tips.
alice: /tip @bob 1
  ok: You now tip bob $1.00 a week, about $4.33 a month.
alice: /tip @carol 2
  ok: so this is a pledge
treasurer: /tip admin payday now
  ok: Payday
alice: /tip balance
  ok: Your balance is $9.00. Your weekly tips take $1.00 each payday.
bob: /tip balance
  ok: Your balance is $1.00.
carol: /tip balance
  ok: Your balance is $0.00.
bob: /tip history
  ok: +$1.00  weekly tip from alice
carol: /tip receive on
  ok: are paid from the next payday: alice ($2.00).
alice: /tip
  ok: bob: $1.00 a week
  ok: carol: $2.00 a week
