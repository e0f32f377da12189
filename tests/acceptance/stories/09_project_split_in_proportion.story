# A project whose income falls short of its maintainers' takes shares it in proportion to
# the takes, the units left over by largest fraction, then to the oldest maintainer.

treasurer: /tip admin credit @alice 50
  ok: Their balance is now $50.00.
bob: /tip receive on
  ok: You now receive tips.
carol: /tip receive on
  ok: You now receive tips.
dave: /tip receive on
  ok: You now receive tips.
bob: /tip project add requests @carol @dave
  ok: Created project requests, maintained by bob, carol, dave.
bob: /tip take requests 1
  ok: Your weekly take from requests is now $1.00
carol: /tip take requests 1
  ok: Your weekly take from requests is now $1.00
dave: /tip take requests 1
  ok: Your weekly take from requests is now $1.00
alice: /tip requests 1
  ok: You now tip requests $1.00 a week
treasurer: /tip admin payday now
  ok: Payday
# $1.00 for $3.00 of takes: 33.33 cents each, the cent left over to bob, the oldest
bob: /tip balance
  ok: Your balance is $0.34.
carol: /tip balance
  ok: Your balance is $0.33.
dave: /tip project requests
  ok: received $1.00, paid $1.00 to maintainers, carried $0.00.
