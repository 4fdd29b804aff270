"""Applies boardroom.sessions to every request."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse

from . import sessions

# The only pages a half-signed-in person (password given, second factor still owed) may reach:
# signing in and out, and the second-factor pages. Everything else — the security page with its
# calendar link, "sign out everywhere", the public site — waits until the second step is done.
# Named by URL name rather than path prefix, so a page added under /accounts/ is closed by default.
SECOND_STEP_PAGES = frozenset({"login", "logout", "two_factor_verify", "two_factor_setup", "healthz"})


def _second_step_page(request: HttpRequest) -> bool:
    if request.path.startswith(settings.STATIC_URL or "/static/"):
        return True
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.url_name in SECOND_STEP_PAGES


class SessionGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            problem = sessions.check(user, request.session)  # type: ignore[arg-type]
            if problem == sessions.Problem.SIGNED_OUT:
                logout(request)
                messages.info(request, "You were signed out. Sign in again to carry on.")
                return self._redirect("login", request)
            if problem is not None and not _second_step_page(request):
                target = "two_factor_verify" if problem == sessions.Problem.NEEDS_VERIFICATION else "two_factor_setup"
                return self._redirect(target, request)
        return self.get_response(request)

    @staticmethod
    def _redirect(name: str, request: HttpRequest) -> HttpResponse:
        next_url = request.get_full_path() if request.method == "GET" else "/"
        return HttpResponseRedirect(f"{reverse(name)}?{urlencode({'next': next_url})}")
