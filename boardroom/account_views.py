"""Second-factor sign-in, enrolment, recovery codes, and signing out everywhere."""

from __future__ import annotations

import base64
import secrets

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import audit, sessions


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=20,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "none"}),
    )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].replace(" ", "").replace("-", "").lower()


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or reverse("home")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("home")


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """Second step of signing in: a code from the authenticator app, or a recovery code."""
    user = _user(request)
    if not sessions.has_confirmed_device(user):
        return HttpResponseRedirect(reverse("two_factor_setup"))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            used_recovery = isinstance(device, StaticDevice)
            audit.record("auth.second_factor", actor=user, request=request, recovery_code=used_recovery)
            if used_recovery:
                left = StaticToken.objects.filter(device=device).count()
                messages.warning(request, f"You used a recovery code. {left} remain: each works once.")
            return HttpResponseRedirect(_safe_next(request))
        audit.record("auth.second_factor_failed", actor=user, request=request)
        form.add_error("code", "That code is not right, or has expired. Try the newest code from your app.")
    return render(request, "registration/verify.html", {"form": form, "next": _safe_next(request)}, status=200)


def _qr_svg(device: TOTPDevice) -> str:
    return segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#111", light="#fff")


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the person's recovery codes; each works once. Shown once, stored as given."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Recovery codes", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(settings.BOARDROOM_RECOVERY_CODES)]
    for code in codes:
        device.token_set.create(token=code.replace("-", ""))
    return codes


@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the code, type one code back to confirm."""
    user = _user(request)
    if sessions.has_confirmed_device(user) and sessions.verified_device(user, request.session) is None:
        # Replacing a factor needs the current one first.
        return HttpResponseRedirect(reverse("two_factor_verify"))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            with transaction.atomic():
                TOTPDevice.objects.filter(user=user, confirmed=True).delete()
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                codes = _new_recovery_codes(user)
            otp_login(request, device)
            audit.record("auth.second_factor_enrolled", actor=user, request=request)
            return render(request, "registration/recovery_codes.html", {"codes": codes, "next": _safe_next(request)})
        form.add_error("code", "That code did not match. Check the time on your phone and try the newest code.")
    manual_key = base64.b32encode(device.bin_key).decode().rstrip("=")
    context = {
        "form": form,
        "qr_svg": _qr_svg(device),
        "manual_key": " ".join(manual_key[i : i + 4] for i in range(0, len(manual_key), 4)),
        "required": sessions.two_factor_required(user),
        "next": _safe_next(request),
    }
    return render(request, "registration/two_factor_setup.html", context)


@login_required
def security(request: HttpRequest) -> HttpResponse:
    from meetings.calendar import feed_token

    user = _user(request)
    context = {
        "has_factor": sessions.has_confirmed_device(user),
        "required": sessions.two_factor_required(user),
        "recovery_left": StaticToken.objects.filter(device__user=user).count(),
        "feed_url": request.build_absolute_uri(reverse("calendar_feed", args=[feed_token(user)])),
    }
    return render(request, "registration/security.html", context)


@login_required
@require_POST
def calendar_renew(request: HttpRequest) -> HttpResponse:
    from meetings.calendar import feed_token

    feed_token(_user(request), renew=True)
    audit.record("calendar.link_renewed", actor=request.user, request=request)
    messages.success(request, "Your calendar link was replaced. Add the new one to your calendar app.")
    return HttpResponseRedirect(reverse("security"))


@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if sessions.verified_device(user, request.session) is None:
        return HttpResponseRedirect(reverse("two_factor_verify"))
    codes = _new_recovery_codes(user)
    audit.record("auth.recovery_codes_replaced", actor=user, request=request)
    return render(request, "registration/recovery_codes.html", {"codes": codes, "next": reverse("security")})


@login_required
@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    sessions.sign_out_everywhere(user)
    audit.record("auth.sign_out_everywhere", actor=user, request=request)
    logout(request)
    messages.info(
        request,
        "You have been signed out on every device, and your calendar link no longer works: "
        "after signing in, add the new one from Sign-in and security to your calendar app.",
    )
    return HttpResponseRedirect(reverse("login"))
