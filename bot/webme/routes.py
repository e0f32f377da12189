"""The routes of /me: sign in and out, the dashboard, its forms, history and its CSV.

`routes(runtime)` is the route provider the composition root collects (bot/compose.py):
nothing when no sign-in provider is configured; otherwise one Mount at /me whose session
cookie is scoped to it (session.py). Reads go through the ledger's read API; every write
is a bot command (acting.py), after its CSRF token and idempotency key are checked.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router

from bot.commands import SetProfile, ShowHistory, Tip
from bot.invocation import UserRef
from bot.runtime import Runtime
from bot.webme import acting, csrf, session
from bot.webme.oauth import Provider, SigninFailed, providers
from bot.webme.pages import Pages
from bot.webme.views import dashboard, history_page

log = logging.getLogger(__name__)

HISTORY_PAGE = 20


def routes(runtime: Runtime) -> list[BaseRoute]:
    """The /me routes, or none when neither Slack nor Discord sign-in is configured."""
    configured = providers(runtime.settings)
    if not configured:
        return []
    me = MeRoutes(runtime, configured, Pages())
    inner = Router(routes=[
        Route("/", me.home, methods=["GET"]),
        Route("/signin", me.signin_page, methods=["GET"]),
        Route("/signin/{provider}", me.signin, methods=["GET"]),
        Route("/signin/{provider}/callback", me.callback, methods=["GET"]),
        Route("/signout", me.signout, methods=["POST"]),
        Route("/tip", me.tip, methods=["POST"]),
        Route("/privacy", me.privacy, methods=["POST"]),
        Route("/history", me.history, methods=["GET"]),
        Route("/history.csv", me.history_csv, methods=["GET"]),
    ])
    return [Mount("/me", app=session.with_session(inner, runtime.settings))]


class MeRoutes:
    def __init__(self, runtime: Runtime, configured: dict[str, Provider], pages: Pages) -> None:
        self.runtime = runtime
        self.providers = configured
        self.pages = pages

    # -- signing in and out ------------------------------------------------------

    async def signin_page(self, request: Request) -> Response:
        return self.pages.render("me_signin.html", providers=list(self.providers.values()))

    async def signin(self, request: Request) -> Response:
        provider = self.providers.get(request.path_params["provider"])
        if provider is None:
            return self.pages.message("Not here", "This site does not sign in with that.", 404)
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        request.session["oauth"] = {"provider": provider.platform, "state": state, "nonce": nonce}
        return RedirectResponse(provider.authorize_url(state, nonce), status_code=303)

    async def callback(self, request: Request) -> Response:
        provider = self.providers.get(request.path_params["provider"])
        started = request.session.pop("oauth", None)
        if provider is None:
            return self.pages.message("Not here", "This site does not sign in with that.", 404)
        sent_state = request.query_params.get("state")
        if (not isinstance(started, dict) or started.get("provider") != provider.platform or sent_state is None
                or not secrets.compare_digest(str(started.get("state")).encode(), sent_state.encode())):
            return self.pages.message("Sign-in refused", "That sign-in was not started from this browser (its state "
                                      "does not match), so it was refused. Start again from the sign-in page.", 400)
        if request.query_params.get("error") or not request.query_params.get("code"):
            return self.pages.message("Not signed in", f"{provider.label} did not sign you in "
                                      f"({request.query_params.get('error', 'no code')[:60]}). Nothing changed.", 400)
        try:
            proven = await provider.identity(request.query_params["code"], str(started.get("nonce")))
        except SigninFailed as error:
            return self.pages.message("Not signed in", str(error), 400)
        except httpx.HTTPError as error:
            log.warning("%s sign-in failed: %s", provider.platform, type(error).__name__)
            return self.pages.message("Not signed in", f"{provider.label} could not be reached. Please try again "
                                      f"later.", 502)
        me = await asyncio.to_thread(self.runtime.ledger.read, lambda book: acting.whoami(book, proven))
        if me is None:
            return self.pages.message(
                "We don't know you yet",
                f"Your {provider.label} account has not used Tipbot in any community here yet, so there is nothing "
                f"to show. Use `/tip` once in your community's {provider.label} first, then sign in again. "
                f"Nothing was created.", 403)
        session.sign_in(request.session, proven)
        return RedirectResponse("/me/", status_code=303)

    async def signout(self, request: Request) -> Response:
        form = await _form(request)
        if not csrf.token_matches(request.session, form.get("csrf")):
            return _forbidden(self.pages)
        request.session.clear()
        return RedirectResponse("/me/signin", status_code=303)

    # -- reading -----------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        me = await self._me(request, _int(request.query_params.get("community")))
        if isinstance(me, Response):
            return me
        data = await asyncio.to_thread(self.runtime.ledger.read,
                                       lambda book: dashboard(book, me, history_limit=HISTORY_PAGE))
        return self.pages.render("me.html", me=me, data=data, flash=session.take_flash(request.session),
                                 csrf=request.session["csrf"], new_key=csrf.new_form_key)

    async def history(self, request: Request) -> Response:
        me = await self._me(request, _int(request.query_params.get("community")))
        if isinstance(me, Response):
            return me
        before = _int(request.query_params.get("before"))
        page = await asyncio.to_thread(self.runtime.ledger.read,
                                       lambda book: history_page(book, me, HISTORY_PAGE, before))
        return self.pages.render("me_history.html", me=me, page=page, before=before, csrf=request.session["csrf"])

    async def history_csv(self, request: Request) -> Response:
        """The same file `/tip history csv` sends in chat, made by the same command."""
        me = await self._me(request, _int(request.query_params.get("community")))
        if isinstance(me, Response):
            return me
        reply = await acting.dispatch(self.runtime, acting.invocation(me, ShowHistory(csv=True), None))
        if not reply.ok or reply.attachment is None:
            return self.pages.message("No file", reply.text, 400, me=me)
        attachment = reply.attachment
        return Response(attachment.content, media_type=f"{attachment.mime_type}; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{attachment.filename}"', "Cache-Control": "no-store"})

    # -- writing (every one a bot command) ---------------------------------------

    async def tip(self, request: Request) -> Response:
        checked = await self._checked_form(request)
        if isinstance(checked, Response):
            return checked
        me, form, key = checked
        recipient = _int(form.get("recipient"))
        route = None if recipient is None else await asyncio.to_thread(
            self.runtime.ledger.read, lambda book: acting.route_to(book, me, recipient))
        if route is None:
            return self.pages.message("Nothing changed", "Pick a member of your community to tip.", 400, me=me,
                                      csrf=request.session["csrf"])
        amount = (form.get("amount") or "").strip()
        note = (form.get("note") or "").strip() or None
        command = Tip(recipients=(UserRef(route.their_user_id, route.their_name),), amount_text=amount,
                      once=form.get("once") == "1", note=note, confirmed=form.get("confirmed") == "1")
        inv = acting.invocation(me, command, key, space=route.space, my_user_id=route.my_user_id)
        reply = await acting.dispatch(self.runtime, inv)
        if reply.code == "confirm" and not reply.repeated:
            return self.pages.render("me_confirm.html", me=me, reply=reply, recipient=recipient, amount=amount,
                                     note=note or "", csrf=request.session["csrf"], new_key=csrf.new_form_key)
        return self._after(request, me, reply)

    async def privacy(self, request: Request) -> Response:
        checked = await self._checked_form(request)
        if isinstance(checked, Response):
            return checked
        me, form, key = checked
        if form.get("public") not in ("1", "0"):
            return self.pages.message("Nothing changed", "Choose public or private.", 400, me=me,
                                      csrf=request.session["csrf"])
        reply = await acting.dispatch(self.runtime,
                                      acting.invocation(me, SetProfile(public=form["public"] == "1"), key))
        return self._after(request, me, reply)

    # -- helpers -----------------------------------------------------------------

    def _after(self, request: Request, me: acting.Me, reply) -> Response:
        """Post/redirect/get: the reply is shown once on the dashboard."""
        session.flash(request.session, reply.text, reply.ok)
        return RedirectResponse(f"/me/?{urlencode({'community': me.community.id})}", status_code=303)

    async def _me(self, request: Request, community_id: int | None) -> acting.Me | Response:
        proven = session.signed_in(request.session)
        if proven is None:
            return RedirectResponse("/me/signin", status_code=303)
        me = await asyncio.to_thread(self.runtime.ledger.read, lambda book: acting.whoami(book, proven, community_id))
        if me is None:
            request.session.clear()
            return self.pages.message("Signed out", "Tipbot no longer knows the account you signed in with, so you "
                                      "were signed out.", 403)
        return me

    async def _checked_form(self, request: Request) -> tuple[acting.Me, dict[str, str], str] | Response:
        """The signed-in member, the form and its idempotency key; a 403 for a missing or
        wrong CSRF token and a 400 for a missing key, before anything runs."""
        form = await _form(request)
        if session.signed_in(request.session) is None or not csrf.token_matches(request.session, form.get("csrf")):
            return _forbidden(self.pages)
        me = await self._me(request, _int(form.get("community")))
        if isinstance(me, Response):
            return me
        key = csrf.form_key(form.get("key"))
        if key is None:
            return self.pages.message("Nothing changed", "This form is missing its key; reload the page and send it "
                                      "again.", 400, me=me, csrf=request.session["csrf"])
        return me, form, key


def _forbidden(pages: Pages) -> Response:
    return pages.message("Forbidden", "This form did not come from your /me page (its CSRF token is missing or "
                         "out of date), so nothing changed. Reload the page and try again.", 403)


async def _form(request: Request) -> dict[str, str]:
    """An urlencoded form's fields (the first value of each); anything else is an empty form."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return {}
    body = await request.body()
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {name: values[0] for name, values in parsed.items()}


def _int(value: Any) -> int | None:
    """A positive id from a form or query (at most 18 digits: it goes into SQL), else None."""
    text = "" if value is None else str(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None
