# Every refusal a member meets on the console: each says what to do, and changes nothing.

treasurer: /tip admin credit @alice 5
  ok: Their balance is now $5.00.
bob: /tip receive on
  ok: You now receive tips.

# the line itself
hello there
  refused malformed_line: Start each line with who is speaking, like `alice: /tip @bob 1`.
alice: /tip dance
  refused invalid: I don't know the command `dance`. Try `/tip help`.
alice: /tip 5 @bob
  refused invalid: Name the member first, then the amount: `/tip @name 5`.
alice: /tip @bob
  refused invalid: How much? For example `/tip @bob 1`.

# amounts
alice: /tip @bob -1
  refused malformed_amount: Amounts cannot be negative. Use 0 to end a weekly tip.
alice: /tip @bob 1e3
  refused malformed_amount: `1e3` is not an amount.
alice: /tip @bob NaN
  refused malformed_amount: `NaN` is not an amount.
alice: /tip @bob 1,000
  refused malformed_amount: is ambiguous: use a dot for decimals and no thousands separators
alice: /tip @bob 1.005
  refused malformed_amount: USD has 2 decimals
alice: /tip @bob 3 EUR
  refused malformed_amount: This community tips in USD
alice: /tip @bob 100000000000000000
  refused malformed_amount: more than Tipbot handles
alice: /tip @bob 100.01
  refused over_limit: A weekly tip is at most $100.00 here.

# who
alice: /tip @alice 1
  refused self_tip: You can't tip yourself.
alice: /tip @bob @bob 1
  refused invalid: Each member can appear only once in one tip.
alice: /tip @carol 0
  refused invalid: You have no weekly tip to carol to end.

# one-off tips
alice: /tip @carol 1 once
  refused not_receiving: carol has not opted in to receive tips yet
alice: /tip @bob 6 once
  refused insufficient_balance: Not enough balance: this needs $6.00 and the balance is $5.00.
alice: /tip @bob @carol 1 once
  refused not_receiving: carol has not opted in
alice: /tip @bob 0 once
  refused invalid: A one-off tip must be more than zero.

# other commands
alice: /tip history 500
  refused invalid: Show between 1 and 100 entries
alice: /tip receive please
  refused invalid: Say `/tip receive on` to receive tips, or `/tip receive off` to stop.

# admin, as a member and as an admin
alice: /tip admin credit @alice 100
  refused not_admin: Only an admin of this community can credit balances; nothing changed.
alice: /tip admin limits max-weekly 1000
  refused not_admin: Only an admin of this community can see or change the limits
alice: /tip admin channel #random
  refused not_admin: Only an admin of this community can choose where payday summaries go
treasurer: /tip admin debit @bob 1
  refused insufficient_balance: this needs $1.00 and the balance is $0.00
treasurer: /tip admin limits max-once 0
  refused invalid: A limit must be more than zero
treasurer: /tip admin frobnicate
  refused invalid: I don't know `admin frobnicate`.

# after all that, nothing moved
alice: /tip balance
  ok: Your balance is $5.00.
alice: /tip history
  ok: Your last 1 transfer, newest first:
