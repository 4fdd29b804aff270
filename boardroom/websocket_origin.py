"""Which pages may open a live socket: the websocket ``Origin`` check.

A browser sends the ``Origin`` of the page that opens a socket, and sends the member's cookie
whatever that page is; a page of another site must not get a socket in the member's name. Host
names alone are not enough: another service on another port of the same host (or the same host
over plain http) is another origin. So the ``Origin`` must equal, in scheme, host and port, one of

* the address the socket was opened on: its ``Host`` header (when that host is one of
  ``ALLOWED_HOSTS``) with http for ``ws://`` and https for ``wss://``;
* ``BOARDROOM_SITE_URL``, or one of ``CSRF_TRUSTED_ORIGINS`` (the public address, when a proxy
  hands the server another host name).

A handshake without an ``Origin`` is refused: native apps and scripts must send one
(docs/live-protocol.md, "Connecting").
"""

from __future__ import annotations

from typing import Any
from urllib.parse import ParseResult, urlparse

from channels.security.websocket import OriginValidator, WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

# channels' matcher compares scheme, host and port (filling in default ports); it holds no state.
_MATCHER = OriginValidator(None, [])


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin1"))
    return None


def _secure(scope: dict[str, Any]) -> bool:
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        # As Django reads it for HTTP: ("HTTP_X_FORWARDED_PROTO", "https") names x-forwarded-proto.
        name, secure_value = proxy_header
        forwarded = _header(scope, name.removeprefix("HTTP_").replace("_", "-").lower().encode())
        if forwarded is not None:
            return forwarded.split(",")[0].strip() == secure_value
    return scope.get("scheme") in ("wss", "https")


def _allowed_hosts() -> list[str]:
    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = [".localhost", "127.0.0.1", "[::1]"]  # as Django allows for HTTP
    return hosts


def allowed_origins(scope: dict[str, Any]) -> list[str]:
    """The origins (scheme://host[:port]) a socket opened with ``scope`` may come from."""
    origins = [settings.BOARDROOM_SITE_URL]
    # Django writes a trusted subdomain as https://*.example.org; channels as https://.example.org.
    origins += [origin.replace("://*.", "://.", 1) for origin in settings.CSRF_TRUSTED_ORIGINS]
    host = _header(scope, b"host")
    if host:
        domain, _port = split_domain_port(host)
        if domain and validate_host(domain, _allowed_hosts()):
            origins.append(f"{'https' if _secure(scope) else 'http'}://{host}")
    return origins


def origin_allowed(scope: dict[str, Any]) -> bool:
    origin = _header(scope, b"origin")
    if not origin:
        return False
    try:
        parsed: ParseResult = urlparse(origin.lower())
        parsed.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    if parsed.scheme not in ("http", "https"):
        return False
    return any(_MATCHER.match_allowed_origin(parsed, allowed) for allowed in allowed_origins(scope))


class SameOriginValidator:
    """ASGI middleware refusing websocket handshakes whose ``Origin`` is not allowed (see above)."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator guards websocket connections only.")
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
