"""Who is behind a meeting socket (docs/architecture.md, "The live event path": admission).

channels' ``AuthMiddlewareStack`` loads the session and its user before the consumer runs, in
trips of their own to the one thread that runs a process's socket database work; the consumer
then loaded the same session again to check it. When a process takes over the sockets of one
that died, hundreds of handshakes queue on that thread, and every extra trip per socket is
paid hundreds of times. So the socket stack reads only the session cookie (no database), and
the consumer resolves the person in the same single trip as the rest of its admission:
:func:`signed_in_user` here, then ``boardroom.sessions.check``, the access check and the state.

The resolution is the one Django's ``get_user`` makes for a request: the session names a user
and an authentication backend in ``AUTHENTICATION_BACKENDS``, the backend finds the (active)
user, and the password hash stamped in the session at sign-in still matches — a password
change ends the session here too (it is flushed, as Django and channels do).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from channels.sessions import CookieMiddleware
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.auth.models import User
from django.contrib.sessions.backends.base import SessionBase
from django.utils.crypto import constant_time_compare

SESSION_KEY_SCOPE = "session_key"


class SessionCookieMiddleware:
    """Puts the session cookie's value in ``scope["session_key"]`` ("" without one); touches
    nothing else. Runs inside channels' ``CookieMiddleware``, which parses the cookies."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        key = scope.get("cookies", {}).get(settings.SESSION_COOKIE_NAME, "")
        return await self.inner({**scope, SESSION_KEY_SCOPE: key}, receive, send)


def SocketSessionStack(inner: Any) -> Any:  # noqa: N802 — named like channels' AuthMiddlewareStack
    return CookieMiddleware(SessionCookieMiddleware(inner))


def session_store(session_key: str) -> SessionBase:
    """The session store for ``session_key``. It loads on its first read (one query), empty if
    the session is gone or expired."""
    store: SessionBase = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key or None)
    return store


def signed_in_user(store: SessionBase) -> User | None:
    """The active user ``store`` is signed in as, or None (sync: one query for the user)."""
    try:
        user_id = User._meta.pk.to_python(store[SESSION_KEY])
        backend_path = store[BACKEND_SESSION_KEY]
    except KeyError:
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = load_backend(backend_path).get_user(user_id)
    if not isinstance(user, User):
        return None
    session_hash = store.get(HASH_SESSION_KEY)
    if not isinstance(session_hash, str) or not session_hash:
        store.flush()
        return None
    verified = (
        constant_time_compare(session_hash, user.get_session_auth_hash())
        # Signed under a SECRET_KEY now in SECRET_KEY_FALLBACKS: still valid, as for a page. The
        # page's next request moves the session to the new key (a socket cannot set a cookie).
        or any(constant_time_compare(session_hash, old) for old in user.get_session_auth_fallback_hash())
    )
    if not verified:
        store.flush()
        return None
    return user
