"""Sign-ins, sign-outs and failed sign-ins are written to the audit log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from meetings import events

from . import audit, sessions


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        sessions.start(request.session, user)
    audit.record("auth.login", actor=user, request=request)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and getattr(request, "session", None) is not None and request.session.session_key:
        # Sockets opened from this browser close too.
        events.session_ended(session_key=request.session.session_key)
    if user is not None:
        audit.record("auth.logout", actor=user, request=request)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # Django has already masked the password in ``credentials``; only the name tried is kept.
    username = str(credentials.get("username", ""))[:150]
    audit.record("auth.login_failed", actor_label=username, request=request)
