"""Applies boardroom.sessions to every request."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from . import sessions

# Pages a half-signed-in person may still reach: signing out, and the second-factor pages.
OPEN_PREFIXES = ("/accounts/", "/static/", "/healthz")


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
            if problem is not None and not request.path.startswith(OPEN_PREFIXES):
                target = "two_factor_verify" if problem == sessions.Problem.NEEDS_VERIFICATION else "two_factor_setup"
                return self._redirect(target, request)
        return self.get_response(request)

    @staticmethod
    def _redirect(name: str, request: HttpRequest) -> HttpResponse:
        next_url = request.get_full_path() if request.method == "GET" else "/"
        return HttpResponseRedirect(f"{reverse(name)}?{urlencode({'next': next_url})}")
