"""Staff login: a password, then a second factor (docs/permissions.md).

1. ``/staff/login/``: username and password. django-axes counts failures per username and
   client address, and per username across addresses, and locks either out for a while
   (the lockout page is answered with 429); too many failures across all accounts refuse
   every password login for a while (``ledger.staff.lockout``). Only accounts holding a
   staff role get past this step.
2. ``/staff/login/verify/``: a code from the authenticator app, or one single-use recovery
   code. Wrong codes are throttled per device by django-otp.
   ``/staff/enrol/`` instead, for an account without an authenticator app yet: a QR code
   (and the secret as text), confirmed with one code; ten recovery codes are shown once.
3. The session then carries the verified device and the time the code was entered;
   ``ledger.staff.access`` checks them and the user's roles on every staff page and ends
   the session after a quiet spell, or once it is ``STAFF_SESSION_MAX_SECONDS`` old
   whatever its activity.
4. ``/staff/login/reverify/``: a code again, asked for before approving or paying when the
   last was entered more than ``STAFF_FRESH_OTP_SECONDS`` ago.

Every step is audited (``ledger.staff.login_audit``), with the client address kept apart.

The Django admin sits behind the same two steps (:class:`StaffAdminSite`).
"""

from __future__ import annotations

import math
import re
from base64 import b32encode
from functools import wraps

import django_otp
import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_noop, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.admin import OTPAdminSite
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ledger.books.posting import audit_record
from ledger.exceptions import NotPermitted
from ledger.staff import accounts as staff_accounts
from ledger.staff import lockout
from ledger.staff.access import (
    end_expired_session,
    has_authenticator,
    is_verified,
    record_login_time,
    record_second_factor_time,
    refresh_idle_expiry,
    second_step_url,
    staff_access_refusal,
)
from ledger.staff.login_audit import login_event, login_refused_without_role
from ledger.staff.roles import user_roles

WRONG_LOGIN = gettext_noop("Wrong username or password, or this account has no staff role.")
OUTDATED_RECOVERY_CODES = gettext_noop(
    "Your recovery codes are of an older, shorter kind. Generate new ones now: "
    "the old ones stop working at once."
)


def logins_paused(minutes: int) -> str:
    return ngettext(
        "Staff logins are paused for everyone: there were too many failed logins. "
        "Try again in %(minutes)d minute.",
        "Staff logins are paused for everyone: there were too many failed logins. "
        "Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


TOTP_CODE = re.compile(r"\d{6}")


class LoginForm(forms.Form):
    username = forms.CharField(max_length=150, label=_("Username"))
    password = forms.CharField(strip=False, widget=forms.PasswordInput, label=_("Password"))


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=64, label=_("Code"), widget=forms.TextInput(attrs={"autocomplete": "off"})
    )

    def clean_code(self) -> str:
        # Apps show codes as "123 456"; recovery codes come in groups, copied with stray
        # spaces (staff_accounts reads them in any case and with any separators).
        return re.sub(r"[\s-]", "", self.cleaned_data["code"])


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}"


def _require_role(user) -> None:
    if not user_roles(user):
        raise NotPermitted("This account has no staff role.")


def _second_factor_passed(request, device, method: str) -> None:
    django_otp.login(request, device)
    # A new session key once both factors are in: nothing learnt about the session before
    # (for instance on a shared machine) carries over to the verified one.
    request.session.cycle_key()
    refresh_idle_expiry(request)
    record_second_factor_time(request)
    details = {"second_factor": method}
    login_event(request, request.user, request.user.pk, "staff.login", details)


@sensitive_post_parameters("password")
@never_cache
def login(request):
    next_url = _next_url(request)
    user = request.user
    if user.is_authenticated and user_roles(user) and not end_expired_session(request):
        if is_verified(user):
            return redirect(next_url)
        return redirect(_with_next(second_step_url(user), next_url))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and (paused := lockout.logins_paused_for()):
        minutes = math.ceil(paused / 60)
        form.add_error(None, logins_paused(minutes))
        context = {"form": form, "next": next_url}
        return render(request, "ledger/staff/login.html", context, status=429)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
        )
        # The same answer for a wrong password and an account without a role, so the page
        # never confirms that a password was right.
        if user is not None and user_roles(user):
            auth_login(request, user)
            record_login_time(request)
            refresh_idle_expiry(request)
            return redirect(_with_next(second_step_url(user), next_url))
        if user is not None:
            login_refused_without_role(request, user)
        lockout.count_failed_login()
        form.add_error(None, gettext(WRONG_LOGIN))
    return render(request, "ledger/staff/login.html", {"form": form, "next": next_url})


def _check_code(user, code: str) -> tuple[object | None, str, dict | None]:
    """(device that accepted the code or None, method, throttling details or None)."""
    if TOTP_CODE.fullmatch(code):
        method, model = "totp", TOTPDevice
    else:
        method, model = "recovery_code", StaticDevice
    with transaction.atomic():
        # Locked: two requests racing with one code cannot both use it.
        device = (
            model.objects.select_for_update()
            .filter(user=user, confirmed=True)
            .order_by("id")
            .first()
        )
        if device is None:
            return None, method, None
        allowed, throttled = device.verify_is_allowed()
        if not allowed:
            return None, method, throttled
        if method == "totp":
            accepted = device.verify_token(code)
        else:
            accepted = staff_accounts.recovery_code_verify(device, code) is not None
        if accepted:
            return device, method, None
    return None, method, None


