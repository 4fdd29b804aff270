"""Keeping the public question form free of spam without third-party services.

Three checks, each cheap and each catching a different kind of robot:

* a signed, time-stamped form token: a post needs a form this site rendered for that agenda
  item, not too long ago and not a moment ago (people take a while to type; scripts do not);
* a honeypot field hidden from people, which naive robots fill in;
* a per-address and per-email limit on how many messages are accepted in an hour, counted in
  the database (so it holds across processes) by a keyed hash of the address, never the address.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.utils import timezone

SALT = "boardroom.public.question"
HONEYPOT = "website"


def min_seconds() -> float:
    """How long a person needs at least between opening the form and sending it."""
    return float(getattr(settings, "BOARDROOM_PUBLIC_MIN_SECONDS", 4))


def max_age() -> dt.timedelta:
    return dt.timedelta(hours=float(getattr(settings, "BOARDROOM_PUBLIC_FORM_HOURS", 6)))


def per_hour() -> int:
    return int(getattr(settings, "BOARDROOM_PUBLIC_QUESTIONS_PER_HOUR", 5))


class TokenProblem(Exception):
    """The form token is missing, forged, for another item, too old or too fresh."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def form_token(item_id: int, *, now: float | None = None) -> str:
    """A token to put in the form for ``item_id``: it carries the time the form was rendered."""
    return signing.dumps({"item": item_id, "t": time.time() if now is None else now}, salt=SALT, compress=True)


def check_token(token: str, item_id: int, *, now: float | None = None) -> None:
    """Raise ``TokenProblem`` unless ``token`` was made here for ``item_id`` in the allowed window."""
    now = time.time() if now is None else now
    try:
        data = signing.loads(token or "", salt=SALT, max_age=max_age())
    except signing.SignatureExpired:
        raise TokenProblem(
            "This form was open for too long. Your text is below: please send it again.", code="expired"
        ) from None
    except signing.BadSignature:
        raise TokenProblem("This form could not be checked. Please send it again.", code="invalid") from None
    if not isinstance(data, dict) or data.get("item") != item_id or not isinstance(data.get("t"), int | float):
        raise TokenProblem("This form could not be checked. Please send it again.", code="invalid")
    if now - data["t"] > max_age().total_seconds():
        raise TokenProblem("This form was open for too long. Your text is below: please send it again.", code="expired")
    if now - data["t"] < min_seconds():
        raise TokenProblem("That was sent very quickly. Please check your text and send it again.", code="too_fast")


def sender_key(request: HttpRequest) -> str:
    """A keyed hash of the sender's address: enough to count their messages, useless to anyone else."""
    address = request.META.get("REMOTE_ADDR") or "unknown"
    return hmac.new(settings.SECRET_KEY.encode(), f"public-sender:{address}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Limit:
    allowed: bool
    retry_after: int = 0  # seconds


def rate_limit(*, key: str, email: str) -> Limit:
    """May one more message be accepted from this address and this email now?"""
    from .models import PublicQuestion

    since = timezone.now() - dt.timedelta(hours=1)
    recent = PublicQuestion.objects.filter(submitted_at__gte=since)
    by_key = list(recent.filter(sender_key=key).order_by("submitted_at").values_list("submitted_at", flat=True))
    by_email = list(recent.filter(email__iexact=email).order_by("submitted_at").values_list("submitted_at", flat=True))
    limit = per_hour()
    for times in (by_key, by_email):
        if len(times) >= limit:
            # The oldest message in the window decides when one more is allowed.
            free_at = times[len(times) - limit] + dt.timedelta(hours=1)
            return Limit(False, max(1, int((free_at - timezone.now()).total_seconds())))
    return Limit(True)
