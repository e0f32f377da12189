"""The signed-in half of the web: Sign in with Slack or Discord, and `/me`.

A member signs in with a platform identity (oauth.py), gets a signed session cookie
(session.py) scoped to /me, and sees their tips, history and privacy on /me (routes.py).
Every write is a bot command dispatched as the member's own chat identity, with the web
as the surface its reply is shown on (acting.py), a CSRF token (csrf.py) and an
idempotency key per form. Needs the [web] extra (starlette, jinja2, itsdangerous, httpx).
See docs/architecture.md, "The signed-in web".
"""