def _second_step(view):
    """For the pages of the second step (the code, enrolment): only a user past the
    password step and holding a staff role gets them. The view is called with that user
    and the page to go to afterwards."""

    @sensitive_post_parameters("code")
    @never_cache
    @wraps(view)
    def wrapped(request):
        next_url = _next_url(request)
        if not request.user.is_authenticated or end_expired_session(request):
            return redirect_to_login(next_url)
        _require_role(request.user)
        return view(request, request.user, next_url)

    return wrapped


@_second_step
def login_verify(request, user, next_url: str):
    if is_verified(user):
        return redirect(next_url)
    if not has_authenticator(user):
        return redirect(_with_next(reverse("staff_auth:enrol"), next_url))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device, method, throttled = _check_code(user, form.cleaned_data["code"])
        if device is not None:
            _second_factor_passed(request, device, method)
            if method == "recovery_code":
                left = staff_accounts.recovery_codes_left(user)
                used = ngettext(
                    "You used a recovery code; %(left)d left. Generate new ones if you are short.",
                    "You used a recovery code; %(left)d left. Generate new ones if you are short.",
                    left,
                )
                messages.warning(request, used % {"left": left})
            if staff_accounts.recovery_codes_outdated(user):
                # Codes of the earlier kind work until replaced: every login says so and
                # opens the page that replaces them.
                messages.warning(request, gettext(OUTDATED_RECOVERY_CODES))
                return redirect("staff_auth:recovery_codes")
            return redirect(next_url)
        _code_refused(form, user, method, throttled)
    return render(request, "ledger/staff/login_verify.html", {"form": form, "next": next_url})


def _code_refused(form, user, method: str, throttled: dict | None, **details) -> None:
    """Audit a wrong (or throttled) code and say so on the form."""
    details = {"method": method, "throttled": throttled is not None, **details}
    audit_record(user, "user", user.pk, "staff.second_factor_failed", details)
    if throttled and throttled.get("locked_until"):
        wait = math.ceil((throttled["locked_until"] - timezone.now()).total_seconds())
        wait = max(wait, 1)
        too_many = gettext("Too many wrong codes: wait %(wait)d seconds, then try again.")
        form.add_error(None, too_many % {"wait": wait})
    else:
        form.add_error(None, gettext("That code is not right."))


def _fresh_for() -> str:
    seconds = settings.STAFF_FRESH_OTP_SECONDS
    if seconds % 60:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    minutes = seconds // 60
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


@sensitive_post_parameters("code")
@never_cache
def reverify(request):
    """A code again, for approving and paying (``ledger.staff.access``): the session's
    second factor becomes fresh, and the person goes back to the page they were on."""
    next_url = _next_url(request)
    refusal = staff_access_refusal(request, None)
    if refusal is not None:
        return refusal
    user = request.user
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device, method, throttled = _check_code(user, form.cleaned_data["code"])
        if device is not None:
            record_second_factor_time(request)
            details = {"second_factor": method}
            audit_record(user, "user", user.pk, "staff.reverified", details)
            messages.info(request, gettext("Code accepted. You can approve or pay now."))
            return redirect(next_url)
        _code_refused(form, user, method, throttled, reverify=True)
    context = {"form": form, "next": next_url, "fresh_for": _fresh_for()}
    return render(request, "ledger/staff/reverify.html", context)


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=20, border=2)
    # Built here from the device's own URL: no user text in it, safe to put in the page.
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _recovery_codes_page(request, codes: list[str], next_url: str):
    # The views showing codes and secrets are never_cache: no-store keeps them out of caches.
    return render(request, "ledger/staff/recovery_codes.html", {"codes": codes, "next": next_url})


@_second_step
def enrol(request, user, next_url: str):
    if has_authenticator(user):
        # Enrolling a second app would let a password alone replace the first.
        return redirect(
            next_url if is_verified(user) else _with_next(second_step_url(user), next_url)
        )
    device = staff_accounts.totp_device_for_enrolment(user=user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = staff_accounts.totp_enrolment_confirm(
            device=device, token=form.cleaned_data["code"]
        )
        if codes is not None:
            _second_factor_passed(request, device, "totp")
            return _recovery_codes_page(request, codes, next_url)
        form.add_error(
            "code",
            gettext("That code is not right. Check the phone's clock and type the newest code."),
        )
    context = {
        "form": form,
        "next": next_url,
        "qr_svg": _qr_svg(device.config_url),
        "secret": _grouped(b32encode(device.bin_key).decode()),
    }
    return render(request, "ledger/staff/enrol.html", context)


@never_cache
def recovery_codes(request):
    refusal = staff_access_refusal(request, None)
    if refusal is not None:
        return refusal
    if request.method == "POST":
        codes = staff_accounts.recovery_codes_regenerate(user=request.user)
        return _recovery_codes_page(request, codes, resolve_url(settings.LOGIN_REDIRECT_URL))
    context = {
        "left": staff_accounts.recovery_codes_left(request.user),
        "outdated": staff_accounts.recovery_codes_outdated(request.user),
    }
    return render(request, "ledger/staff/recovery_codes_regenerate.html", context)


@require_POST
def logout(request):
    auth_logout(request)
    messages.info(request, gettext("You are logged out."))
    return redirect("staff_auth:login")


class StaffAdminSite(OTPAdminSite):
    """The Django admin behind the staff login: the same password step (with its lockout),
    the same second factor, the same idle expiry. Its own login page sends people to ours."""

    def login(self, request, extra_context=None):
        if is_verified(request.user):
            # Both factors passed but no admin access: sending them to the login page would
            # only bring them back here.
            raise PermissionDenied
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        return redirect_to_login(next_url)

    def has_permission(self, request):
        if end_expired_session(request):
            return False
        allowed = super().has_permission(request)
        if allowed:
            refresh_idle_expiry(request)
        return allowed
