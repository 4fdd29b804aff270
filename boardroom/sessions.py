"""Session rules shared by HTTP requests and websockets.

* Sign out everywhere: each session remembers the account's ``session_epoch`` at sign-in;
  raising the epoch ends every session of that person at its next request or socket check.
* Idle limit: the shortest ``idle_minutes`` of the person's boards (default 30).
* Absolute lifetime: ``BOARDROOM_SESSION_MAX_AGE`` after sign-in, however active.
* Two-factor: chairs, secretaries, staff, and members of boards that require it must have
  verified a second factor in this session (django-otp keeps the device in the session).
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from meetings.models import Membership, Role

from .models import Account

EPOCH_KEY = "_boardroom_epoch"
SIGNED_IN_AT_KEY = "_boardroom_signed_in_at"
LAST_SEEN_KEY = "_boardroom_last_seen"
NEEDS_KEY = "_boardroom_needs"
# Writing the session on every request would be wasteful: activity is noted once a minute.
TOUCH_EVERY_SECONDS = 60


class Problem(StrEnum):
    SIGNED_OUT = "signed_out"  # epoch raised, idle too long or too old: sign in again
    NEEDS_VERIFICATION = "needs_verification"  # has a device, must enter a code
    NEEDS_ENROLMENT = "needs_enrolment"  # must set up a second factor first


@dataclass(frozen=True)
class Requirements:
    two_factor: bool
    idle_minutes: int


def requirements_for(user: User) -> Requirements:
    """What the person's boards (and staff status) ask of their sessions. One query."""
    rows = list(
        Membership.objects.current()
        .filter(user=user)
        .values_list("role", "board__require_two_factor", "board__idle_minutes")
    )
    two_factor = user.is_staff or any(role in (Role.CHAIR, Role.SECRETARY) or forced for role, forced, _ in rows)
    idle = min([minutes for _, _, minutes in rows if minutes] + [settings.BOARDROOM_IDLE_MINUTES])
    return Requirements(two_factor=two_factor, idle_minutes=idle)


def session_epoch(user: User) -> int:
    return Account.objects.filter(user=user).values_list("session_epoch", flat=True).first() or 0


def start(session: MutableMapping[str, Any], user: User) -> None:
    """Called at sign-in."""
    now = int(time.time())
    session[EPOCH_KEY] = session_epoch(user)
    session[SIGNED_IN_AT_KEY] = now
    session[LAST_SEEN_KEY] = now
    session.pop(NEEDS_KEY, None)


def has_confirmed_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def verified_device(user: User, session: MutableMapping[str, Any]) -> Device | None:
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    if not persistent_id:
        return None
    device = Device.from_persistent_id(persistent_id)
    if device is None or device.user_id != user.pk or not device.confirmed:
        return None
    return device


def _needs(user: User, session: MutableMapping[str, Any], now: int) -> tuple[bool, int, bool]:
    """(two-factor required, idle minutes, has a confirmed device), re-read once a minute."""
    cached = session.get(NEEDS_KEY)
    if cached and now - cached[3] < TOUCH_EVERY_SECONDS:
        return bool(cached[0]), int(cached[1]), bool(cached[2])
    needs = requirements_for(user)
    has_device = has_confirmed_device(user)
    session[NEEDS_KEY] = [needs.two_factor, needs.idle_minutes, has_device, now]
    return needs.two_factor, needs.idle_minutes, has_device


def check(user: User, session: MutableMapping[str, Any], *, touch: bool = True) -> Problem | None:
    """Whether this session may go on, and if not, why. Notes activity when ``touch``.

    The sign-out-everywhere epoch is read on every call, so it takes effect at once; what the
    person's boards require is re-read once a minute.
    """
    now = int(time.time())
    signed_in = session.get(SIGNED_IN_AT_KEY)
    if signed_in is None:
        # A session from before these rules (or made by a test's force_login): start it now.
        start(session, user)
        signed_in = session[SIGNED_IN_AT_KEY]
    if session.get(EPOCH_KEY, 0) != session_epoch(user):
        return Problem.SIGNED_OUT
    if now - signed_in > settings.BOARDROOM_SESSION_MAX_AGE:
        return Problem.SIGNED_OUT
    two_factor, idle_minutes, has_device = _needs(user, session, now)
    if now - session.get(LAST_SEEN_KEY, now) > idle_minutes * 60:
        return Problem.SIGNED_OUT
    if touch and now - session.get(LAST_SEEN_KEY, 0) >= TOUCH_EVERY_SECONDS:
        session[LAST_SEEN_KEY] = now
    if session.get(DEVICE_ID_SESSION_KEY) is None or verified_device(user, session) is None:
        if has_device:
            return Problem.NEEDS_VERIFICATION
        if two_factor:
            return Problem.NEEDS_ENROLMENT
    return None


def sign_out_everywhere(user: User) -> None:
    """End every session and open socket of ``user``, and withdraw their calendar feed link.

    The feed link is a standing credential of its own (calendar apps read it without a session),
    so whoever may still hold a lost device or a copied link loses it too.
    """
    from meetings import events
    from meetings.calendar import feed_withdraw

    account, _ = Account.objects.get_or_create(user=user)
    Account.objects.filter(pk=account.pk).update(session_epoch=account.session_epoch + 1)
    feed_withdraw(user)
    events.sessions_revoked(user_id=user.pk)


def two_factor_required(user: User) -> bool:
    return requirements_for(user).two_factor
